import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import type { SegmentConfig, Workspace } from '../../src/config/schema';
import { destinationFactory } from '../../src/destinations/registry';
import { groupOfBucket, layoutOf, settleSplits, splitBucket } from '../../src/segments/splits';
import { refreshSegment } from '../../src/state/membership';
import { ensureStateSchema } from '../../src/state/state-sql';
import { openStoreFor } from '../../src/store';
import { SharedMembers } from '../../src/sync/shared-members';
import { runSync } from '../../src/sync/steps';
import { availableBackends, openBackend, type TestWarehouse, workspaceFor } from './support/backends';
import { replayFileAudience } from './support/file-audience';
import { createPeople, people } from './support/people';

// DuckDB, PostgreSQL (when the test server answers), and BigQuery and Snowflake through their SDKs and local fakes.
const backends = await availableBackends();
const PERSONS = 400;
const DAY1 = '2026-04-01T00:00:00.000Z';
const DAY2 = '2026-04-02T00:00:00.000Z';

describe.each(backends)('a split segment on %s', (name) => {
  let b: TestWarehouse;
  let dir: string;
  beforeAll(async () => {
    b = await openBackend(name, 'split');
    dir = mkdtempSync(path.join(tmpdir(), 'outflow-split-'));
  });
  afterAll(async () => {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each sync only its groups, keeps members in their group across refreshes, and moves only members of a shrinking group', async () => {
    await createPeople(b.warehouse, b.data, people(PERSONS));
    let ws: Workspace = workspaceFor(
      b,
      `entities:
  - {id: person, table: ${b.data}.persons, primaryKey: person_id, identifiers: {email: email}}
segments:
  - id: checkout-test
    entity: person
    name: Checkout test
    type: everyone
    salt: spring
    splits:
      - {name: treatment, percent: 50, syncs: [treatment-file]}
      - {name: control, percent: 30, syncs: [control-file]}
      - {name: holdout, percent: 20}
destinations:
  - {id: files, type: file, settings: {path: exports}}
syncs:
  - {id: treatment-file, segment: checkout-test, destination: files, audienceName: checkout-variant-a}
  - {id: control-file, segment: checkout-test, destination: files, audienceName: checkout-variant-b}
  - {id: unnamed-file, segment: checkout-test, destination: files, audienceName: checkout-unnamed, allowEmpty: true}
`,
    );
    // As the store keeps it: with each group's buckets.
    const settle = (next: SegmentConfig, previous?: SegmentConfig) => ({ ...ws, segments: [settleSplits(next, previous)] });
    ws = settle(ws.segments[0]!);
    const ids = people(PERSONS).map((p) => p.id);
    const expected = (w: Workspace) => {
      const layout = layoutOf(w.segments[0]!.splits!);
      return new Map(ids.map((id) => [id, groupOfBucket(layout, splitBucket('checkout-test', 'spring', id))!]));
    };
    const inGroup = (groups: Map<string, string>, g: string) => ids.filter((id) => groups.get(id) === g).sort();

    const storeFile = path.join(dir, 'ws.yaml');
    writeFileSync(storeFile, `version: 1\nwarehouse: {type: duckdb}\nstore: {type: sqlite, path: store-${name}.sqlite}\nentities: [{id: person, table: main.persons, primaryKey: person_id}]\n`);
    const store = await openStoreFor(loadWorkspace(storeFile));
    const state = await ensureStateSchema(b.warehouse, ws.stateSchema);
    const membership = async () =>
      new Map(
        (await b.warehouse.query<{ person_id: string; split_group: string }>(`select person_id, split_group from ${ws.stateSchema}.segment_membership where segment_id = 'checkout-test'`)).map((r) => [
          r.person_id,
          r.split_group,
        ]),
      );

    /** One day: the treatment sync evaluates the segment itself, the control sync reads a shared evaluation that also refreshes the membership tables. */
    const day = async (asOf: string) => {
      const deps = { warehouse: b.warehouse, workspace: ws, destinations: destinationFactory(ws, dir) };
      expect(await runSync(deps, { syncId: 'treatment-file', asOf })).toMatchObject({ status: 'synced' });
      const shared = new SharedMembers(state, ws, { warehouse: b.warehouse, workspace: ws, onChanges: async (c) => void (await store.membership.take(c)) });
      try {
        expect(await runSync({ ...deps, audience: (sync, at) => shared.audience(sync, at) }, { syncId: 'control-file', asOf })).toMatchObject({ status: 'synced' });
      } finally {
        await shared.dropAll();
      }
      const exports = path.join(dir, 'exports');
      return { treatment: replayFileAudience(exports, 'checkout-variant-a'), control: replayFileAudience(exports, 'checkout-variant-b') };
    };

    try {
      const first = expected(ws);
      const sent1 = await day(DAY1);
      expect([...sent1.treatment.members.keys()].sort()).toEqual(inGroup(first, 'treatment'));
      expect([...sent1.control.members.keys()].sort()).toEqual(inGroup(first, 'control'));
      expect(inGroup(first, 'holdout').length).toBeGreaterThan(40);
      expect(await membership()).toEqual(first);
      // A sync that no group names sends no one, and says so.
      const unnamed = await runSync({ warehouse: b.warehouse, workspace: ws, destinations: destinationFactory(ws, dir) }, { syncId: 'unnamed-file', asOf: DAY1 });
      expect(unnamed).toMatchObject({ status: 'synced', memberCount: 0, added: 0 });
      expect(unnamed.notes?.join('\n')).toMatch(/none names this sync: it sends no one/);
      const someone = inGroup(first, 'control')[0]!;
      expect(await store.membership.segmentsOf(someone)).toMatchObject({ segments: ['checkout-test'], groups: { 'checkout-test': 'control' } });

      // Treatment grows to 60 %, control shrinks to 20 %, the holdout stays at 20 %.
      const before = ws.segments[0]!;
      const { buckets: _t, ...treatment } = before.splits![0]!;
      const { buckets: _c, ...control } = before.splits![1]!;
      const { buckets: _h, ...holdout } = before.splits![2]!;
      ws = settle({ ...before, splits: [{ ...treatment, percent: 60 }, { ...control, percent: 20 }, { ...holdout }] }, before);
      const second = expected(ws);
      const moved = ids.filter((id) => first.get(id) !== second.get(id));
      expect(moved.length).toBeGreaterThan(0);
      // The Census rule: only members of the shrinking group (control) move, and only to the growing one.
      for (const id of moved) expect([first.get(id), second.get(id)]).toEqual(['control', 'treatment']);

      const sent2 = await day(DAY2);
      expect([...sent2.treatment.members.keys()].sort()).toEqual(inGroup(second, 'treatment'));
      expect([...sent2.control.members.keys()].sort()).toEqual(inGroup(second, 'control'));
      expect([...sent1.treatment.violations, ...sent2.treatment.violations, ...sent2.control.violations]).toEqual([]);
      expect(await membership()).toEqual(second);
      // A move ends the stay in one group and starts one in the next, at the same as-of.
      const stays = await b.warehouse.query<{ split_group: string; entered_at: Date; exited_at: Date | null }>(
        `select split_group, entered_at, exited_at from ${ws.stateSchema}.segment_membership_history where segment_id = 'checkout-test' and person_id = '${moved[0]}' order by entered_at`,
      );
      expect(stays.map((s) => [s.split_group, s.entered_at.toISOString(), s.exited_at?.toISOString() ?? null])).toEqual([
        ['control', DAY1, DAY2],
        ['treatment', DAY2, null],
      ]);
      expect((await store.membership.segmentsOf(moved[0]!)).groups).toEqual({ 'checkout-test': 'treatment' });
      const [evaluation] = await b.warehouse.query<{ added: unknown; removed: unknown; member_count: unknown }>(
        `select added, removed, member_count from ${ws.stateSchema}.segment_evaluations where segment_id = 'checkout-test' and as_of = (select max(as_of) from ${ws.stateSchema}.segment_evaluations)`,
      );
      expect([Number(evaluation!.added), Number(evaluation!.removed), Number(evaluation!.member_count)]).toEqual([0, 0, PERSONS]);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('keeps every member in their group across refreshes while the definition stays, also one who leaves and comes back', async () => {
    const data = `${b.data}_stable`;
    await b.warehouse.execute(`create schema ${data}`);
    await createPeople(b.warehouse, data, people(200));
    const ws = workspaceFor(
      { ...b, state: `${b.state}_stable` },
      `entities:
  - {id: person, table: ${data}.persons, primaryKey: person_id}
segments:
  - id: vip-test
    entity: person
    name: VIP test
    rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}
    splits: [{name: a, percent: 33.33}, {name: b, percent: 33.33}, {name: c, percent: 33.34}]
`,
    );
    const layout = layoutOf(ws.segments[0]!.splits!);
    const deps = { warehouse: b.warehouse, workspace: ws };
    const days = ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04'].map((d) => new Date(`${d}T00:00:00Z`));
    for (const [i, asOf] of days.entries()) {
      // Every day another fifth of the persons stops being a VIP and the previous fifth comes back.
      await b.warehouse.execute(`update ${data}.persons set vip = true`);
      await b.warehouse.execute(`update ${data}.persons set vip = false where cast(substr(person_id, 2) as integer) % 5 = ${i}`);
      await refreshSegment(deps, 'vip-test', asOf);
      const rows = await b.warehouse.query<{ person_id: string; split_group: string }>(
        `select person_id, split_group from ${ws.stateSchema}.segment_membership where segment_id = 'vip-test'`,
      );
      expect(rows.length).toBe(160);
      for (const r of rows) expect(r.split_group, r.person_id).toBe(groupOfBucket(layout, splitBucket('vip-test', undefined, r.person_id)));
    }
    // Stays end only by leaving: no person has two groups in their history.
    const groups = await b.warehouse.query<{ n: unknown }>(
      `select count(*) as n from (select person_id from ${ws.stateSchema}.segment_membership_history where segment_id = 'vip-test' group by person_id having count(distinct split_group) > 1) x`,
    );
    expect(Number(groups[0]!.n)).toBe(0);
    const stays = await b.warehouse.query<{ n: unknown }>(`select count(*) as n from ${ws.stateSchema}.segment_membership_history where segment_id = 'vip-test' and person_id = 'p0001'`);
    expect(Number(stays[0]!.n)).toBe(2);
  });
});
