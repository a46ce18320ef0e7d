import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { type Catalog, compileCount, compileMembers, dialectFor } from '../../src/segments';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { AS_OF, fixtureWorkspace, loadFixture } from './compiler-fixture';
import { engines } from './compiler-engines';

type Cond = Record<string, unknown>;
const trait = (t: string, op: string, value?: unknown): Cond => ({ kind: 'trait', trait: t, op, ...(value === undefined ? {} : { value }) });
const purchase = (extra: Cond = {}): Cond => ({ kind: 'event', event: 'purchase', ...extra });
const lastMonth = { last: 1, unit: 'month' };

/** Helper segments that the cases reference. */
const HELPERS = [
  { id: 'buyers-month', rules: { conditions: [purchase({ window: lastMonth })] } },
  { id: 'old-pro', rules: { conditions: [trait('age', '>', 25), trait('plan', '=', 'pro')] } },
  { id: 'b-or-tech', rules: { match: 'any', conditions: [trait('name', 'starts_with', 'b'), trait('company.industry', '=', 'tech')] } },
  { id: 'few-buys', rules: { conditions: [purchase({ count: { op: '<', value: 2 } })] } },
  { id: 'picked', type: 'static', members: ['1', '3', '99'] },
  { id: 'nobody', type: 'static', members: [] },
  { id: 'all', type: 'everyone' },
  { id: 'ref-ref', rules: { conditions: [{ kind: 'segment', segment: 'old-pro', member: false }] } },
];

