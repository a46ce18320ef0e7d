import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { parseWorkspace } from '../../src/config/load';
import type { Workspace } from '../../src/config/schema';
import { baseWorkspace } from '../support/workspace';
import { compileCount, compileMembers, dialectFor } from '../../src/segments';
import { DIALECTS } from '../../src/warehouse/dialect';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';
import { withStateSchema } from './compiler-engines';

/**
 * Hostile input. Values (trait and `where` values, `in` lists, event names, static members) must
 * reach SQL only as bound parameters; identifiers come only from the workspace file and anything
 * that is not a plain identifier is an exit-2 validation error naming its path.
 */

/** Payloads that are distinctive enough to be searched for in SQL text. */
const HOSTILE_VALUES = [
  "'; drop table persons; --",
  "x' OR '1'='1",
  "name'); DELETE FROM inj.persons; --",
  '" or ""="',
  '$1 $2 ?? :name @p0',
  'back\\slash\\\'quote',
  '/* comment */ --line',
  '{{name}} {{{raw}}}',
  "$$dollar$$ E'\\x27'",
  'naïve ʼapostropheʼ ＇fullwidth＇ 名前',
  "50%_off\\'%",
  'line\nbreak\ttab',
] as const;

function workspace(value: string, schema = 'inj'): Workspace {
  const seg = (id: string, conditions: unknown[]) => ({ id, entity: 'person', name: id, rules: { match: 'all', conditions } });
  return baseWorkspace({
    schema,
    entity: { primaryKey: 'id', identifiers: { email: 'email' } },
    events: { name: 'name', timestamp: 'ts', sessionKey: undefined },
    company: false,
    segments: [
      seg('eq', [{ kind: 'trait', trait: 'label', op: '=', value }]),
      seg('neq', [{ kind: 'trait', trait: 'label', op: '!=', value }]),
      seg('contains', [{ kind: 'trait', trait: 'label', op: 'contains', value }]),
      seg('starts', [{ kind: 'trait', trait: 'label', op: 'starts_with', value }]),
      seg('ends', [{ kind: 'trait', trait: 'label', op: 'ends_with', value }]),
      seg('in', [{ kind: 'trait', trait: 'label', op: 'in', value: ['plain', value] }]),
      seg('not-in', [{ kind: 'trait', trait: 'label', op: 'not_in', value: [value] }]),
      seg('event', [{ kind: 'event', event: value }]),
      seg('where', [{ kind: 'event', event: 'view', where: [{ column: 'url', op: 'contains', value }] }]),
      { id: 'static', entity: 'person', name: 'static', type: 'static', members: [value, 'p1'] },
    ],
  });
}

/** Persons: p1 holds the value exactly, p2 an upper-cased copy inside a longer text, p3 null, p4 plain. */
async function seed(db: WarehouseDriver, schema: string, value: string) {
  const text = db.dialect.name === 'duckdb' ? 'varchar' : 'text';
  await db.execute(`drop table if exists ${schema}.persons`);
  await db.execute(`drop table if exists ${schema}.events`);
  await db.execute(`create table ${schema}.persons (id ${text}, email ${text}, label ${text})`);
  await db.execute(`create table ${schema}.events (person_id ${text}, name ${text}, ts timestamptz, url ${text})`);
  await db.execute(
    `insert into ${schema}.persons values ('p1', null, $1), ('p2', null, $2), ('p3', null, null), ('p4', null, 'plain'), ($1, null, 'x')`,
    [value, `<${value.toUpperCase()}>`],
  );
  await db.execute(
    `insert into ${schema}.events values ('p1', $1, $3, null), ('p2', 'view', $3, $2), ('p4', 'view', $3, 'plain')`,
    [value, `https://x/?q=${value}`, new Date('2026-01-01T00:00:00Z')],
  );
}

// Expected members of each segment given the seed above; the person whose id is the value has label 'x'.
function expected(value: string): Record<string, string[]> {
  return {
    eq: ['p1'],
    neq: ['p2', 'p3', 'p4', value].sort(),
    contains: ['p1', 'p2'],
    starts: ['p1'],
    ends: ['p1'],
    in: ['p1', 'p4'],
    'not-in': ['p2', 'p3', 'p4', value].sort(),
    event: ['p1'],
    where: ['p2'],
    static: ['p1', value].sort(),
  };
}

