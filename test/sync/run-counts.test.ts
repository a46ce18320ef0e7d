import { describe, expect, it } from 'vitest';
import { countsProblem, type FinishInput, orchestrateSyncRun, type RunCounts, type SyncRunSteps, type UploadSummary } from '../../src/sync/orchestrate';
import { ledgerCounts } from '../../src/sync/steps';

/** Steps over a fixed diff; `sent` says how many rows each side's upload reports. */
function fakeSteps(o: { added: number; removed: number; sent: Record<'add' | 'remove', number>; rejected?: number }) {
  const finished: FinishInput[] = [];
  let committed = false;
  const steps: SyncRunSteps = {
    startRun: async (i) => ({ runId: 'r1', syncId: i.syncId, asOf: i.asOf, mode: 'mirror', maxRemovalShare: 1, allowEmpty: true, resumed: false }),
    evaluateAndDiff: async () => ({ memberCount: 100, added: o.added, removed: o.removed, snapshotCount: 100 }),
    ensureAudience: async () => ({ audienceId: 'a', audienceName: 'n' }),
    uploadChanges: async (run): Promise<UploadSummary> => ({ kind: run.kind, batches: 1, skippedBatches: 0, sent: o.sent[run.kind], rejected: run.kind === 'add' ? (o.rejected ?? 0) : 0 }),
    commitSnapshot: async () => void (committed = true),
    finishRun: async (f) => void finished.push(f),
  };
  return { steps, finished, committed: () => committed };
}

describe('run counts', () => {
  it('a synced run: planned = accepted + rejected + deferred, with deferred 0', async () => {
    const f = fakeSteps({ added: 5, removed: 2, sent: { add: 5, remove: 2 }, rejected: 1 });
    const r = await orchestrateSyncRun(f.steps, { syncId: 's', asOf: '2026-01-01T00:00:00Z' });
    expect(r).toMatchObject({ status: 'synced', planned: 7, sent: 7, accepted: 6, rejected: 1, deferred: 0, added: 5, removed: 2 });
    expect(f.finished[0]!.counts).toEqual({ planned: 7, sent: 7, accepted: 6, rejected: 1, deferred: 0, added: 5, removed: 2 });
  });

  it('an upload that reports fewer rows than planned fails the run loudly and never commits the snapshot', async () => {
    const f = fakeSteps({ added: 5, removed: 0, sent: { add: 4, remove: 0 } });
    const r = await orchestrateSyncRun(f.steps, { syncId: 's', asOf: '2026-01-01T00:00:00Z' });
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/the counts do not add up, a synced run left 1 planned rows unsent/);
    expect(f.committed()).toBe(false);
    expect(f.finished[0]).toMatchObject({ status: 'failed' });
  });

  it('checks every identity', () => {
    const ok: RunCounts = { planned: 3, sent: 2, accepted: 2, rejected: 0, deferred: 1, added: 1, removed: 1 };
    expect(countsProblem(ok, 'failed')).toBeUndefined();
    expect(countsProblem(ok, 'synced')).toMatch(/left 1 planned rows unsent/);
    expect(countsProblem({ ...ok, deferred: 2 }, 'failed')).toMatch(/planned is not accepted \+ rejected \+ deferred/);
    expect(countsProblem({ ...ok, sent: 3 }, 'failed')).toMatch(/sent is not accepted \+ rejected/);
    expect(countsProblem({ ...ok, added: 2 }, 'failed')).toMatch(/sent is not added \+ removed/);
    expect(countsProblem({ ...ok, planned: -1 }, 'failed')).toMatch(/not a whole number/);
  });

  it('a failed run counts from the ledger: batches acknowledged before the failure are sent', () => {
    const ledger = [
      { batchId: 'r/remove/0', kind: 'remove' as const, seq: 0, rowCount: 3, rejected: 0 },
      { batchId: 'r/add/0', kind: 'add' as const, seq: 0, rowCount: 3, rejected: 1 },
    ];
    expect(ledgerCounts(10, ledger)).toEqual({ planned: 10, sent: 6, accepted: 5, rejected: 1, deferred: 4, added: 3, removed: 3 });
  });
});
