import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CATCH_UP_MS, LocalScheduler, lastFire } from '../../src/scheduler/scheduler';
import { ApiFixture } from './support';

const ui = { name: 'test-setup' };
const rules = (segment: string) => ({ conditions: [{ kind: 'segment', segment }] });

describe('the in-process scheduler (orchestrator: local)', () => {
  let fx: ApiFixture;
  let now = new Date('2026-02-01T05:00:00.000Z');
  let scheduler: LocalScheduler;
  beforeAll(async () => {
    // Every time the store writes (created, queued) follows this clock too.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now);
    fx = await ApiFixture.start('sqlite');
    fx.clock = () => now;
    const { store } = fx;
    await store.segments.create({ id: 'vip-buyers', entity: 'person', name: 'VIP buyers', rules: { conditions: [...rules('vips').conditions, ...rules('buyers').conditions] } }, ui);
    await store.segments.create({ id: 'paused-one', entity: 'person', name: 'P', status: 'paused', rules: rules('vips') }, ui);
    await store.segments.create({ id: 'draft-one', entity: 'person', name: 'D', status: 'draft', rules: rules('vips') }, ui);
    await store.segments.create({ id: 'archived-one', entity: 'person', name: 'A', status: 'archived', rules: rules('vips') }, ui);
    await store.syncs.create({ id: 'a-vip-buyers', segment: 'vip-buyers', destination: 'out' }, ui);
    await store.syncs.create({ id: 'b-paused', segment: 'paused-one', destination: 'out' }, ui);
    await store.syncs.create({ id: 'c-disabled', segment: 'buyers', destination: 'out', enabled: false }, ui);
    await store.syncs.create({ id: 'd-hourly', segment: 'buyers', destination: 'out', schedule: '0 * * * *' }, ui);
    scheduler = new LocalScheduler({ store, settings: fx.settings, warehouse: fx.warehouse, runs: fx.runs, log: () => undefined, clock: () => now });
  });
  afterAll(async () => {
    await fx.close();
    vi.useRealTimers();
  });

  const at = (iso: string) => {
    now = new Date(iso);
    vi.setSystemTime(now);
  };

  it('finds the last fire time of a cron', () => {
    expect(lastFire('0 6 * * *', new Date('2026-02-01T06:00:00Z')).toISOString()).toBe('2026-02-01T06:00:00.000Z');
    expect(lastFire('0 6 * * *', new Date('2026-02-01T05:59:59Z')).toISOString()).toBe('2026-01-31T06:00:00.000Z');
  });

  it('refreshes every active segment in dependency order, then runs due syncs; skips paused, archived, draft and disabled', async () => {
    at('2026-02-01T05:30:00.000Z');
    const workspace = await fx.store.workspace(fx.settings);
    // Never refreshed: due at once. Syncs wait for their cron: only the hourly one fired since it was created.
    expect(await scheduler.plan(workspace, now)).toEqual({ refresh: ['vips', 'buyers', 'vip-buyers'], sync: [] });

    at('2026-02-01T06:00:30.000Z');
    const plan = await scheduler.tick();
    expect(plan).toEqual({ refresh: ['vips', 'buyers', 'vip-buyers'], sync: ['vip-file', 'd-hourly', 'a-vip-buyers'] });
    await fx.warehouse.idle();
    const refreshed = await fx.store.membership.refreshes();
    expect([...refreshed.keys()].sort()).toEqual(['buyers', 'vip-buyers', 'vips']);
    for (const syncId of ['vip-file', 'a-vip-buyers', 'd-hourly']) {
      const [run] = await fx.store.runs.list(syncId);
      expect(run, syncId).toMatchObject({ status: 'synced', requestedBy: 'scheduler' });
    }
    expect(await fx.store.runs.list('b-paused')).toEqual([]);
    expect(await fx.store.runs.list('c-disabled')).toEqual([]);

    // Nothing is due twice for the same fire time.
    at('2026-02-01T06:40:00.000Z');
    expect(await scheduler.tick()).toEqual({ refresh: [], sync: [] });
    // The next hour fires the hourly sync only; the next day everything daily again.
    at('2026-02-01T07:00:05.000Z');
    expect(await scheduler.tick()).toEqual({ refresh: [], sync: ['d-hourly'] });
    await fx.warehouse.idle();
    at('2026-02-02T06:01:00.000Z');
    expect(await scheduler.plan(await fx.store.workspace(fx.settings), now)).toEqual({ refresh: ['vips', 'buyers', 'vip-buyers'], sync: ['vip-file', 'd-hourly', 'a-vip-buyers'] });
  });

  it('skips a fire time missed by more than the catch-up window (the server was down)', async () => {
    at(new Date(Date.parse('2026-02-03T06:00:00.000Z') + CATCH_UP_MS + 60_000).toISOString());
    const plan = await scheduler.plan(await fx.store.workspace(fx.settings), now);
    expect(plan.sync).toEqual(['d-hourly']);
  });

  it('leaves a sync whose run is still open for the next tick', async () => {
    at('2026-02-04T05:59:00.000Z');
    const open = await fx.store.runs.queue('vip-file', { requestedBy: 'someone' });
    at('2026-02-04T06:00:10.000Z');
    expect((await scheduler.tick()).sync).toContain('vip-file');
    await fx.warehouse.idle();
    // The open run kept the sync: no second run was queued.
    expect((await fx.store.runs.list('vip-file', { limit: 1 }))[0]!.runId).toBe(open.runId);
    await fx.store.runs.update(open.runId, { status: 'failed' });
    at('2026-02-04T06:00:40.000Z');
    expect((await scheduler.tick()).sync).toEqual(['vip-file']);
    await fx.warehouse.idle();
    expect((await fx.store.runs.list('vip-file', { limit: 1 }))[0]).toMatchObject({ status: 'synced', requestedBy: 'scheduler' });
  });
});