const pgUp = await postgresReachable();
const ENGINES = [
  { name: 'duckdb', skip: false, open: (): Promise<WarehouseDriver> => DuckDbDriver.open({ path: ':memory:' }) },
  { name: 'postgres', skip: !pgUp, open: (): Promise<WarehouseDriver> => openTestPostgres() },
] as const;

describe('hostile values', () => {
  it.each(DIALECTS)('never appear in %s SQL text; they are bound parameters', (dialectName) => {
    const dialect = dialectFor(dialectName);
    for (const value of HOSTILE_VALUES) {
      const ws = workspace(value);
      for (const s of ws.segments) {
        for (const q of [compileMembers(ws, s.id, { dialect, asOf: new Date('2026-02-01T00:00:00Z') }), compileCount(ws, s.id, { dialect, asOf: new Date() })]) {
          expect(q.sql, `${s.id}: ${value}`).not.toContain(value);
          // The distinctive core of each payload is not in the text in any escaped form either.
          for (const marker of ['drop table', 'DELETE', 'OR \'1', '{{', 'comment', 'dollar', 'fullwidth', 'break'])
            if (value.includes(marker)) expect(q.sql).not.toContain(marker);
          const bound = q.params.flatMap((p) => (Array.isArray(p) ? p : [p])).filter((p): p is string => typeof p === 'string');
          // LIKE operators bind an escaped pattern; every other operator binds the value itself.
          const likeEscaped = (p: string) => p.includes(value.replace(/[\\%_]/g, '')) || p.replace(/\\(.)/g, '$1').toLowerCase().includes(value.toLowerCase());
          // Engines without list parameters (Snowflake) bind a list as one JSON text.
          const inJsonList = (p: string) => p.startsWith('[') && (JSON.parse(p) as unknown[]).includes(value);
          expect(bound.some((p) => p === value || likeEscaped(p) || inJsonList(p)), `${s.id}: ${value} bound`).toBe(true);
        }
      }
    }
  });

});

describe.each(ENGINES)('hostile values on $name', ({ name, skip, open }) => {
  const schema = uniqueSchema('inj');
  let db: WarehouseDriver;
  beforeAll(async () => {
    if (skip) return;
    db = await withStateSchema(open());
    await db.execute(`create schema ${schema}`);
  });
  afterAll(async () => {
    if (skip) return;
    await db.execute(`drop schema if exists ${schema} cascade`);
    await db.close();
  });

  it.skipIf(skip).each(HOSTILE_VALUES.map((v) => [v]))(`select exactly the right members on ${name}, and the tables survive: %j`, async (value) => {
    await seed(db, schema, value);
    const ws = workspace(value, schema);
    const want = expected(value);
    for (const s of ws.segments) {
      const q = compileMembers(ws, s.id, { dialect: db.dialect, asOf: new Date('2026-02-01T00:00:00Z') });
      const rows = await db.query<{ person_id: string }>(q.sql, q.params);
      expect(rows.map((r) => r.person_id).sort(), `${s.id}`).toEqual(want[s.id]);
    }
    const [persons] = await db.query<{ n: number }>(`select count(*)::integer as n from ${schema}.persons`);
    const [events] = await db.query<{ n: number }>(`select count(*)::integer as n from ${schema}.events`);
    expect([persons!.n, events!.n]).toEqual([5, 3]);
  });
});

/** A workspace file with one field replaced by a hostile identifier. */
function yaml(patch: Partial<Record<'table' | 'pk' | 'email' | 'relation' | 'relTable' | 'evTable' | 'evName' | 'trait' | 'column' | 'segId' | 'ref' | 'entityId' | 'stateSchema', string>>) {
  const p = {
    table: 'app.persons',
    pk: 'id',
    email: 'email',
    relation: 'company',
    relTable: 'app.companies',
    evTable: 'app.events',
    evName: 'name',
    trait: 'plan',
    column: 'url',
    segId: 'buyers',
    ref: 'base',
    entityId: 'person',
    stateSchema: 'outflow',
    ...patch,
  };
  const q = (s: string) => JSON.stringify(s);
  return `version: 1
warehouse: {type: duckdb}
stateSchema: ${q(p.stateSchema)}
entities:
  - id: ${q(p.entityId)}
    table: ${q(p.table)}
    primaryKey: ${q(p.pk)}
    identifiers: {email: ${q(p.email)}}
    events: {table: ${q(p.evTable)}, personKey: person_id, name: ${q(p.evName)}, timestamp: ts}
    relations: [{name: ${q(p.relation)}, table: ${q(p.relTable)}, key: id, foreignKey: company_id}]
segments:
  - {id: base, entity: ${q(p.entityId)}, name: base, type: everyone}
  - id: ${q(p.segId)}
    entity: ${q(p.entityId)}
    name: Buyers
    rules:
      conditions:
        - {kind: trait, trait: ${q(p.trait)}, op: '=', value: pro}
        - {kind: event, event: purchase, where: [{column: ${q(p.column)}, op: is_set}]}
        - {kind: segment, segment: ${q(p.ref)}}
`;
}

