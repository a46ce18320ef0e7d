import type { MatchRate } from '../destinations/contract';
import type { RunPatch } from '../store';
import { countsProblem, type SyncRunResult } from '../sync/orchestrate';

/** What the run's caller measured or read back around `orchestrateSyncRun`. */
export interface RunExtras {
  /** Rejections by reason (`steps.rejectionReasons`). */
  reasons?: { reason: string; count: number }[];
  matchRate?: MatchRate;
  /** Milliseconds per step. */
  timings: Record<string, number>;
  finishedAt: string;
}

/** The run's counts do not add up: a bug to report loudly, never a run to call synced. */
export class RunCountsError extends Error {
  override readonly name = 'RunCountsError';
}

/**
 * The one place a run's result becomes the store's run record (`store.runs.update`). The result
 * carries its counts (the orchestration checked them); they are checked again here, and a
 * RunCountsError is thrown when they do not add up.
 *
 * @example
 * await store.runs.update(record.runId, runRecordPatch(result, { timings, finishedAt: new Date().toISOString() }));
 */
export function runRecordPatch(result: SyncRunResult, extras: RunExtras): RunPatch {
  const problem = countsProblem(result, result.status);
  if (problem !== undefined) throw new RunCountsError(`run ${result.runId} of sync "${result.syncId}": the counts do not add up, ${problem}`);
  const byReason: Record<string, number> = {};
  for (const { reason, count } of extras.reasons ?? []) byReason[reason] = (byReason[reason] ?? 0) + count;
  return {
    status: result.status,
    asOf: result.asOf,
    finishedAt: extras.finishedAt,
    planned: result.planned,
    sent: result.sent,
    accepted: result.accepted,
    rejected: result.rejected,
    rejectedByReason: byReason,
    deferred: result.deferred,
    excluded: result.excluded ?? null,
    batches: result.batches,
    timings: extras.timings,
    ...(extras.matchRate?.matchRate !== undefined ? { matchRate: extras.matchRate.matchRate } : {}),
    error: result.status === 'failed' || result.status === 'needs_confirmation' ? (result.reason ?? null) : null,
  };
}
