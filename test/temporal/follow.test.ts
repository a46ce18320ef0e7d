import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { formatPlan } from '../../src/cli/commands/schedules';
import type { SyncRunResult } from '../../src/sync/orchestrate';
import { SyncRunAlreadyOpenError, followSyncRun, startSyncRun } from '../../src/temporal/start-sync-run';
import type { SyncRunStatus, syncRunWorkflow } from '../../workflows';

const RESULT: SyncRunResult = { runId: 'r1', syncId: 's1', asOf: '2026-01-15T06:00:00Z', status: 'synced', memberCount: 5, plannedAdded: 5, plannedRemoved: 0, planned: 5, sent: 5, accepted: 5, rejected: 0, deferred: 0, added: 5, removed: 0, batches: 1 };

/** A handle whose status advances one step per query and whose result settles after the last. */
function fakeHandle(steps: string[], heartbeats: unknown[] = []) {
  let beat = 0;
  let i = 0;
  let settle: (r: SyncRunResult) => void = () => undefined;
  const result = new Promise<SyncRunResult>((r) => (settle = r));
  const signals: unknown[][] = [];
  const handle = {
    workflowId: 'sync/s1',
    query: async (): Promise<SyncRunStatus> => {
      const step = steps[Math.min(i, steps.length - 1)]!;
      i += 1;
      if (i >= steps.length) setTimeout(() => settle(RESULT), 5);
      return { phase: 'running', step, uploads: [] };
    },
    result: () => result,
    signal: async (...args: unknown[]) => void signals.push(args),
    describe: async () => {
      const details = heartbeats[Math.min(beat++, heartbeats.length - 1)];
      const pendingActivities =
        details === undefined ? [] : [{ activityType: { name: 'uploadChanges' }, heartbeatDetails: { payloads: [defaultPayloadConverter.toPayload(details)] } }];
      return { raw: { pendingActivities } };
    },
  };
  return { handle: handle as unknown as WorkflowHandle<typeof syncRunWorkflow>, signals };
}

describe('followSyncRun', () => {
  it('reports each status change once and returns the result', async () => {
    const { handle } = fakeHandle(['startRun', 'startRun', 'evaluateAndDiff', 'uploadChanges:add']);
    const seen: string[] = [];
    const result = await followSyncRun(handle, { pollMs: 1, onStatus: (s) => seen.push(s.step ?? '') });
    expect(result).toEqual(RESULT);
    expect(seen).toEqual(['startRun', 'evaluateAndDiff', 'uploadChanges:add']);
  });

  it('reads live upload progress from the upload activity heartbeat', async () => {
    const beats = [
      { kind: 'add', done: 3, total: 9 },
      { kind: 'add', done: 3, total: 9 },
      { kind: 'add', done: 9, total: 9 },
    ];
    const { handle } = fakeHandle(['uploadChanges:add', 'uploadChanges:add', 'uploadChanges:add', 'commitSnapshot'], beats);
    const seen: unknown[] = [];
    await followSyncRun(handle, { pollMs: 1, onUpload: (c) => seen.push(c) });
    expect(seen).toEqual([beats[0], beats[2]]);
  });

  it('asks the run to stop once when interrupted, and keeps following it', async () => {
    const { handle, signals } = fakeHandle(['evaluateAndDiff', 'ensureAudience', 'ensureAudience', 'finishRun']);
    const abort = new AbortController();
    const result = await followSyncRun(handle, {
      pollMs: 1,
      signal: abort.signal,
      onStatus: () => {
        abort.abort();
        abort.abort();
      },
    });
    expect(result).toEqual(RESULT);
    expect(signals).toHaveLength(1);
    expect(signals[0]![1]).toBe('interrupted from the command line');
  });
});

describe('formatPlan', () => {
  const d = (syncId: string, paused = false) => ({
    scheduleId: `outflow-sync/${syncId}`,
    syncId,
    cron: '0 6 * * *',
    paused,
    note: paused ? `segment "x" is paused` : '',
    workflowType: 'scheduledSyncWorkflow' as const,
    taskQueue: 'outflow',
  });
  const plan = { create: [d('a')], update: [{ desired: d('b', true), changes: ['pause (segment "x" is paused)'] }], unchanged: [d('c')], delete: ['outflow-sync/gone'] };

  it('says what changed', () => {
    expect(formatPlan(plan, false)).toBe(
      [
        'created outflow-sync/a  "0 6 * * *" UTC  active',
        'updated outflow-sync/b  pause (segment "x" is paused)',
        'deleted outflow-sync/gone  (its sync is no longer in the workspace)',
        'unchanged outflow-sync/c  "0 6 * * *" UTC  active',
        '',
      ].join('\n'),
    );
  });

  it('says what would change on a dry run', () => {
    expect(formatPlan(plan, true)).toMatch(/^would create outflow-sync\/a/m);
    expect(formatPlan(plan, true)).toMatch(/^would delete outflow-sync\/gone/m);
  });
});

describe('startSyncRun', () => {
  const fakeClient = (start: (fn: unknown, opts: Record<string, unknown>) => Promise<unknown>) => ({ workflow: { start } }) as unknown as Client;

  it('starts under the business id and lets the server refuse a second open run', async () => {
    const seen: Record<string, unknown>[] = [];
    await startSyncRun(
      fakeClient(async (_fn, opts) => void seen.push(opts)),
      'outflow',
      { syncId: 'buyers-meta' },
    );
    expect(seen[0]).toMatchObject({
      workflowId: 'sync/buyers-meta',
      taskQueue: 'outflow',
      args: [{ syncId: 'buyers-meta' }],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  });

  it('turns the id conflict into a message naming the open run', async () => {
    const refuse = fakeClient(async () => {
      throw new WorkflowExecutionAlreadyStartedError('Workflow execution already started', 'sync/buyers-meta', 'syncRunWorkflow');
    });
    const err: unknown = await startSyncRun(refuse, 'outflow', { syncId: 'buyers-meta' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncRunAlreadyOpenError);
    expect((err as Error).message).toBe('a run of sync "buyers-meta" is already open (workflow sync/buyers-meta); wait for it to finish or cancel it');
  });
});
