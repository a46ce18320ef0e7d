import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMembers } from '../../src/segments';
import { refreshSegment, refreshWithDependencies } from '../../src/state/membership';
import { availableBackends, type BackendName, openBackend, type TestWarehouse, workspaceFor } from '../sync/support/backends';
import { createPeople, people } from '../sync/support/people';

// The BigQuery and Snowflake fakes run DuckDB underneath, without those engines' date functions
// (DATETIME_SUB, DATEADD) that closing a stay at retention's end uses: golden SQL covers them.
const backends = (await availableBackends()).filter((b) => b === 'duckdb' || b === 'postgres');
const day = (n: number) => new Date(Date.UTC(2026, 1, n));
const iso = (d: Date | null) => d?.toISOString() ?? null;

// Retention worked by hand (docs/segments.md "Retention"): `kept` is "vip", kept 7 days after a
// person's last match at a refresh; `not-kept` references it negated.
describe.each(backends)('retention days on %s', (name: BackendName) => {
  let b: TestWarehouse;
  let n = 0;
  beforeAll(async () => {
    b = await openBackend(name, 'ret');
  });
  afterAll(async () => {
    await b.close();
  });

  async function setup() {
    const schema = `${b.data}_${++n}`;
    await b.warehouse.execute(`create schema ${schema}`);
    await createPeople(b.warehouse, schema, people(4, (i) => i < 2));
    const ws = workspaceFor(
      { ...b, state: `${b.state}_${n}` },
      `entities:
  - {id: person, table: ${schema}.persons, primaryKey: person_id, identifiers: {email: email}}
segments:
  - id: kept
    entity: person
    name: Kept
    retentionDays: 7
    rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}
  - id: kept-split
    entity: person
    name: Kept and split
    retentionDays: 7
    splits: [{name: a, percent: 50}, {name: b, percent: 50}]
    rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}
  - id: not-kept
    entity: person
    name: Not kept
    rules: {match: all, conditions: [{kind: segment, segment: kept, member: false}]}
`,
    );
    const deps = { warehouse: b.warehouse, workspace: ws };
    const vip = (id: string, value: boolean) => b.warehouse.execute(`update ${schema}.persons set vip = ${value} where person_id = '${id}'`);
    const q = <T extends Record<string, unknown>>(sql: string) => b.warehouse.query<T>(sql.replaceAll('{s}', ws.stateSchema));
    const members = async (id: string, asOf: Date) => {
      const c = compileMembers(ws, id, { dialect: b.warehouse.dialect, asOf });
      return (await b.warehouse.query<{ person_id: string }>(c.sql, c.params)).map((r) => String(r.person_id)).sort();
    };
    const stays = async (id: string) =>
      (
        await q<{ person_id: string; entered_at: Date; exited_at: Date | null }>(
          `select person_id, entered_at, exited_at from {s}.segment_membership_history where segment_id = '${id}' order by person_id, entered_at`,
        )
      ).map((r) => [r.person_id, iso(r.entered_at), iso(r.exited_at)]);
    return { ws, deps, vip, q, members, stays };
  }

  it('keeps a person N days after their last match, one stay across a re-qualification, and ends the stay when retention ends', async () => {
    const t = await setup();
    expect(await refreshSegment(t.deps, 'kept', day(1))).toMatchObject({ memberCount: 2, added: 2, removed: 0 });
    await t.vip('p0000', false);
    // Day 3: p0000 no longer matches, but last matched on day 1: retained.
    expect(await refreshSegment(t.deps, 'kept', day(3))).toMatchObject({ memberCount: 2, added: 0, removed: 0 });
    await t.vip('p0000', true);
    // Day 5: p0000 matches again during retention: the same stay goes on, last match day 5.
    expect(await refreshSegment(t.deps, 'kept', day(5))).toMatchObject({ memberCount: 2, added: 0, removed: 0 });
    await t.vip('p0000', false);
    // Day 12 = day 5 + 7: both ends of the window are inclusive.
    expect(await refreshSegment(t.deps, 'kept', day(12))).toMatchObject({ memberCount: 2, added: 0, removed: 0 });
    expect(await t.members('kept', day(12))).toEqual(['p0000', 'p0001']);
    await t.vip('p0001', false);
    // Day 13: retention is over for p0000 (day 12) but not for p0001 (last match day 12).
    expect(await t.members('kept', day(13))).toEqual(['p0001']);
    expect(await refreshSegment(t.deps, 'kept', day(13))).toMatchObject({ memberCount: 1, added: 0, removed: 1 });
    // p0000's stay ends when their retention ended (day 5 + 7 = day 12), not at the day-13 refresh
    // nor when they stopped matching.
    expect(await t.stays('kept')).toEqual([
      ['p0000', iso(day(1)), iso(day(12))],
      ['p0001', iso(day(1)), null],
    ]);
    // Refreshes later than retention reaches: p0001 ends on day 12 + 7.
    expect(await refreshSegment(t.deps, 'kept', day(25))).toMatchObject({ memberCount: 0, added: 0, removed: 1 });
    expect((await t.stays('kept')).find((s) => s[0] === 'p0001')).toEqual(['p0001', iso(day(1)), iso(day(19))]);
    const last = await t.q<{ person_id: string; last_matched_at: Date }>(`select person_id, last_matched_at from {s}.segment_last_matched where segment_id = 'kept' order by person_id`);
    expect(last.map((r) => [r.person_id, iso(r.last_matched_at)])).toEqual([
      ['p0000', iso(day(5))],
      ['p0001', iso(day(12))],
    ]);
  });

  it('an as-of before a person’s last match keeps them only if they match then (the recorded match is later)', async () => {
    const t = await setup();
    await refreshSegment(t.deps, 'kept', day(10));
    await t.vip('p0000', false);
    expect(await t.members('kept', day(12))).toEqual(['p0000', 'p0001']);
    expect(await t.members('kept', day(8))).toEqual(['p0001']);
  });

  it('a segment referencing one with retention sees its retained members, negated too', async () => {
    const t = await setup();
    await refreshWithDependencies(t.deps, 'not-kept', day(1));
    await t.vip('p0000', false);
    expect(await refreshWithDependencies(t.deps, 'not-kept', day(4))).toMatchObject([{ memberCount: 2 }, { memberCount: 2, added: 0, removed: 0 }]);
    expect(await t.members('not-kept', day(4))).toEqual(['p0002', 'p0003']);
    expect(await t.members('not-kept', day(9))).toEqual(['p0000', 'p0002', 'p0003']);
  });

  it('a split segment with retention keeps a retained member in their group, and the stay of that group ends when retention ends', async () => {
    const t = await setup();
    const groups = async () =>
      Object.fromEntries(
        (await t.q<{ person_id: string; split_group: string }>(`select person_id, split_group from {s}.segment_membership where segment_id = 'kept-split' order by person_id`)).map((r) => [r.person_id, r.split_group]),
      );
    await refreshSegment(t.deps, 'kept-split', day(1));
    const before = await groups();
    expect(Object.keys(before)).toEqual(['p0000', 'p0001']);
    for (const g of Object.values(before)) expect(['a', 'b']).toContain(g);
    await t.vip('p0000', false);
    expect(await refreshSegment(t.deps, 'kept-split', day(3))).toMatchObject({ memberCount: 2, added: 0, removed: 0 });
    expect(await groups()).toEqual(before);
    expect(await refreshSegment(t.deps, 'kept-split', day(9))).toMatchObject({ memberCount: 1, added: 0, removed: 1 });
    const history = await t.q<{ person_id: string; exited_at: Date | null; split_group: string }>(
      `select person_id, exited_at, split_group from {s}.segment_membership_history where segment_id = 'kept-split' order by person_id`,
    );
    expect(history.map((r) => [r.person_id, iso(r.exited_at), r.split_group])).toEqual([
      ['p0000', iso(day(8)), before.p0000],
      ['p0001', null, before.p0001],
    ]);
  });
});
