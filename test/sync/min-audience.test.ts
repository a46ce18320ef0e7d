import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSync, type SyncDeps } from '../../src/sync/steps';
import { availableBackends, type BackendName, openBackend, type TestWarehouse, workspaceFor } from './support/backends';
import { MemoryDestination } from './support/memory-destination';
import { createPeople, people, vipWorkspace } from './support/people';

const backends = await availableBackends();
const AS_OF = '2026-03-01T00:00:00.000Z';

// Minimum audience sizes: a destination's (its own, or its platform's documented minimum) stops a
// run for confirmation; the workspace's privacy floor stops it for good.

describe.each(backends)('minimum audience sizes on %s', (name: BackendName) => {
  let b: TestWarehouse;
  let n = 0;
  beforeAll(async () => {
    b = await openBackend(name, 'minaud');
  });
  afterAll(async () => {
    await b.close();
  });

  async function setup(o: { members: number; destination: string; top?: string }) {
    const schema = `${b.data}_${++n}`;
    await b.warehouse.execute(`create schema ${schema}`);
    await createPeople(b.warehouse, schema, people(o.members));
    const ws = workspaceFor({ ...b, state: `${b.state}_${n}` }, (o.top ?? '') + vipWorkspace(schema, { destination: o.destination }));
    const dest = new MemoryDestination({ batchLimit: 100 });
    const deps: SyncDeps = { warehouse: b.warehouse, workspace: ws, destinations: async () => dest, sleep: async () => undefined };
    const run = (confirmRemovals = false) => runSync(deps, { syncId: 'vip-sync', asOf: AS_OF, confirmRemovals });
    return { dest, run };
  }

  it("stops below the destination's own minimum until confirmed", async () => {
    const t = await setup({ members: 4, destination: '{id: mem, type: file, minAudienceSize: 5, settings: {path: ./unused}}' });
    const stopped = await t.run();
    expect(stopped.status).toBe('needs_confirmation');
    expect(stopped.reason).toBe('the audience would have 4 members, fewer than the minimum of 5 of destination "mem" (File export (JSONL)); confirm the run (--confirm-removals) to send it anyway');
    expect(t.dest.calls).toEqual([]);
    expect(await t.run(true)).toMatchObject({ status: 'synced', added: 4 });
    expect(t.dest.members.size).toBe(4);
    // Nothing changes: nothing to send, nothing to confirm.
    expect(await t.run()).toMatchObject({ status: 'synced', added: 0, removed: 0 });
  });

  it("takes the platform's documented minimum by default, and 0 turns it off", async () => {
    const meta = await setup({ members: 10, destination: '{id: mem, type: meta, settings: {adAccountId: "act_1", accessToken: t}}' });
    const stopped = await meta.run();
    expect(stopped.status).toBe('needs_confirmation');
    expect(stopped.reason).toContain('fewer than the minimum of 100 of destination "mem" (Meta Custom Audiences)');
    expect(meta.dest.calls).toEqual([]);
    const off = await setup({ members: 10, destination: '{id: mem, type: meta, minAudienceSize: 0, settings: {adAccountId: "act_1", accessToken: t}}' });
    expect(await off.run()).toMatchObject({ status: 'synced', added: 10 });
  });

  it('never sends below the privacy floor, confirmed or not', async () => {
    const t = await setup({ members: 4, top: 'minAudienceSize: 5\n', destination: '{id: mem, type: file, minAudienceSize: 0, settings: {path: ./unused}}' });
    for (const confirmed of [false, true]) {
      const r = await t.run(confirmed);
      expect(r.status).toBe('needs_confirmation');
      expect(r.reason).toContain("fewer than the workspace's minAudienceSize 5 (a privacy floor): nothing is sent, and no confirmation overrides it");
    }
    expect(t.dest.calls).toEqual([]);
    const big = await setup({ members: 6, top: 'minAudienceSize: 5\n', destination: '{id: mem, type: file, settings: {path: ./unused}}' });
    expect(await big.run()).toMatchObject({ status: 'synced', added: 6 });
  });
});