const HOSTILE_IDENTIFIERS: [string, Parameters<typeof yaml>[0], string][] = [
  ['entity table', { table: 'app.persons; drop table app.persons' }, 'entities[0].table'],
  ['entity table with a quote', { table: 'app."persons"' }, 'entities[0].table'],
  ['primary key', { pk: 'id" or 1=1 --' }, 'entities[0].primaryKey'],
  ['identifier column', { email: 'email, password' }, 'entities[0].identifiers.email'],
  ['relation name', { relation: "company'" }, 'entities[0].relations[0].name'],
  ['relation table', { relTable: 'app.companies --' }, 'entities[0].relations[0].table'],
  ['events table', { evTable: 'app.events e join secrets s on true' }, 'entities[0].events.table'],
  ['event name column', { evName: 'name`' }, 'entities[0].events.name'],
  ['trait', { trait: 'plan"; drop table persons; --' }, 'segments[1].rules.conditions[0].trait'],
  ['trait with spaces', { trait: 'plan or 1' }, 'segments[1].rules.conditions[0].trait'],
  ['relation trait', { trait: 'company.industry)--' }, 'segments[1].rules.conditions[0].trait'],
  ['where column', { column: 'url) or (1=1' }, 'segments[1].rules.conditions[1].where[0].column'],
  ['segment id', { segId: "buyers'; --" }, 'segments[1].id'],
  ['segment id with a space', { segId: 'recent buyers' }, 'segments[1].id'],
  ['segment reference', { ref: 'base" --' }, 'segments[1].rules.conditions[2].segment'],
  ['entity id', { entityId: 'per;son' }, 'entities[0].id'],
  ['state schema', { stateSchema: 'outflow; drop schema public' }, 'stateSchema'],
];

describe('hostile identifiers', () => {
  it('the unmodified workspace is valid (so each failure below is the hostile field)', () => {
    expect(() => parseWorkspace(yaml({}))).not.toThrow();
  });

  it.each(HOSTILE_IDENTIFIERS)('%s is a validation error at its path', (_what, patch, at) => {
    let error: unknown;
    try {
      parseWorkspace(yaml(patch));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as UserInputError).problems.map((p) => p.path)).toContain(at);
  });

  it('`outflow validate` exits 2 naming each path, without a stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'outflow-inj-'));
    try {
      for (const [, patch, at] of [HOSTILE_IDENTIFIERS[0]!, HOSTILE_IDENTIFIERS[8]!, HOSTILE_IDENTIFIERS[11]!]) {
        const file = path.join(dir, 'outflow.yaml');
        writeFileSync(file, yaml(patch));
        const run = spawnSync(process.execPath, ['bin/outflow.js', '--config', file, 'validate'], { encoding: 'utf8' });
        expect(run.status).toBe(2);
        expect(run.stderr).toContain(`${at}:`);
        expect(run.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the compiler refuses an identifier that bypassed validation instead of printing it', () => {
    const ws = parseWorkspace(yaml({})).workspace;
    const rules = ws.segments[1]!.rules!;
    const bad = { ...ws, segments: [ws.segments[0]!, { ...ws.segments[1]!, rules: { ...rules, conditions: [{ kind: 'trait' as const, trait: 'plan"; drop table persons; --', op: '=' as const, value: 'pro' }] } }] };
    for (const name of DIALECTS) {
      let sql: string | undefined;
      try {
        sql = compileMembers(bad, 'buyers', { dialect: dialectFor(name), asOf: new Date() }).sql;
      } catch {
        sql = undefined;
      }
      expect(sql, name).toBeUndefined();
    }
  });
});
