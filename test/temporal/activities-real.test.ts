import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type OutflowActivities, type UploadCursor } from '../../src/activities';
import { getRun } from '../../src/state/runs';
import { ensureStateSchema } from '../../src/state/state-sql';
import { orchestrateSyncRun, type SyncRunSteps } from '../../src/sync/orchestrate';
import { openBackend, type TestWarehouse, workspaceFor } from '../sync/support/backends';
import { MemoryDestination } from '../sync/support/memory-destination';
import { createPeople, people, vipWorkspace } from '../sync/support/people';

/**
 * The activities over the real sync steps (DuckDB, in-memory destination), each call run in its
 * own MockActivityEnvironment as a worker would run it.
 */
const silent = { log: () => undefined, error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };
const AS_OF = '2026-03-01T00:00:00.000Z';

let b: TestWarehouse;
let n = 0;

beforeAll(async () => {
  b = await openBackend('duckdb', 'temporal');
});
afterAll(async () => {
  await b.close();
});

async function setup(count: number) {
  const schema = `t_${++n}`;
  await b.warehouse.execute(`create schema ${schema}`);
  await createPeople(b.warehouse, schema, people(count));
  const workspace = workspaceFor({ ...b, state: `${b.state}_${n}` }, vipWorkspace(schema));
  const dest = new MemoryDestination({ batchLimit: 3, concurrency: 1 });
  const acts = createActivities({ warehouse: b.warehouse, workspace, destinations: async () => dest, sleep: async () => undefined });
  const beats: unknown[] = [];
  /** Runs one activity in a fresh activity context, like one attempt on a worker. */
  const attempt = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, info: Record<string, unknown> = {}, onBeat?: (d: unknown, e: MockActivityEnvironment) => void) =>
    (...args: A): Promise<R> => {
      const e = new MockActivityEnvironment(info, { logger: silent });
      e.on('heartbeat', (d: unknown) => {
        beats.push(d);
        onBeat?.(d, e);
      });
      return e.run(fn, ...args);
    };
  const asWorker = (a: OutflowActivities): SyncRunSteps => ({
    startRun: attempt(a.startRun),
    evaluateAndDiff: attempt(a.evaluateAndDiff),
    ensureAudience: attempt(a.ensureAudience),
    uploadChanges: attempt(a.uploadChanges),
    commitSnapshot: attempt(a.commitSnapshot),
    finishRun: attempt(a.finishRun),
  });
  const state = await ensureStateSchema(b.warehouse, workspace.stateSchema);
  return { acts, dest, beats, attempt, asWorker, state };
}

describe('activities over the real sync steps', () => {
  it('run the orchestration to a synced run, heartbeating upload progress, and record the match rate', async () => {
    const t = await setup(7);
    const result = await orchestrateSyncRun(t.asWorker(t.acts), { syncId: 'vip-sync', asOf: AS_OF });
    expect(result).toMatchObject({ status: 'synced', added: 7, removed: 0, batches: 3 });
    expect(t.dest.members.size).toBe(7);
    const cursors = t.beats.filter((d): d is UploadCursor => typeof d === 'object' && d !== null && 'done' in d);
    expect(cursors.at(-1)).toEqual({ kind: 'add', done: 7, total: 7 });

    const ref = { runId: result.runId, syncId: 'vip-sync' };
    const rate = await t.attempt(t.acts.readMatchRate)(ref);
    expect(rate).toEqual({ status: 'ready', audienceSize: 7 });
    await t.attempt(t.acts.recordMatchRate)(ref, { status: 'ready', matchRate: 0.8, audienceSize: 7 });
    expect((await getRun(t.state, result.runId))?.matchRate).toBeCloseTo(0.8);
  });

  it('a cancelled upload stops between batches; the retry resumes from its cursor without re-sending', async () => {
    const t = await setup(10);
    const run = await t.attempt(t.acts.startRun)({ syncId: 'vip-sync', asOf: AS_OF });
    await t.attempt(t.acts.evaluateAndDiff)(run);
    await t.attempt(t.acts.ensureAudience)(run);

    let last: UploadCursor | undefined;
    const cancelAfterTwo = t.attempt(t.acts.uploadChanges, {}, (d, e) => {
      last = d as UploadCursor;
      if (last.done >= 6) e.cancel();
    });
    await expect(cancelAfterTwo({ ...run, kind: 'add' })).rejects.toThrow();
    expect(t.dest.calls).toHaveLength(2);
    expect(last).toEqual({ kind: 'add', done: 6, total: 10 });

    // Temporal hands the last heartbeat back to the next attempt.
    const summary = await t.attempt(t.acts.uploadChanges, { attempt: 2, heartbeatDetails: last })({ ...run, kind: 'add' });
    // `sent` counts the side's acknowledged rows, the earlier attempt's included.
    expect(summary).toMatchObject({ batches: 2, skippedBatches: 2, sent: 10 });
    const ids = t.dest.calls.map((c) => c.batchId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(t.dest.members.size).toBe(10);

    await t.attempt(t.acts.commitSnapshot)(run);
    await t.attempt(t.acts.finishRun)({ runId: run.runId, syncId: run.syncId, status: 'synced' });
    expect((await getRun(t.state, run.runId))?.status).toBe('synced');
  });

  it('an unknown sync is a non-retryable failure', async () => {
    const t = await setup(1);
    const err: unknown = await t.attempt(t.acts.startRun)({ syncId: 'no-such-sync', asOf: AS_OF }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'UserInputError', nonRetryable: true });
  });
});
