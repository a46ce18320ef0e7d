import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { parseWorkspace } from '../../src/config/load';
import type { Workspace } from '../../src/config/schema';
import { compileMembers } from '../../src/segments';
import { StaticMembers } from '../../src/state/static-members';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { OAuth2Client } from 'google-auth-library';
import { BigQueryDriver } from '../../src/warehouse/bigquery/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { startBigQueryFake } from '../fakes/bigquery-fake';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';

// Static segments keep their members in the state schema and change them inside the warehouse.
// Random sequences of changes are compared with a plain Set model; a user's query is accepted
// only as one read-only SELECT of keys, on DuckDB and PostgreSQL alike.

const pgUp = await postgresReachable();
const PERSONS = 30;

interface Engine {
  name: string;
  /** A stand-in for the engine: its parser's wording and some syntax (`IN UNNEST`) are not the engine's. */
  fake?: boolean;
  /** A warehouse with `<schema>.persons` (p0..p29, age = i) and `<schema>.canary`, and its workspace. */
  open(): Promise<{ wh: WarehouseDriver; ws: Workspace; schema: string; close(): Promise<void> }>;
}

const workspaceYaml = (warehouse: string, schema: string, state: string) => `version: 1
warehouse: ${warehouse}
stateSchema: ${state}
entities:
  - {id: person, table: ${schema}.persons, primaryKey: person_id}
segments:
  - {id: picked, entity: person, name: Picked, type: static}
  - {id: listed, entity: person, name: Listed, type: static, members: [p1, p2, x9]}
  - {id: young, entity: person, name: Young, rules: {conditions: [{kind: trait, trait: age, op: "<", value: 10}]}}
  - {id: not-picked, entity: person, name: Not picked, rules: {conditions: [{kind: segment, segment: picked, member: false}]}}
`;

const seed = async (wh: WarehouseDriver, schema: string) => {
  await wh.execute(`create schema if not exists ${schema}`);
  await wh.execute(`create table ${schema}.persons as select 'p' || i as person_id, i as age from generate_series(0, ${PERSONS - 1}) t(i)`);
  await wh.execute(`create table ${schema}.canary as select 1 as id union all select 2`);
  await wh.execute(`create sequence ${schema}.seq`);
};

const ENGINES: Engine[] = [
  {
    name: 'DuckDB',
    async open() {
      const wh = await DuckDbDriver.open({ path: ':memory:' });
      await seed(wh, 'app');
      const { workspace } = parseWorkspace(workspaceYaml('{type: duckdb}', 'app', 'outflow'));
      return { wh, ws: workspace, schema: 'app', close: () => wh.close() };
    },
  },
  {
    // The BigQuery SDK against the local fake (DuckDB behind BigQuery's REST API): no read-only
    // transactions and no reads inside one, so the query runs inside the change's own statement.
    name: 'BigQuery (fake)',
    fake: true,
    async open() {
      const fake = await startBigQueryFake();
      const seedOn = { execute: async (sql: string) => (await fake.seed(sql), 0) } as unknown as WarehouseDriver;
      await seed(seedOn, 'app');
      const auth = new OAuth2Client();
      auth.setCredentials({ access_token: fake.token, expiry_date: Date.now() + 3_600_000 });
      const wh = await BigQueryDriver.open({ type: 'bigquery', projectId: 'proj', location: 'EU', apiEndpoint: fake.endpoint }, { authClient: auth });
      const { workspace } = parseWorkspace(workspaceYaml('{type: bigquery, projectId: proj, location: EU}', 'app', 'outflow'));
      return { wh, ws: workspace, schema: 'app', close: () => fake.stop() };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const wh = await openTestPostgres();
      const schema = uniqueSchema('static');
      const state = `${schema}_state`;
      await seed(wh, schema);
      const { workspace } = parseWorkspace(workspaceYaml(`{type: postgres, connectionString: "postgres://127.0.0.1/test"}`, schema, state));
      return {
        wh,
        ws: workspace,
        schema,
        close: async () => {
          await wh.execute(`drop schema if exists ${schema} cascade`);
          await wh.execute(`drop schema if exists ${state} cascade`);
          await wh.close();
        },
      };
    },
  },
];

