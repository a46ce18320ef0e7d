import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMembers, dialectFor } from '../../src/segments';
import { membersForSync } from '../../src/segments/build/split';
import { DIALECTS } from '../../src/warehouse/dialect';
import { type BucketRange, groupOfBucket, layoutOf, rebalance, settleSplits, SPLIT_BUCKETS, splitBucket } from '../../src/segments/splits';
import { zodProblems } from '../../src/config/load';
import { workspaceSchema } from '../../src/config/schema';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';

/** A workspace over `<schema>.persons` (ids `0`..`n-1` as text) with one split segment. */
function splitWorkspace(schema: string, splits: unknown[], salt?: string) {
  return workspaceSchema.parse({
    version: 1,
    warehouse: { type: 'duckdb' },
    entities: [{ id: 'person', table: `${schema}.persons`, primaryKey: 'person_id' }],
    segments: [{ id: 'exp', entity: 'person', name: 'Experiment', type: 'everyone', splits, ...(salt ? { salt } : {}) }],
  });
}

const SHARES = [
  { name: 'treatment', percent: 70 },
  { name: 'control', percent: 20 },
  { name: 'holdout', percent: 10 },
];
const MEMBERS = 100_000;
/** The chi-square critical value for 2 degrees of freedom at alpha = 0.001. */
const CHI2_2DF_0_001 = 13.816;

interface Engine {
  name: string;
  open(): Promise<{ warehouse: WarehouseDriver; schema: string; close(): Promise<void> }>;
}
const engines: Engine[] = [
  {
    name: 'duckdb',
    async open() {
      const warehouse = await DuckDbDriver.open({ path: ':memory:' });
      await warehouse.execute('create schema d');
      await warehouse.execute(`create table d.persons as select cast(i as varchar) as person_id from range(${MEMBERS}) t(i)`);
      return { warehouse, schema: 'd', close: () => warehouse.close() };
    },
  },
];
if (await postgresReachable())
  engines.push({
    name: 'postgres',
    async open() {
      const warehouse = await openTestPostgres();
      const schema = uniqueSchema('splits');
      await warehouse.execute(`create schema ${schema}`);
      await warehouse.execute(`create table ${schema}.persons as select cast(i as text) as person_id from generate_series(0, ${MEMBERS - 1}) i`);
      return {
        warehouse,
        schema,
        close: async () => {
          await warehouse.execute(`drop schema ${schema} cascade`);
          await warehouse.close();
        },
      };
    },
  });

describe.each(engines)('split groups computed on $name', (engine) => {
  let w: Awaited<ReturnType<Engine['open']>>;
  beforeAll(async () => {
    w = await engine.open();
  });
  afterAll(async () => {
    await w.close();
  });

  async function groups(splits: unknown[], salt?: string): Promise<Map<string, string>> {
    const ws = splitWorkspace(w.schema, splits, salt);
    const q = compileMembers(ws, 'exp', { dialect: w.warehouse.dialect, asOf: new Date(), splitGroup: true });
    const rows = await w.warehouse.query<{ person_id: string; split_group: string }>(q.sql, q.params);
    return new Map(rows.map((r) => [r.person_id, r.split_group]));
  }

  let spring: Map<string, string> | undefined;
  it('gives every member the group its bucket falls in, as the reference computes it', async () => {
    const got = (spring ??= await groups(SHARES, 'spring'));
    expect(got.size).toBe(MEMBERS);
    const layout = layoutOf(SHARES);
    let mismatches = 0;
    for (const [id, group] of got) if (groupOfBucket(layout, splitBucket('exp', 'spring', id)) !== group) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('agrees with the reference on random keys and salts (any Unicode text, quotes, separators)', async () => {
    const table = `${w.schema}.random_keys`;
    const key = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((k) => !k.includes('\u0000'));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { minLength: 1, maxLength: 25 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), async (keys, salt) => {
        await w.warehouse.execute(`drop table if exists ${table}`);
        await w.warehouse.execute(`create table ${table} (person_id text)`);
        const d = w.warehouse.dialect;
        await w.warehouse.execute(`insert into ${table} values ${keys.map((_, i) => `(${d.placeholder(i)})`).join(', ')}`, keys);
        const ws = workspaceSchema.parse({
          version: 1,
          warehouse: { type: 'duckdb' },
          entities: [{ id: 'person', table, primaryKey: 'person_id' }],
          segments: [{ id: 'exp', entity: 'person', name: 'Experiment', type: 'everyone', salt, splits: SHARES }],
        });
        const q = compileMembers(ws, 'exp', { dialect: d, asOf: new Date(), splitGroup: true });
        const rows = await w.warehouse.query<{ person_id: string; split_group: string }>(q.sql, q.params);
        const layout = layoutOf(SHARES);
        expect(new Map(rows.map((r) => [r.person_id, r.split_group]))).toEqual(new Map(keys.map((k) => [k, groupOfBucket(layout, splitBucket('exp', salt, k))])));
      }),
      { numRuns: 25, seed: 4 },
    );
  });

  it('realises the percentages on 100,000 members (chi-square goodness of fit, alpha 0.001)', async () => {
    const counts = new Map<string, number>();
    for (const g of (spring ??= await groups(SHARES, 'spring')).values()) counts.set(g, (counts.get(g) ?? 0) + 1);
    const chi2 = SHARES.reduce((sum, g) => {
      const expected = (MEMBERS * g.percent) / 100;
      return sum + (counts.get(g.name)! - expected) ** 2 / expected;
    }, 0);
    expect(chi2).toBeLessThan(CHI2_2DF_0_001);
  });
});

