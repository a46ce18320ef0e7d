import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/config/schema';
import { destinationFactory } from '../../src/destinations/registry';
import { sha256Hex } from '../../src/identity/hash';
import { MetaFake } from '../../src/sandbox/meta';
import { ensureStateSchema } from '../../src/state/state-sql';
import { createSyncSteps, resetSync, runSync, type SyncDeps } from '../../src/sync/steps';
import { availableBackends, type BackendName, openBackend, type TestWarehouse, workspaceFor } from './support/backends';
import { MemoryDestination } from './support/memory-destination';
import { createPeople, people, vipWorkspace } from './support/people';

/**
 * A snapshot is bound to its target: (sync, destination, audience name). Moving a sync to another
 * destination or renaming its audience is a first run into the new audience, which gets every
 * member; `sync reset` and `--full` re-send the whole audience (issue 11, point 1). And a state
 * schema of an earlier version, whose snapshot held raw values, is converted to keys (point 10).
 */

const backends = await availableBackends();
const AS_OF = '2026-03-01T00:00:00.000Z';
const meta = new MetaFake();
let exports: string;

beforeAll(async () => {
  await meta.start();
  exports = mkdtempSync(path.join(tmpdir(), 'outflow-targets-'));
});
afterAll(async () => {
  await meta.stop();
  rmSync(exports, { recursive: true, force: true });
});