/** [what is checked, conditions (or a whole segment), expected members] — worked by hand from compiler-fixture.ts. */
const CASES: [string, Cond[] | Cond, number[]][] = [
  // events, windows, as-of
  ['performed in the last calendar month (both boundaries inclusive)', [purchase({ window: lastMonth })], [1, 2, 4]],
  ['performed: false includes persons without events', [purchase({ window: lastMonth, performed: false })], [3, 5]],
  ['events after as-of never count', [{ kind: 'event', event: 'page_view' }], [1]],
  ['count < 2 includes zero events', [purchase({ window: lastMonth, count: { op: '<', value: 2 } })], [2, 3, 5]],
  ['count >= 2', [purchase({ count: { op: '>=', value: 2 } })], [1, 4]],
  ['count = 0', [purchase({ count: { op: '=', value: 0 } })], [3, 5]],
  ['count != 1 includes zero', [purchase({ count: { op: '!=', value: 1 } })], [1, 3, 4, 5]],
  ['count > 2', [purchase({ count: { op: '>', value: 2 } })], [4]],
  ['count = 2', [purchase({ count: { op: '=', value: 2 } })], [1]],
  ['count <= 1', [purchase({ count: { op: '<=', value: 1 } })], [2, 3, 5]],
  ['count >= 0 is everyone', [purchase({ count: { op: '>=', value: 0 } })], [1, 2, 3, 4, 5]],
  ['count > 0 is performed', [purchase({ count: { op: '>', value: 0 } })], [1, 2, 4]],
  ['absolute window: from inclusive, to exclusive', [purchase({ window: { from: '2024-03-15T00:00:00Z', to: '2024-03-30T00:00:00Z' } })], [4]],
  ['absolute window never reaches past as-of', [purchase({ window: { from: '2024-03-31', to: '2024-05-01' } })], [1]],
  ['weeks', [purchase({ window: { last: 2, unit: 'week' } })], [1]],
  ['hours (start inclusive)', [purchase({ window: { last: 36, unit: 'hour' } })], [1]],
  ['minutes (as-of inclusive)', [purchase({ window: { last: 1, unit: 'minute' } })], [1]],
  ['days', [purchase({ window: { last: 16, unit: 'day' } })], [1, 4]],
  // where filters
  ['where amount > 10', [purchase({ where: [{ column: 'amount', op: '>', value: 10 }] })], [1, 4]],
  ['where contains "_" matches literally', [purchase({ where: [{ column: 'product', op: 'contains', value: '_' }] })], [1, 4]],
  ['where contains "%_" matches literally', [purchase({ where: [{ column: 'product', op: 'contains', value: '%_' }] })], [4]],
  ['where contains is case-insensitive', [purchase({ where: [{ column: 'product', op: 'contains', value: 'big_b' }] })], [1]],
  ['where != is true on null', [purchase({ count: { op: '>=', value: 2 }, where: [{ column: 'product', op: '!=', value: 'small' }] })], [4]],
  ['where is_not_set', [purchase({ where: [{ column: 'product', op: 'is_not_set' }] })], [4]],
  // sessions
  ['sessions >= 2 (distinct, non-null)', [{ kind: 'sessions', count: { op: '>=', value: 2 } }], [1, 4]],
  ['sessions < 2 includes persons without events', [{ kind: 'sessions', count: { op: '<', value: 2 } }], [2, 3, 5]],
  ['sessions = 1', [{ kind: 'sessions', count: { op: '=', value: 1 } }], [2]],
  ['sessions in a window', [{ kind: 'sessions', count: { op: '>=', value: 2 }, window: lastMonth }], [1]],
  // first / last seen
  ['first_seen within_last', [{ kind: 'first_seen', op: 'within_last', value: lastMonth }], [2]],
  ['first_seen not_within_last (never seen: false)', [{ kind: 'first_seen', op: 'not_within_last', value: lastMonth }], [1, 4]],
  ['last_seen within_last', [{ kind: 'last_seen', op: 'within_last', value: { last: 7, unit: 'day' } }], [1]],
  ['last_seen not_within_last ignores later events', [{ kind: 'last_seen', op: 'not_within_last', value: { last: 7, unit: 'day' } }], [2, 4]],
  // identified
  ['identified by default: email or phone', [{ kind: 'identified', value: true }], [1, 2, 5]],
  ['not identified by default', [{ kind: 'identified', value: false }], [3, 4]],
  // traits
  ['= is exact', [trait('name', '=', 'bob')], [2]],
  ['= is case-sensitive', [trait('name', '=', 'Bob')], []],
  ['!= is true on null and case-sensitive', [trait('plan', '!=', 'pro')], [2, 3, 4]],
  ['in', [trait('plan', 'in', ['pro', 'free'])], [1, 3, 5]],
  ['not_in is true on null', [trait('plan', 'not_in', ['pro'])], [2, 3, 4]],
  ['contains "% real_" literally', [trait('name', 'contains', '% real_')], [3]],
  ['contains a backslash literally', [trait('name', 'contains', '\\')], [3]],
  ['contains a quote, case-insensitively', [trait('name', 'contains', "o'b")], [4]],
  ['contains "ALI"', [trait('name', 'contains', 'ALI')], [1]],
  ['not_contains', [trait('name', 'not_contains', 'o')], [1, 3, 5]],
  ['starts_with', [trait('name', 'starts_with', 'B')], [2]],
  ['starts_with "_" is literal', [trait('name', 'starts_with', '_')], []],
  ['starts_with "100%"', [trait('name', 'starts_with', '100%')], [3]],
  ['ends_with a backslash', [trait('name', 'ends_with', '\\')], [3]],
  ['ends_with, case-insensitive', [trait('name', 'ends_with', 'EN')], [4]],
  ['> on numbers (false on null)', [trait('age', '>', 25)], [1, 3, 5]],
  ['<=', [trait('age', '<=', 30)], [1, 4]],
  ['!= on numbers is true on null', [trait('age', '!=', 30)], [2, 3, 4, 5]],
  ['is_set', [trait('age', 'is_set')], [1, 3, 4, 5]],
  ['is_not_set', [trait('age', 'is_not_set')], [2]],
  ['within_last on a timestamp trait (future values are not within)', [trait('signed_up_at', 'within_last', { last: 7, unit: 'day' })], [1]],
  ['not_within_last on a timestamp trait (false on null and future)', [trait('signed_up_at', 'not_within_last', { last: 7, unit: 'day' })], [2, 4]],
  ['> on a timestamp trait with an ISO value', [trait('signed_up_at', '>', '2024-03-01T00:00:00Z')], [1, 5]],
  ['= true on a boolean trait', [trait('verified', '=', true)], [1, 4]],
  // relation traits
  ['relation trait', [trait('company.industry', '=', 'tech')], [1, 5]],
  ['relation !=: missing row, null key and null value read as null', [trait('company.industry', '!=', 'tech')], [2, 3, 4]],
  ['relation is_not_set', [trait('company.industry', 'is_not_set')], [2, 3, 4]],
  // segments, groups, static, everyone
  ['segment member', [{ kind: 'segment', segment: 'buyers-month' }], [1, 2, 4]],
  ['segment member: false', [{ kind: 'segment', segment: 'buyers-month', member: false }], [3, 5]],
  ['member: false negates > with nulls', [{ kind: 'segment', segment: 'old-pro', member: false }], [2, 3, 4]],
  ['member: false negates an any-group', [{ kind: 'segment', segment: 'b-or-tech', member: false }], [3, 4]],
  ['member: false negates a zero-including count', [{ kind: 'segment', segment: 'few-buys', member: false }], [1, 4]],
  ['double negation through two references', [{ kind: 'segment', segment: 'ref-ref', member: false }], [1, 5]],
  ['static reference', [{ kind: 'segment', segment: 'picked' }], [1, 3]],
  ['static reference, member: false', [{ kind: 'segment', segment: 'picked', member: false }], [2, 4, 5]],
  ['empty static reference, member: false', [{ kind: 'segment', segment: 'nobody', member: false }], [1, 2, 3, 4, 5]],
  ['everyone reference, member: false', [{ kind: 'segment', segment: 'all', member: false }], []],
  ['static segment', { type: 'static', members: ['2', '4', 'x'] }, [2, 4]],
  ['everyone segment', { type: 'everyone' }, [1, 2, 3, 4, 5]],
  ['match: any', { rules: { match: 'any', conditions: [trait('name', '=', 'bob'), trait('age', '=', 20)] } }, [2, 4]],
  [
    'nested groups to depth 5',
    [
      {
        kind: 'group',
        match: 'any',
        conditions: [
          trait('name', '=', 'Eve'),
          {
            kind: 'group',
            match: 'all',
            conditions: [
              trait('age', '>=', 20),
              {
                kind: 'group',
                match: 'any',
                conditions: [
                  trait('plan', '=', 'free'),
                  { kind: 'group', match: 'all', conditions: [purchase({ window: lastMonth }), { kind: 'segment', segment: 'old-pro', member: false }] },
                ],
              },
            ],
          },
        ],
      },
    ],
    [3, 4, 5],
  ],
];