/** Random percentages in hundredths (as bucket counts) over `n` groups, summing to SPLIT_BUCKETS. */
const percentVector = (n: number) =>
  fc.array(fc.integer({ min: 0, max: SPLIT_BUCKETS }), { minLength: n - 1, maxLength: n - 1 }).map((cuts) => {
    const sorted = [0, ...cuts.sort((a, b) => a - b), SPLIT_BUCKETS];
    return sorted.slice(1).map((c, i) => (c - sorted[i]!) / 100);
  });

const names = ['a', 'b', 'c', 'd', 'e', 'f'];
/**
 * Groups before (with an earlier layout of the same groups, so ranges are fragmented) and after:
 * names drawn from a shared pool, so groups come, go and stay.
 */
const oldAndNew = fc
  .tuple(fc.subarray(names, { minLength: 1 }), fc.subarray(names, { minLength: 1 }))
  .chain(([before, after]) =>
    fc.tuple(fc.constant(before), percentVector(before.length), percentVector(before.length), fc.constant(after), percentVector(after.length)),
  )
  .map(([before, p0, p, after, q]) => ({
    earlier: before.map((name, i) => ({ name, percent: p0[i]! })),
    before: before.map((name, i) => ({ name, percent: p[i]! })),
    after: after.map((name, i) => ({ name, percent: q[i]! })),
  }));

/** The group of each bucket. */
function owners(layout: readonly { name: string; buckets: readonly BucketRange[] }[]): (string | undefined)[] {
  const out: (string | undefined)[] = new Array(SPLIT_BUCKETS).fill(undefined);
  for (const g of layout) for (const [first, last] of g.buckets) for (let b = first; b <= last; b++) out[b] = g.name;
  return out;
}

describe('rebalancing a split (the Census rule)', () => {
  it('keeps every bucket of a group that did not shrink, moves buckets only into groups that grew, gives each group its share', () => {
    fc.assert(
      fc.property(oldAndNew, ({ earlier, before, after }) => {
        const old = rebalance(layoutOf(earlier), before);
        const next = rebalance(old, after);
        const was = owners(old);
        const now = owners(next);
        const sizes = (layout: typeof old) => new Map(layout.map((g) => [g.name, g.buckets.reduce((n, [f, l]) => n + l - f + 1, 0)]));
        const [oldSizes, nextSizes] = [sizes(old), sizes(next)];
        const count = (layout: typeof old, name: string) => (layout === old ? oldSizes : nextSizes).get(name) ?? 0;
        expect(after.map((g) => count(next, g.name))).toEqual(after.map((g) => Math.round(g.percent * 100)));
        expect(now.filter((o) => o === undefined)).toEqual([]);
        const wrong: string[] = [];
        for (let b = 0; b < SPLIT_BUCKETS; b++) {
          const from = was[b]!;
          const to = now[b]!;
          if (from === to) continue;
          if (count(next, from) >= count(old, from)) wrong.push(`bucket ${b} left ${from}, which did not shrink`);
          if (count(next, to) <= count(old, to)) wrong.push(`bucket ${b} joined ${to}, which did not grow`);
        }
        expect(wrong.slice(0, 3)).toEqual([]);
      }),
      { numRuns: 200, seed: 18 },
    );
  });

  it('settles a stored segment: same percentages keep the buckets, a new salt lays them out afresh', () => {
    const ws = splitWorkspace('d', [
      { name: 'a', percent: 50, syncs: [] },
      { name: 'b', percent: 50 },
    ]);
    const first = settleSplits(ws.segments[0]!, undefined);
    expect(first.splits!.map((g) => g.buckets)).toEqual([[[0, 4999]], [[5000, 9999]]]);
    const grown = settleSplits({ ...first, splits: [{ name: 'a', percent: 40, syncs: [] }, { name: 'b', percent: 40, syncs: [] }, { name: 'c', percent: 20, syncs: [] }] }, first);
    expect(grown.splits!.map((g) => g.buckets)).toEqual([[[0, 3999]], [[5000, 8999]], [[4000, 4999], [9000, 9999]]]);
    expect(settleSplits({ ...grown, splits: grown.splits!.map(({ buckets: _, ...g }) => g) }, grown)).toEqual(grown);
    const salted = settleSplits({ ...grown, salt: 'v2', splits: grown.splits!.map(({ buckets: _, ...g }) => g) }, grown);
    expect(salted.splits!.map((g) => g.buckets)).toEqual([[[0, 3999]], [[4000, 7999]], [[8000, 9999]]]);
  });
});