describe.each(backends)('snapshot targets on %s', (name: BackendName) => {
  let b: TestWarehouse;
  let n = 0;

  beforeAll(async () => {
    b = await openBackend(name, 'targets');
  });
  afterAll(async () => {
    await b.close();
  });

  async function data(count: number) {
    const schema = `${b.data}_${++n}`;
    await b.warehouse.execute(`create schema ${schema}`);
    await createPeople(b.warehouse, schema, people(count));
    const state = `${b.state}_${n}`;
    const workspace = (body: string): Workspace => workspaceFor({ ...b, state }, body);
    return { schema, state, workspace, exec: (sql: string) => b.warehouse.execute(sql.replaceAll('{d}', schema)) };
  }

  it('a sync moved from file to meta: the Meta audience gets every member, the file audience is left alone, and the run says so', async () => {
    const d = await data(6);
    const destinations = `{id: exports, type: file, settings: {path: ${JSON.stringify(path.join(exports, name))}}}
  - {id: meta-main, type: meta, minAudienceSize: 0, settings: ${JSON.stringify(meta.settings())}}`;
    const before = d.workspace(vipWorkspace(d.schema, { destination: destinations }).replace('destination: mem', 'destination: exports'));
    const after = d.workspace(vipWorkspace(d.schema, { destination: destinations }).replace('destination: mem', 'destination: meta-main'));
    const deps = (ws: Workspace): SyncDeps => ({ warehouse: b.warehouse, workspace: ws, destinations: destinationFactory(ws, '/') });

    expect(await runSync(deps(before), { syncId: 'vip-sync', asOf: AS_OF })).toMatchObject({ status: 'synced', added: 6 });
    const moved = await runSync(deps(after), { syncId: 'vip-sync', asOf: AS_OF });
    expect(moved).toMatchObject({ status: 'synced', added: 6, removed: 0 });
    expect(moved.notes).toEqual(['destination changed from exports to meta-main: first run into the new audience (every member is sent; the old audience is left as it is)']);
    expect(meta.members('vip-people')).toEqual(new Set(people(6).map((p) => `EMAIL=${sha256Hex(p.email!)}`)));
    // Back to the file: its snapshot is still there, so nothing is sent to it again.
    expect(await runSync(deps(before), { syncId: 'vip-sync', asOf: AS_OF })).toMatchObject({ status: 'synced', added: 0, removed: 0 });

    // Snapshots hold keys and fingerprints: no raw email anywhere in them.
    const rows = await b.warehouse.query<Record<string, unknown>>(`select * from ${d.state}.sync_snapshot_keys`);
    expect(rows).toHaveLength(12);
    expect(JSON.stringify(rows)).not.toMatch(/@example\.com/);
  });

  it('a renamed audience is a first run into it; reset and --full re-send everyone; --full still removes', async () => {
    const d = await data(5);
    const dest = new MemoryDestination({ batchLimit: 10 });
    const named = (audience: string) => d.workspace(vipWorkspace(d.schema, { extraSync: `, audienceName: ${audience}, maxRemovalShare: 1` }));
    const run = (ws: Workspace, full?: boolean) => runSync({ warehouse: b.warehouse, workspace: ws, destinations: async () => dest }, { syncId: 'vip-sync', asOf: AS_OF, ...(full ? { full } : {}) });
    const addsTo = () => dest.calls.filter((c) => c.op === 'add').flatMap((c) => c.personIds);

    expect(await run(named('first-name'))).toMatchObject({ status: 'synced', added: 5 });
    dest.calls.length = 0;
    const renamed = await run(named('second-name'));
    expect(renamed).toMatchObject({ status: 'synced', added: 5, removed: 0 });
    expect(renamed.notes?.[0]).toMatch(/^audience name changed from "first-name" to "second-name": first run into the new audience/);
    expect(dest.audiences).toEqual(['first-name', 'second-name']);
    expect(addsTo()).toHaveLength(5);

    dest.calls.length = 0;
    expect(await run(named('second-name'))).toMatchObject({ added: 0, removed: 0 });
    const state = await ensureStateSchema(b.warehouse, d.state);
    const reset = await resetSync({ warehouse: b.warehouse, workspace: named('second-name') }, 'vip-sync');
    expect(reset).toEqual({ target: { syncId: 'vip-sync', destinationId: 'mem', audienceName: 'second-name' }, forgotten: 5 });
    expect(await run(named('second-name'))).toMatchObject({ status: 'synced', added: 5, removed: 0 });
    // The other audience's snapshot is untouched by the reset.
    const [first] = await state.warehouse.query<{ n: unknown }>(`select count(*) as n from ${d.state}.sync_snapshot_keys where audience_name = 'first-name'`);
    expect(Number(first?.n)).toBe(5);

    await d.exec(`update {d}.persons set vip = false where person_id = 'p0001'`);
    dest.calls.length = 0;
    const full = await run(named('second-name'), true);
    expect(full).toMatchObject({ status: 'synced', added: 4, removed: 1, memberCount: 4 });
    expect(dest.calls.filter((c) => c.op === 'remove').flatMap((c) => c.personIds)).toEqual(['p0001']);
    expect(addsTo().sort()).toEqual(['p0000', 'p0002', 'p0003', 'p0004']);
    expect(await run(named('second-name'))).toMatchObject({ added: 0, removed: 0 });
  });

  it('converts a snapshot of an earlier version (raw values) to keys on the next run: only real changes are sent, the raw table is dropped', async () => {
    const d = await data(6);
    const ws = d.workspace(vipWorkspace(d.schema, { extraSync: ', maxRemovalShare: 1' }));
    const dest = new MemoryDestination({ batchLimit: 10 });
    const deps: SyncDeps = { warehouse: b.warehouse, workspace: ws, destinations: async () => dest };
    // The earlier version's table, as it left it: raw values and the fingerprint of person + values
    // (the same function the diff computes), taken from a dry run's diff.
    const steps = createSyncSteps(deps);
    const dry = await steps.startRun({ syncId: 'vip-sync', asOf: AS_OF, dryRun: true });
    await steps.evaluateAndDiff(dry);
    const token = dry.runId.toLowerCase().replace(/[^a-z0-9]+/g, '_');
    const text = name === 'bigquery' ? 'string' : 'varchar';
    const nulls = ['first_name', 'last_name', 'postal_code', 'country_code', 'mobile_ad_id', 'external_id'].map((c) => `cast(null as ${text}) as ${c}`).join(', ');
    await b.warehouse.execute(
      `create table ${d.state}.sync_snapshots as select 'vip-sync' as sync_id, person_id, email, phone, ${nulls}, fingerprint, 'old-run' as run_id from ${d.state}.run_${token}_changes where kind = 'add'`,
    );
    await steps.finishRun({ runId: dry.runId, syncId: 'vip-sync', status: 'dry_run' });
    // What the earlier version had sent.
    for (const p of people(6)) dest.keys.add(`email:${p.email}`);

    await d.exec(`update {d}.persons set vip = false where person_id = 'p0001'`);
    await d.exec(`update {d}.persons set email = 'moved@example.com' where person_id = 'p0002'`);
    const r = await runSync(deps, { syncId: 'vip-sync', asOf: AS_OF });
    expect(r).toMatchObject({ status: 'synced', added: 1, removed: 2, memberCount: 5 });
    expect(r.notes?.[0]).toBe("converted this sync's snapshot of an earlier version to keys: 6 persons (raw values dropped)");
    expect(dest.keys).toEqual(new Set(['user0@example.com', 'moved@example.com', 'user3@example.com', 'user4@example.com', 'user5@example.com'].map((e) => `email:${e}`)));
    expect(dest.violations).toEqual([]);
    const state = await ensureStateSchema(b.warehouse, d.state);
    const binder = state.binder();
    const tables = await state.query<{ table_name: string }>('list-tables', { schemaName: binder.bind(d.state) }, binder);
    expect(tables.map((t) => t.table_name)).toContain('sync_snapshot_keys');
    expect(tables.map((t) => t.table_name)).not.toContain('sync_snapshots');
    expect(await runSync(deps, { syncId: 'vip-sync', asOf: AS_OF })).toMatchObject({ added: 0, removed: 0 });
  });
});
