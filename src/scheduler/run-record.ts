import type { MatchRate } from '../destinations/contract';
import type { RunPatch } from '../store';
import type { SyncRunResult } from '../sync/orchestrate';

/** The counts a run reports about the rows it planned to send (SPEC §6): planned = accepted + rejected + deferred. */
export interface RunCounts {
  planned: number;
  sent: number;
  accepted: number;
  rejected: number;
  deferred: number;
  rejectedByReason: { reason: string; count: number }[];
}

/** What the run's caller measured or read back around `orchestrateSyncRun`. */
export interface RunExtras {
  /** Rejections by reason, when the result does not carry them (`steps.rejectionReasons`). */
  reasons?: { reason: string; count: number }[];
  matchRate?: MatchRate;
  /** Milliseconds per step. */
  timings: Record<string, number>;
  finishedAt: string;
}

/**
 * A run's counts from its result. The result's own `planned`, `sent`, `accepted`, `deferred` and
 * `rejectedByReason` are taken as they are when it has them; otherwise they are derived from what
 * every result has: the changes it found (added + removed) are planned, a synced run sent them all
 * and the destination accepted what it did not reject, and a run that stopped before sending
 * (dry run, needs confirmation, failed) deferred what it did not send.
 */
export function runCounts(result: SyncRunResult, reasons: { reason: string; count: number }[] = []): RunCounts {
  const r = result as SyncRunResult & Partial<RunCounts>;
  const planned = r.planned ?? result.added + result.removed;
  const rejected = result.rejected;
  const sent = r.sent ?? (result.status === 'synced' ? planned : rejected);
  const accepted = r.accepted ?? (result.status === 'synced' ? planned - rejected : 0);
  const deferred = r.deferred ?? planned - accepted - rejected;
  return { planned, sent, accepted, rejected, deferred, rejectedByReason: r.rejectedByReason ?? reasons };
}

/** The run's counts do not add up: a bug to report loudly, never a run to call synced. */
export class RunCountsError extends Error {
  override readonly name = 'RunCountsError';
}

/**
 * The one place a run's result becomes the store's run record (`store.runs.update`). It checks
 * planned = accepted + rejected + deferred and throws a RunCountsError when the counts do not add up.
 *
 * @example
 * await store.runs.update(record.runId, runRecordPatch(result, { timings, finishedAt: new Date().toISOString() }));
 */
export function runRecordPatch(result: SyncRunResult, extras: RunExtras): RunPatch {
  const c = runCounts(result, extras.reasons);
  if (c.planned !== c.accepted + c.rejected + c.deferred || [c.planned, c.sent, c.accepted, c.rejected, c.deferred].some((n) => n < 0))
    throw new RunCountsError(
      `run ${result.runId} of sync "${result.syncId}": counts do not add up (planned ${c.planned}, accepted ${c.accepted}, rejected ${c.rejected}, deferred ${c.deferred})`,
    );
  const byReason: Record<string, number> = {};
  for (const { reason, count } of c.rejectedByReason) byReason[reason] = (byReason[reason] ?? 0) + count;
  return {
    status: result.status,
    asOf: result.asOf,
    finishedAt: extras.finishedAt,
    planned: c.planned,
    sent: c.sent,
    accepted: c.accepted,
    rejected: c.rejected,
    rejectedByReason: byReason,
    deferred: c.deferred,
    batches: result.batches,
    timings: extras.timings,
    ...(extras.matchRate?.matchRate !== undefined ? { matchRate: extras.matchRate.matchRate } : {}),
    error: result.status === 'failed' || result.status === 'needs_confirmation' ? (result.reason ?? null) : null,
  };
}