/** Keys of persons and of no one (x1..x3: stored, never members). */
const key = fc.oneof(
  fc.integer({ min: 0, max: PERSONS - 1 }).map((i) => `p${i}`),
  fc.integer({ min: 1, max: 3 }).map((i) => `x${i}`),
);
const keys = fc.array(key, { maxLength: 8 });
const ageRange = fc.tuple(fc.integer({ min: 0, max: PERSONS }), fc.integer({ min: 0, max: 8 })).map(([from, n]) => ({ from, to: from + n }));
type Op =
  | { op: 'add' | 'remove' | 'replace'; keys: string[] }
  | { op: 'populate' | 'removeByQuery'; from: number; to: number }
  | { op: 'subtract' };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('add' as const, 'remove' as const, 'replace' as const), keys }),
  ageRange.chain((r) => fc.constantFrom('populate' as const, 'removeByQuery' as const).map((o) => ({ op: o, ...r }))),
  fc.constant({ op: 'subtract' as const }),
);

const personsAged = (from: number, to: number) => Array.from({ length: PERSONS }, (_, i) => i).filter((i) => i >= from && i <= to).map((i) => `p${i}`);

/** The model: the stored keys as a Set, changed as each operation says. */
function applyModel(stored: Set<string>, o: Op): void {
  if (o.op === 'add') o.keys.forEach((k) => stored.add(k));
  else if (o.op === 'remove') o.keys.forEach((k) => stored.delete(k));
  else if (o.op === 'replace') {
    stored.clear();
    o.keys.forEach((k) => stored.add(k));
  } else if (o.op === 'populate') personsAged(o.from, o.to).forEach((k) => stored.add(k));
  else if (o.op === 'removeByQuery') personsAged(o.from, o.to).forEach((k) => stored.delete(k));
  else personsAged(0, 9).forEach((k) => stored.delete(k)); // subtract `young` (age < 10)
}

const sorted = (xs: Iterable<string>) => [...xs].sort();
const isPerson = (k: string) => /^p\d+$/.test(k) && Number(k.slice(1)) < PERSONS;