function workspaceFor(schema: string, spec: Cond[] | Cond) {
  const target = Array.isArray(spec) ? { id: 'target', rules: { conditions: spec } } : { id: 'target', ...spec };
  return fixtureWorkspace(schema, [...HELPERS, target]);
}

describe.each(engines())('compiler on $name', (engine) => {
  let wh: WarehouseDriver;
  const schema = `cmp_${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    wh = await engine.open();
    await loadFixture(wh, schema);
  });
  afterAll(async () => {
    await wh?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await wh?.close();
  });

  const run = async (ws: ReturnType<typeof workspaceFor>, id = 'target') => {
    const q = compileMembers(ws, id, { dialect: wh.dialect, asOf: AS_OF });
    const rows = await wh.query<{ person_id: string }>(q.sql, q.params);
    return rows.map((r) => Number(r.person_id)).sort((a, b) => a - b);
  };

  it.each(CASES)('%s', async (_what, spec, expected) => {
    const ws = workspaceFor(schema, spec);
    expect(await run(ws)).toEqual(expected);
    const c = compileCount(ws, 'target', { dialect: wh.dialect, asOf: AS_OF });
    const [row] = await wh.query<{ n: number }>(c.sql, c.params);
    expect(Number(row!.n)).toBe(expected.length);
  });

  it('identified per identifiedColumn (a null flag is not identified)', async () => {
    const ws = fixtureWorkspace(schema, [
      { id: 'yes', rules: { conditions: [{ kind: 'identified', value: true }] } },
      { id: 'no', rules: { conditions: [{ kind: 'identified', value: false }] } },
    ], { identifiedColumn: 'verified' });
    expect(await run(ws, 'yes')).toEqual([1, 4]);
    expect(await run(ws, 'no')).toEqual([2, 3, 5]);
  });

  it('reads an entity defined by SQL, keeping its text as written', async () => {
    const ws = fixtureWorkspace(schema, [{ id: 'spaced', rules: { conditions: [trait('tag', '=', 'a  b'), trait('age', '>', 25)] } }], {
      table: undefined,
      sql: `SELECT p.*, 'a  b' AS tag FROM ${schema}.persons p WHERE p.plan IS NOT NULL`,
    });
    expect(await run(ws, 'spaced')).toEqual([1, 3, 5]);
  });

  it('returns the primary key and requested identifiers as text', async () => {
    const ws = workspaceFor(schema, [trait('age', '>', 25)]);
    const q = compileMembers(ws, 'target', { dialect: wh.dialect, asOf: AS_OF, identifiers: ['email', 'phone'] });
    const rows = await wh.query(q.sql, q.params);
    const sorted = rows.sort((a, b) => String(a.person_id).localeCompare(String(b.person_id)));
    expect(sorted).toEqual([
      { person_id: '1', email: 'alice@x.com', phone: null },
      { person_id: '3', email: null, phone: null },
      { person_id: '5', email: 'eve@x.com', phone: null },
    ]);
  });

  it('counts on a calendar: "1 month" before Mar 31 starts on Feb 29', async () => {
    const ws = workspaceFor(schema, [purchase({ window: lastMonth })]);
    // One second later the window starts at Feb 29 12:00:01, so person 2's Feb 29 12:00 purchase falls out.
    const q = compileMembers(ws, 'target', { dialect: wh.dialect, asOf: new Date('2024-03-31T12:00:01Z') });
    const rows = await wh.query<{ person_id: string }>(q.sql, q.params);
    expect(rows.map((r) => r.person_id).sort()).toEqual(['1', '4']);
  });

  const catalogOf = async () => {
    const catalog: Catalog = new Map();
    for (const t of ['persons', 'events', 'companies']) catalog.set(`${schema}.${t}`, (await wh.columns(`${schema}.${t}`))!);
    return catalog;
  };

  it('compares numbers as numbers: a fraction against an INTEGER column is no error', async () => {
    expect(await run(workspaceFor(schema, [trait('age', '=', 30.5)]))).toEqual([]);
    expect(await run(workspaceFor(schema, [trait('age', '<', 30.5)]))).toEqual([1, 4]);
    expect(await run(workspaceFor(schema, [trait('age', 'in', [30, 20.5])]))).toEqual([1]);
    expect(await run(workspaceFor(schema, [purchase({ where: [{ column: 'amount', op: '<', value: 1.5 }] })]))).toEqual([4]);
  });

  it('compares ISO text with a DATE column by its UTC date, with or without a catalog', async () => {
    const catalog = await catalogOf();
    const members = async (conds: Cond[], withCatalog: boolean) => {
      const q = compileMembers(workspaceFor(schema, conds), 'target', { dialect: wh.dialect, asOf: AS_OF, ...(withCatalog ? { catalog } : {}) });
      return (await wh.query<{ person_id: string }>(q.sql, q.params)).map((r) => r.person_id).sort();
    };
    for (const withCatalog of [false, true]) {
      expect(await members([trait('birthday', '=', '2024-03-31T06:00:00Z')], withCatalog)).toEqual(['1']);
      expect(await members([trait('birthday', '<', '2024-04-01T06:00:00Z')], withCatalog)).toEqual(['1']);
      expect(await members([trait('birthday', '>=', '2024-03-31')], withCatalog)).toEqual(['1', '2']);
    }
    expect(await members([trait('birthday', 'in', ['2024-04-01T23:00:00Z'])], true)).toEqual(['2']);
  });

  it('with a catalog, compares ISO text with a TIMESTAMP column as a UTC instant, whatever its offset', async () => {
    const catalog = await catalogOf();
    const ws = workspaceFor(schema, [trait('signed_up_at', '=', '2024-03-25T02:00:00+02:00')]);
    const q = compileMembers(ws, 'target', { dialect: wh.dialect, asOf: AS_OF, catalog });
    expect((await wh.query<{ person_id: string }>(q.sql, q.params)).map((r) => r.person_id)).toEqual(['1']);
  });

  it('type-checks values against the catalog', async () => {
    const catalog = await catalogOf();
    const fails = (conds: Cond[], path: string) => {
      const ws = workspaceFor(schema, conds);
      const attempt = () => compileMembers(ws, 'target', { dialect: wh.dialect, asOf: AS_OF, catalog });
      expect(attempt).toThrow(UserInputError);
      try {
        attempt();
      } catch (err) {
        expect((err as UserInputError).problems[0]!.path).toBe(path);
      }
    };
    const at = `segments[${HELPERS.length}].rules.conditions[0]`;
    fails([trait('age', '=', 'thirty')], `${at}.value`);
    fails([trait('name', '>', 3)], `${at}.value`);
    fails([trait('age', 'contains', '3')], `${at}.op`);
    fails([trait('name', 'within_last', { last: 1, unit: 'day' })], `${at}.op`);
    fails([trait('company.industry', 'in', ['tech', 1])], `${at}.value`);
    fails([trait('nope', '=', 1)], `${at}.trait`);
    fails([purchase({ where: [{ column: 'amount', op: '=', value: 'x' }] })], `${at}.where[0].value`);
    // The same conditions with fitting values compile.
    const ok = workspaceFor(schema, [trait('age', '=', 30), trait('signed_up_at', '>', '2024-01-01'), trait('verified', '=', true)]);
    expect(() => compileMembers(ok, 'target', { dialect: wh.dialect, asOf: AS_OF, catalog })).not.toThrow();
  });
});

describe('compiler API', () => {
  const ws = workspaceFor('s', [trait('name', '=', 'x')]);
  it('rejects an unknown segment id as invalid input', () => {
    expect(() => compileMembers(ws, 'nope', { dialect: dialectFor('duckdb'), asOf: AS_OF })).toThrow(UserInputError);
  });
  it('rejects an identifier kind the entity does not map', () => {
    expect(() => compileMembers(ws, 'target', { dialect: dialectFor('duckdb'), asOf: AS_OF, identifiers: ['mobileAdId'] })).toThrow(
      /maps no "mobileAdId"/,
    );
  });
  it('rejects control characters in an entity\'s SQL (the printer marks placeholders with them)', () => {
    const sqlWs = fixtureWorkspace('s', [{ id: 'e', type: 'everyone' }], { table: undefined, sql: 'SELECT 1 AS person_id WHERE \u00010\u0001' });
    expect(() => compileMembers(sqlWs, 'e', { dialect: dialectFor('duckdb'), asOf: AS_OF })).toThrow(/entities\[0\]\.sql/);
  });
  it('refuses a segment whose references expand past the limit instead of printing it', () => {
    const chain = [{ id: 'c0', rules: { conditions: [trait('name', '=', 'x')] } }];
    for (let i = 1; i <= 14; i++) {
      const ref = { kind: 'segment', segment: `c${i - 1}` };
      chain.push({ id: `c${i}`, rules: { conditions: [ref, { ...ref, member: false }] } } as never);
    }
    const deep = fixtureWorkspace('s', chain);
    expect(() => compileMembers(deep, 'c8', { dialect: dialectFor('duckdb'), asOf: AS_OF })).not.toThrow();
    expect(() => compileMembers(deep, 'c14', { dialect: dialectFor('duckdb'), asOf: AS_OF })).toThrow(/segments\[14\]\.rules: .*more than 5000/);
  });
  it('binds every value and numbers placeholders from paramOffset', () => {
    const q = compileMembers(ws, 'target', { dialect: dialectFor('postgres'), asOf: AS_OF, paramOffset: 2 });
    expect(q.sql).toContain('"name" = $3');
    expect(q.sql).not.toContain("'x'");
    expect(q.params).toEqual(['x']);
  });
  it('compiles a 50-condition segment quickly', () => {
    const conds = Array.from({ length: 50 }, (_, i) =>
      i % 3 === 0 ? purchase({ window: lastMonth, count: { op: '<', value: i + 1 } }) : trait('name', i % 2 ? 'contains' : '=', `v${i}`),
    );
    const big = workspaceFor('s', conds);
    compileMembers(big, 'target', { dialect: dialectFor('duckdb'), asOf: AS_OF });
    const t = performance.now();
    for (let i = 0; i < 20; i++) compileMembers(big, 'target', { dialect: dialectFor('duckdb'), asOf: AS_OF });
    // Generous bound: a regression guard, not a benchmark (bench/ measures it).
    expect((performance.now() - t) / 20).toBeLessThan(50);
  });
});

