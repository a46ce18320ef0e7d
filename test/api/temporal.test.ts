import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TemporalRuns } from '../../src/scheduler/temporal-runs';
import type { SyncRunResult } from '../../src/sync/orchestrate';
import { ApiFixture } from './support';

/**
 * `orchestrator: temporal` (no Temporal server here): the API's runs start `syncRunWorkflow`
 * under `sync/<syncId>` and their results become run records; toggles and edits update the
 * Temporal Schedules. The client is a stand-in that keeps what a server would.
 */
interface FakeSchedule {
  scheduleId: string;
  spec: unknown;
  action: { workflowType: string; taskQueue: string; memo?: Record<string, unknown> };
  state: { paused: boolean; note?: string };
}

function fakeClient(result: (input: { syncId: string }) => SyncRunResult) {
  const schedules = new Map<string, FakeSchedule>();
  const started: { workflowId: string; args: unknown[] }[] = [];
  const handle = (workflowId: string, input: { syncId: string }) => ({
    workflowId,
    result: () => Promise.resolve(result(input)),
    query: () => Promise.resolve({ phase: 'finished', uploads: [] }),
    signal: () => Promise.resolve(),
    describe: () => Promise.resolve({ raw: {} }),
  });
  const client = {
    workflow: {
      start: (_wf: unknown, opts: { workflowId: string; args: [{ syncId: string }] }) => {
        started.push({ workflowId: opts.workflowId, args: opts.args });
        return Promise.resolve(handle(opts.workflowId, opts.args[0]));
      },
      getHandle: (workflowId: string) => handle(workflowId, { syncId: workflowId.replace(/^sync\//, '') }),
    },
    schedule: {
      list: async function* () {
        for (const s of schedules.values()) yield { scheduleId: s.scheduleId };
      },
      create: (o: FakeSchedule) => {
        schedules.set(o.scheduleId, { ...o, state: { paused: o.state.paused, ...(o.state.note ? { note: o.state.note } : {}) } });
        return Promise.resolve();
      },
      getHandle: (id: string) => ({
        describe: () => Promise.resolve({ ...schedules.get(id)!, scheduleId: id }),
        update: (fn: (prev: FakeSchedule) => FakeSchedule) => {
          schedules.set(id, { ...fn(schedules.get(id)!), scheduleId: id });
          return Promise.resolve();
        },
        delete: () => Promise.resolve(void schedules.delete(id)),
      }),
    },
  };
  return { client: client as unknown as Client, schedules, started };
}

describe('the API with orchestrator: temporal (mocked client)', () => {
  let fx: ApiFixture;
  let temporal: TemporalRuns;
  const fake = fakeClient((input) => ({
    runId: 'wf-run-1',
    syncId: input.syncId,
    asOf: '2026-02-01T00:00:00.000Z',
    status: 'synced',
    memberCount: 20,
    plannedAdded: 20,
    plannedRemoved: 0,
    planned: 20,
    sent: 20,
    accepted: 19,
    rejected: 1,
    deferred: 0,
    added: 20,
    removed: 0,
    batches: 1,
  }));
  beforeAll(async () => {
    fx = await ApiFixture.start('sqlite', {
      runs: (f) =>
        (temporal = new TemporalRuns({
          store: f.store,
          settings: f.settings,
          warehouse: f.warehouse,
          client: fake.client,
          config: { taskQueue: 'outflow', schedules: { idPrefix: 'outflow-sync/' } },
          log: () => undefined,
          pollMs: 5,
        })),
    });
  });
  afterAll(() => fx.close());

  it('a toggle creates, pauses and resumes the sync’s Temporal Schedule', async () => {
    await fx.request('PUT', '/segments/vips/destinations/meta-main', { token: 'marketer', body: { enabled: true } });
    expect(fake.schedules.get('outflow-sync/vips-meta-main')).toMatchObject({ state: { paused: false }, action: { workflowType: 'scheduledSyncWorkflow', taskQueue: 'outflow' } });
    // The file's own sync gets its schedule too.
    expect([...fake.schedules.keys()].sort()).toEqual(['outflow-sync/vip-file', 'outflow-sync/vips-meta-main']);
    await fx.request('PUT', '/segments/vips/destinations/meta-main', { token: 'marketer', body: { enabled: false } });
    expect(fake.schedules.get('outflow-sync/vips-meta-main')!.state).toMatchObject({ paused: true, note: 'sync "vips-meta-main" is disabled' });
    await fx.request('PATCH', '/syncs/vips-meta-main', { token: 'data', body: { enabled: true, schedule: '30 7 * * *' } });
    expect(fake.schedules.get('outflow-sync/vips-meta-main')).toMatchObject({ state: { paused: false }, action: { memo: { outflow: { cron: '30 7 * * *' } } } });
    await fx.request('DELETE', '/syncs/vips-meta-main', { token: 'data' });
    expect(fake.schedules.has('outflow-sync/vips-meta-main')).toBe(false);
  });

  it('a run starts syncRunWorkflow under sync/<syncId> and its result becomes the run record', async () => {
    const res = await fx.request('POST', '/syncs/vip-file/runs', { token: 'marketer', body: { full: true } });
    expect(res.status).toBe(202);
    expect(fake.started.at(-1)).toMatchObject({ workflowId: 'sync/vip-file', args: [{ syncId: 'vip-file', dryRun: false, confirmRemovals: false, full: true }] });
    await temporal.idle();
    const run = await fx.request('GET', `/runs/${String(res.body.runId)}`, { token: 'viewer' });
    expect(run.body).toMatchObject({ status: 'synced', planned: 20, sent: 20, accepted: 19, rejected: 1, deferred: 0, options: { full: true } });
  });
});