describe.each(ENGINES.filter((e) => e.name !== 'PostgreSQL' || pgUp))('static segments on $name', (engine) => {
  let env: Awaited<ReturnType<Engine['open']>>;
  let members: StaticMembers;
  beforeAll(async () => {
    env = await engine.open();
    members = await StaticMembers.open(env.wh, env.ws);
  });
  afterAll(() => env.close());

  const evaluate = async (id: string) => {
    const q = compileMembers(env.ws, id, { dialect: env.wh.dialect, asOf: new Date() });
    return sorted((await env.wh.query<{ person_id: string }>(q.sql, q.params)).map((r) => String(r.person_id)));
  };
  const storedKeys = async (id: string) => {
    const out: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await members.page(id, { after, limit: 7 });
      out.push(...page);
      if (page.length < 7) return out;
      after = page.at(-1);
    }
  };
  const sql = (from: number, to: number) => `select person_id from ${env.schema}.persons where age between ${from} and ${to}`;

  it('matches a Set model over random sequences of add, remove, replace, populate, remove-by-query and subtract', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 6 }), async (ops) => {
        await members.replace('picked', []);
        const model = new Set<string>();
        for (const o of ops) {
          const before = model.size;
          applyModel(model, o);
          const change =
            o.op === 'add' || o.op === 'remove' || o.op === 'replace'
              ? await members[o.op]('picked', o.keys)
              : o.op === 'populate'
                ? await members.populate('picked', sql(o.from, o.to), 'sql')
                : o.op === 'removeByQuery'
                  ? await members.removeByQuery('picked', `${sql(o.from, o.to)};`, 'sql')
                  : await members.subtract('picked', 'young');
          expect(change, JSON.stringify(o)).toEqual({ segmentId: 'picked', before, after: model.size });
        }
        expect(await storedKeys('picked')).toEqual(sorted(model));
        // Evaluation reads the table: the members are the stored keys that are persons.
        expect(await evaluate('picked')).toEqual(sorted([...model].filter(isPerson)));
        // And a segment that references it, negated, is exactly the complement.
        const complement = Array.from({ length: PERSONS }, (_, i) => `p${i}`).filter((k) => !model.has(k));
        expect(await evaluate('not-picked')).toEqual(sorted(complement));
      }),
      { seed: 1818, numRuns: 12 },
    );
  });

  it.skipIf(engine.fake)('a definition that lists keys keeps them as members besides the stored ones', async () => {
    await members.replace('listed', ['p3', 'p2']);
    expect(await evaluate('listed')).toEqual(['p1', 'p2', 'p3']);
    await members.remove('listed', ['p1', 'p2', 'p3']);
    expect(await evaluate('listed')).toEqual(['p1', 'p2']);
    expect(await members.count('listed')).toBe(0);
  });

  it('adds keys in chunks of bound values, a few tens of thousands at once', async () => {
    const n = engine.fake ? 1_200 : 25_000;
    const many = function* () {
      for (let i = 0; i < n; i++) yield `k${i}`;
    };
    const seen: number[] = [];
    expect(await members.replace('picked', many(), (k) => seen.push(k))).toMatchObject({ after: n });
    expect(seen.at(-1)).toBe(n);
    expect(seen.length).toBeGreaterThan(1);
    await members.replace('picked', []);
  });

  it('populates from a query inside the warehouse: no member row reaches Node', async () => {
    await env.wh.execute(`create table ${env.schema}.many as select 'm' || i as person_id from generate_series(1, 50000) t(i)`);
    let rows = 0;
    const query = env.wh.query.bind(env.wh);
    const stream = env.wh.stream.bind(env.wh);
    const counting = env.wh as { query: typeof query; stream: typeof stream };
    counting.query = async (sql, params) => {
      const out = await query(sql, params);
      rows += out.length;
      return out as never;
    };
    counting.stream = async function* (sql, params, options) {
      for await (const page of stream(sql, params, options)) {
        rows += page.length;
        yield page;
      }
    } as typeof stream;
    try {
      const heap = process.memoryUsage().heapUsed;
      expect(await members.replace('picked', [])).toMatchObject({ after: 0 });
      expect(await members.populate('picked', `select person_id from ${env.schema}.many`, 'sql')).toMatchObject({ before: 0, after: 50_000 });
      expect(await members.removeByQuery('picked', `select person_id from ${env.schema}.many where person_id like 'm1%'`, 'sql')).toMatchObject({ after: 50_000 - 11_111 });
      // Counts and catalog lookups only, never the keys.
      expect(rows).toBeLessThan(50);
      expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 1024 * 1024);
    } finally {
      counting.query = query;
      counting.stream = stream;
      await members.replace('picked', []);
    }
  });

  /** Queries a user might send that must be refused, with what the refusal says. */
  const HOSTILE = (s: string): [string, RegExp][] => [
    [`select person_id from ${s}.persons; drop table ${s}.canary`, /one SELECT statement, found 2/],
    [`select person_id from ${s}.persons /* ; */; delete from ${s}.canary`, /found 2/],
    [`select person_id from ${s}.persons -- ;\n; delete from ${s}.canary`, /found 2/],
    [`with d as (delete from ${s}.canary returning id) select id from d`, /parser/],
    [`delete from ${s}.canary`, /SELECT/],
    [`insert into ${s}.canary select 99`, /INSERT/],
    [`update ${s}.canary set id = 5`, /parser|UPDATE/],
    [`select * into ${s}.made from ${s}.canary`, /parser|INTO/],
    [`select id from ${s}.canary for update`, /parser|locking/],
    [`copy ${s}.canary to '/tmp/outflow-static-canary.csv'`, /parser/],
    [`attach ':memory:' as other`, /parser/],
    [`set search_path = ${s}`, /SET/],
    [`pragma version`, /parser/],
    [`call pragma_version()`, /CALL/],
    [`create table ${s}.made as select 1 as id`, /CREATE|parser/],
    [`drop table ${s}.canary`, /DROP|parser/],
    [`select nextval('${s}.seq') as person_id`, /read-only|read only/i],
    [`select person_id, age from ${s}.persons`, /exactly one column/],
    [`select count(*) + 1 from ${s}.persons`, /plainly/],
    [``, /empty/],
    [` ; `, /empty/],
    [`select $1 as person_id`, /placeholder|parser|parameter/i],
  ];

  it('refuses anything but one read-only SELECT of keys, and changes nothing', async () => {
    await members.replace('picked', ['p1']);
    // Only a read-only transaction stops a function that writes (BigQuery has none: docs/warehouses.md).
    const cases = HOSTILE(env.schema).filter(([text]) => env.wh.readOnlyStage !== undefined || !text.includes('nextval'));
    for (const [text, reason] of cases) {
      for (const run of [() => members.populate('picked', text, 'populateSql'), () => members.removeByQuery('picked', text, 'removeSql')]) {
        const err = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, text).toBeInstanceOf(UserInputError);
        const problem = (err as UserInputError).problems[0]!;
        expect(problem.path).toMatch(/^(populateSql|removeSql)$/);
        if (!engine.fake) expect(problem.message, text).toMatch(reason);
      }
    }
    expect((await env.wh.query<{ n: number }>(`select count(*)::int as n from ${env.schema}.canary`))[0]!.n).toBe(2);
    expect(await env.wh.columns(`${env.schema}.made`)).toBeUndefined();
    expect(await storedKeys('picked')).toEqual(['p1']);
  });
});
