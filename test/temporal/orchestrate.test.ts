import { describe, expect, it } from 'vitest';
import { orchestrateSyncRun, type DiffSummary, type StartedRun, type SyncRunSteps } from '../../src/sync/orchestrate';

/** Mocked steps that log every call, with overridable diff, mode and failures. */
function mockActivities(opts: { diff?: Omit<DiffSummary, 'memberCount'>; memberCount?: number; mode?: StartedRun['mode']; failOn?: string; allowEmpty?: boolean } = {}) {
  const log: string[] = [];
  const fail = (step: string) => {
    if (opts.failOn === step) throw new Error(`${step} exploded`);
  };
  const acts: SyncRunSteps = {
    async startRun(input) {
      log.push('startRun');
      return { runId: 'r1', syncId: input.syncId, asOf: input.asOf, mode: opts.mode ?? 'mirror', maxRemovalShare: 0.5, allowEmpty: opts.allowEmpty ?? false, resumed: false };
    },
    async evaluateAndDiff() {
      log.push('evaluateAndDiff');
      fail('evaluateAndDiff');
      return { memberCount: opts.memberCount ?? 100, ...(opts.diff ?? { added: 10, removed: 5, snapshotCount: 95 }) };
    },
    async ensureAudience() {
      log.push('ensureAudience');
      fail('ensureAudience');
      return { audienceId: 'a', audienceName: 'n' };
    },
    async uploadChanges(run) {
      // Acknowledgement happens when the upload returns; log it as such.
      await Promise.resolve();
      fail(`upload:${run.kind}`);
      log.push(`ack:${run.kind}`);
      // Every row of the side is acknowledged (one batch by an earlier attempt), one rejected.
      const diff = opts.diff ?? { added: 10, removed: 5 };
      const sent = run.kind === 'add' ? diff.added : diff.removed;
      return { kind: run.kind, batches: 2, skippedBatches: 1, sent, rejected: Math.min(1, sent) };
    },
    async commitSnapshot() {
      log.push('commitSnapshot');
      fail('commitSnapshot');
    },
    async finishRun(input) {
      log.push(`finishRun:${input.status}`);
    },
  };
  return { acts, log };
}

const input = { syncId: 's1', asOf: '2026-01-15T06:00:00Z' };

describe('orchestrateSyncRun through mocked activities', () => {
  it('runs the steps in order and commits only after every upload is acknowledged', async () => {
    const { acts, log } = mockActivities();
    const result = await orchestrateSyncRun(acts, input);
    expect(log).toEqual(['startRun', 'evaluateAndDiff', 'ensureAudience', 'ack:remove', 'ack:add', 'commitSnapshot', 'finishRun:synced']);
    expect(result).toMatchObject({ status: 'synced', planned: 15, sent: 15, accepted: 13, added: 10, removed: 5, deferred: 0, batches: 6, rejected: 2, memberCount: 100 });
  });

  it('add_only never uploads removals', async () => {
    const { acts, log } = mockActivities({ mode: 'add_only' });
    const result = await orchestrateSyncRun(acts, input);
    expect(log).not.toContain('ack:remove');
    expect(result.removed).toBe(0);
  });

  it('a run with nothing to change commits without touching the destination', async () => {
    const { acts, log } = mockActivities({ diff: { added: 0, removed: 0, snapshotCount: 100 } });
    await orchestrateSyncRun(acts, input);
    expect(log).toEqual(['startRun', 'evaluateAndDiff', 'commitSnapshot', 'finishRun:synced']);
  });

  it.each(['evaluateAndDiff', 'ensureAudience', 'upload:remove', 'upload:add', 'commitSnapshot'])(
    'a failure in %s finishes the run as failed and never commits after it',
    async (step) => {
      const { acts, log } = mockActivities({ failOn: step });
      const result = await orchestrateSyncRun(acts, input);
      expect(result.status).toBe('failed');
      expect(result.reason).toBe(`${step} exploded`);
      expect(log.at(-1)).toBe('finishRun:failed');
      // commitSnapshot only appears when it is the step that failed (the snapshot did not move).
      expect(log.filter((l) => l === 'commitSnapshot')).toEqual(step === 'commitSnapshot' ? ['commitSnapshot'] : []);
    },
  );

  it('stops for confirmation when a run would remove more than maxRemovalShare', async () => {
    const { acts, log } = mockActivities({ diff: { added: 0, removed: 60, snapshotCount: 100 } });
    const result = await orchestrateSyncRun(acts, input);
    expect(result.status).toBe('needs_confirmation');
    expect(result.reason).toMatch(/60 of 100/);
    expect(log).toEqual(['startRun', 'evaluateAndDiff', 'finishRun:needs_confirmation']);
  });

  it('goes on when removals are confirmed', async () => {
    const { acts, log } = mockActivities({ diff: { added: 0, removed: 60, snapshotCount: 100 } });
    const result = await orchestrateSyncRun(acts, { ...input, confirmRemovals: true });
    expect(result.status).toBe('synced');
    expect(log).toContain('commitSnapshot');
  });

  it('never silently empties an audience from an empty segment', async () => {
    const { acts } = mockActivities({ memberCount: 0, diff: { added: 0, removed: 3, snapshotCount: 100 } });
    const result = await orchestrateSyncRun(acts, input);
    expect(result.status).toBe('needs_confirmation');
    expect(result.reason).toMatch(/empty/);
  });

  it('a dry run reports the diff and neither sends nor commits', async () => {
    const { acts, log } = mockActivities();
    const result = await orchestrateSyncRun(acts, { ...input, dryRun: true });
    expect(result).toMatchObject({ status: 'dry_run', plannedAdded: 10, plannedRemoved: 5, planned: 15, sent: 0, deferred: 15, added: 0, removed: 0 });
    expect(log).toEqual(['startRun', 'evaluateAndDiff', 'finishRun:dry_run']);
  });
});