describe('split SQL on every dialect', () => {
  // BigQuery and Snowflake cannot run here: their text is reviewed against each engine's documentation and frozen.
  it.each(DIALECTS)('%s: the bucket from one bound prefix and the key, group ranges and names bound', (dialect) => {
    const ws = splitWorkspace('crm', [
      { name: 'treatment', percent: 90, syncs: [] },
      { name: 'holdout', percent: 10 },
    ]);
    const q = compileMembers(ws, 'exp', { dialect: dialectFor(dialect), asOf: new Date('2026-01-01T00:00:00Z'), splitGroup: true });
    expect([...q.params].sort()).toEqual([0, 8999, 9000, 9999, 'exp:v1:', 'holdout', 'treatment'].sort());
    expect(q).toMatchSnapshot();
    expect(membersForSync(ws.segments[0]!, 'none', q, dialectFor(dialect)).sql).toMatch(/1 = 0$/);
  });
});

describe('split definitions are checked like the rest of the workspace file', () => {
  const problems = (splits: unknown[], extra: Record<string, unknown> = {}) => {
    const parsed = workspaceSchema.safeParse({
      version: 1,
      warehouse: { type: 'duckdb' },
      entities: [{ id: 'person', table: 'persons', primaryKey: 'person_id' }],
      segments: [
        { id: 'exp', entity: 'person', name: 'Experiment', type: 'everyone', splits, ...extra },
        { id: 'other', entity: 'person', name: 'Other', type: 'everyone' },
      ],
      destinations: [{ id: 'files', type: 'file', settings: { path: 'out' } }],
      syncs: [
        { id: 'exp-a', segment: 'exp', destination: 'files' },
        { id: 'other-a', segment: 'other', destination: 'files' },
      ],
    });
    return parsed.success ? [] : zodProblems(parsed.error).map((p) => `${p.path}: ${p.message}`);
  };

  it('accepts percents adding up to 100, a holdout without syncs, and names each problem by its path', () => {
    expect(problems([{ name: 'a', percent: 87.5, syncs: ['exp-a'] }, { name: 'hold', percent: 12.5 }], { salt: 'q3' })).toEqual([]);
    expect(problems([{ name: 'a', percent: 60, syncs: ['exp-a'] }, { name: 'b', percent: 30 }])).toEqual(['segments[0].splits: the percents add up to 90; they must add up to 100']);
    expect(problems([{ name: 'a', percent: 50, syncs: ['exp-a'] }, { name: 'a', percent: 50 }])).toEqual(['segments[0].splits[1].name: duplicate group "a" (first at index 0)']);
    expect(problems([{ name: 'a', percent: 33.333, syncs: ['exp-a'] }, { name: 'b', percent: 66.667 }])[0]).toMatch(/^segments\[0\]\.splits\[0\]\.percent: a percent in hundredths/);
    expect(problems([{ name: 'a', percent: 50, syncs: ['exp-a', 'other-a'] }, { name: 'b', percent: 50, syncs: ['nope'] }])).toEqual([
      'segments[0].splits[0].syncs[1]: sync "other-a" is of segment "other", not "exp"',
      'segments[0].splits[1].syncs[0]: unknown sync "nope"',
    ]);
    // A sync no group names is allowed (it sends no one): the API creates the sync before a group can name it.
    expect(problems([{ name: 'a', percent: 50 }, { name: 'b', percent: 50 }])).toEqual([]);
    expect(problems([{ name: 'a', percent: 50, syncs: ['exp-a'], buckets: [[0, 4999]] }, { name: 'b', percent: 50, buckets: [[4000, 8999]] }])).toEqual([
      'segments[0].splits[1].buckets: bucket 4000 is held by another group too',
    ]);
  });
});
