/**
 * The order of the steps of one sync run, written once (DESIGN "One sync run").
 *
 * `outflow sync run` (and every other in-process caller) calls it with `createSyncSteps(deps)`
 * (src/sync/steps.ts); the Temporal workflow calls it with the same steps proxied to a worker.
 * This file must stay deterministic and free of I/O and Node built-ins: it is bundled into the
 * workflow sandbox. Only `import type` from the rest of src/, and the pure masking of messages.
 */

import { maskMessage } from '../privacy/mask';

/** Run states of SPEC §4, plus `dry_run` for a run that only reports its diff. */
export type RunStatus = 'queued' | 'syncing' | 'synced' | 'failed' | 'needs_confirmation' | 'dry_run';

export interface SyncRunInput {
  syncId: string;
  /** ISO-8601 instant the segment is evaluated at. */
  asOf: string;
  /** Report adds and removes without sending or committing anything. */
  dryRun?: boolean;
  /** Let this run remove more than `maxRemovalShare`, or empty the audience. */
  confirmRemovals?: boolean;
  /** Re-send the whole audience: add every current member's keys (removals still happen). */
  full?: boolean;
}

/** What the activities need to find a run again; every field is plain data (Temporal payloads). */
export interface RunRef {
  runId: string;
  syncId: string;
}

export interface StartedRun extends RunRef {
  /** The as-of of this run (a resumed run keeps the one it started with). */
  asOf: string;
  mode: 'mirror' | 'add_only';
  maxRemovalShare: number;
  allowEmpty: boolean;
  /** True when this call picked up an unfinished run of the sync instead of starting a new one. */
  resumed: boolean;
  /** The run was started with `confirmRemovals`; a resumed run keeps that decision. */
  confirmRemovals?: boolean;
  /** The run re-sends the whole audience (`--full`). */
  full?: boolean;
  /** The smallest audience the run may send without confirmation, and whose minimum it is. */
  minAudienceSize?: { size: number; of: string };
  /** The workspace's privacy floor: below it nothing is sent, confirmed or not. */
  privacyFloor?: number;
}

/** The counts of a run's diff. */
export interface DiffSummary {
  /** Members of the segment at the run's as-of. */
  memberCount: number;
  added: number;
  removed: number;
  /** Members in the last confirmed snapshot (the audience as Outflow last left it). */
  snapshotCount: number;
  /** Rows rejected before sending: the destination could use none of their values (prepareKeys). */
  rejected?: number;
  /** What the user should know about this run (e.g. a first run into a new audience). */
  notes?: string[];
  /** The sync's removal window (`removalWindowDays`); absent when the window is off. */
  window?: RemovalWindow;
  /** Members of the segment the workspace's exclusions keep out of the audience (absent: the sync has none). */
  excluded?: number;
  /** Of `removed`, the rows whose person is excluded: removals the user asked for, never stopped by the removal guard. */
  excludedRemoved?: number;
}

/** How large a sync's audience was over its recent runs (src/sync/removal-window.ts reads it). */
export interface RemovalWindow {
  days: number;
  /** The largest the audience (snapshot rows) was over the window, its size now included. */
  largest: number;
}

/**
 * What became of the rows a run planned to send (SPEC §6): every planned row is accepted, rejected
 * or deferred (not sent: the run stopped, failed, or was a dry run), so planned = accepted +
 * rejected + deferred, and sent = accepted + rejected.
 */
export interface RunCounts {
  /** Rows of the diff the run sends: adds, and removes in mirror mode. */
  planned: number;
  /** Rows in batches the destination acknowledged. */
  sent: number;
  accepted: number;
  rejected: number;
  deferred: number;
  /** Rows sent on each side (sent = added + removed; rejected rows included, as platforms count them). */
  added: number;
  removed: number;
}

export interface UploadSummary {
  kind: 'add' | 'remove';
  /** Batches acknowledged by this call. */
  batches: number;
  /** Batches skipped because the ledger already had them acknowledged (resumed runs). */
  skippedBatches: number;
  /** Rows in acknowledged batches of this side, batches acknowledged by earlier attempts included. */
  sent: number;
  rejected: number;
}

export interface FinishInput extends RunRef {
  status: Exclude<RunStatus, 'queued' | 'syncing'>;
  error?: string;
  /** The run's counts as the orchestration saw them (a failed upload's partial batches are counted from the ledger). */
  counts?: RunCounts;
  batches?: number;
}

/**
 * Every effectful step of a run, as the orchestration calls them. Inputs and outputs are plain
 * JSON so Temporal can carry them. The one implementation is `createSyncSteps` (src/sync/steps.ts).
 */
export interface SyncRunSteps {
  /** Takes the sync's lock and records the run as `syncing`; resumes an unfinished run if one exists. */
  startRun(input: SyncRunInput): Promise<StartedRun>;
  /**
   * Evaluates the segment at the run's as-of and diffs it against the last confirmed snapshot in
   * one warehouse statement, into the run's changes table (members are never materialised); a
   * resumed run gets the diff it already has. A dry run also hands a sample to its caller.
   */
  evaluateAndDiff(run: StartedRun): Promise<DiffSummary>;
  /** Finds or creates the destination audience, named by the segment's alias. */
  ensureAudience(run: StartedRun): Promise<{ audienceId: string; audienceName: string }>;
  /** Streams one side of the diff to the destination in batches, skipping acknowledged ones. */
  uploadChanges(run: StartedRun & { kind: 'add' | 'remove' }): Promise<UploadSummary>;
  /** Atomically applies the run's diff to the sync's snapshot (work proportional to the diff). */
  commitSnapshot(run: StartedRun): Promise<void>;
  /**
   * Records the outcome on `sync_runs` and releases the lock. Returns the counts it recorded: a
   * failed run's sent and rejected rows come from the ledger of acknowledged batches.
   */
  finishRun(input: FinishInput): Promise<RunCounts | void>;
}

export interface SyncRunResult extends RunRef, RunCounts {
  status: FinishInput['status'];
  asOf: string;
  memberCount: number;
  /** Rows of the diff on each side (what a dry run would add and remove); `added` and `removed` are what was sent. */
  plannedAdded: number;
  plannedRemoved: number;
  batches: number;
  /** Why the run stopped (`failed`) or what needs confirming (`needs_confirmation`). */
  reason?: string;
  /** Notes of the diff (e.g. a first run into a new audience). */
  notes?: string[];
  /** Members of the segment the workspace's exclusions kept out (absent: the sync has no exclusions). */
  excluded?: number;
}

/** Exit code of `outflow sync run` for each outcome (SPEC §3; 3 is Outflow's "needs confirmation"). */
export const SYNC_EXIT_CODES: Readonly<Record<SyncRunResult['status'], number>> = {
  synced: 0,
  dry_run: 0,
  failed: 1,
  needs_confirmation: 3,
};

/**
 * Why a run must stop for confirmation, or undefined when it may go on. Removals of excluded
 * persons (`excludedRemoved`) are left out of every measure: the user asked for them.
 */
export function removalGuard(run: Pick<StartedRun, 'mode' | 'maxRemovalShare' | 'allowEmpty'>, all: DiffSummary, confirmRemovals: boolean): string | undefined {
  const diff = { ...all, removed: all.removed - (all.excludedRemoved ?? 0) };
  if (run.mode !== 'mirror' || diff.removed === 0 || confirmRemovals) return undefined;
  if (diff.memberCount === 0 && !run.allowEmpty)
    return `the segment is empty: this run would remove all ${diff.removed} members of the audience; rerun with --confirm-removals to allow it`;
  const percent = (n: number, of: number) => Math.round((n / of) * 1000) / 10;
  if (diff.snapshotCount > 0 && diff.removed / diff.snapshotCount > run.maxRemovalShare)
    return `this run would remove ${diff.removed} of ${diff.snapshotCount} members (${percent(diff.removed, diff.snapshotCount)}%), more than maxRemovalShare ${run.maxRemovalShare}; rerun with --confirm-removals to allow it`;
  // Removals spread over several runs count together: runs each under the share must not walk the
  // audience down. Measured net of adds, so an audience that churns at a steady size never trips it.
  const w = diff.window;
  const after = diff.snapshotCount + diff.added - diff.removed;
  if (w && w.largest > 0 && (w.largest - after) / w.largest > run.maxRemovalShare)
    return `the audience had ${w.largest} members over the last ${w.days} days and this run would leave ${after} (${percent(w.largest - after, w.largest)}% fewer), more than maxRemovalShare ${run.maxRemovalShare}; rerun with --confirm-removals to allow it`;
  return undefined;
}

/**
 * Why a run that would change the audience must not send it for its size, or undefined: below the
 * workspace's privacy floor never, below the destination's minimum only when confirmed.
 */
export function audienceSizeGuard(run: Pick<StartedRun, 'minAudienceSize' | 'privacyFloor'>, diff: DiffSummary, confirmed: boolean): string | undefined {
  if (diff.added === 0 && diff.removed === 0) return undefined;
  const n = diff.memberCount;
  if (run.privacyFloor !== undefined && n < run.privacyFloor)
    return `the audience would have ${n} members, fewer than the workspace's minAudienceSize ${run.privacyFloor} (a privacy floor): nothing is sent, and no confirmation overrides it`;
  const min = run.minAudienceSize;
  if (min !== undefined && n < min.size && !confirmed)
    return `the audience would have ${n} members, fewer than the minimum of ${min.size} of ${min.of}; confirm the run (--confirm-removals) to send it anyway`;
  return undefined;
}

/**
 * The counts of a run before it sends anything: every planned row deferred, but the `unusable`
 * ones, rejected before sending (the destination could use none of their values).
 */
export function plannedCounts(planned: number, unusable = 0): RunCounts {
  return { planned, sent: 0, accepted: 0, rejected: unusable, deferred: planned - unusable, added: 0, removed: 0 };
}

/** Adds one side's upload to the counts; `deferred` is what no acknowledged batch carried. */
export function addUpload(c: RunCounts, up: Pick<UploadSummary, 'kind' | 'sent' | 'rejected'>): RunCounts {
  const accepted = up.sent - up.rejected;
  const sent = c.sent + up.sent;
  return {
    ...c,
    sent,
    accepted: c.accepted + accepted,
    rejected: c.rejected + up.rejected,
    deferred: c.deferred - up.sent,
    added: c.added + (up.kind === 'add' ? up.sent : 0),
    removed: c.removed + (up.kind === 'remove' ? up.sent : 0),
  };
}

/**
 * Why a run's counts cannot be right, or undefined: planned = accepted + rejected + deferred,
 * sent = accepted + rejected (but the `unusable` rows rejected before sending), none negative,
 * and a synced run deferred nothing.
 */
export function countsProblem(c: RunCounts, status: FinishInput['status'], unusable = 0): string | undefined {
  const all = `planned ${c.planned}, sent ${c.sent}, accepted ${c.accepted}, rejected ${c.rejected}, deferred ${c.deferred}`;
  if ([c.planned, c.sent, c.accepted, c.rejected, c.deferred, c.added, c.removed].some((n) => !Number.isInteger(n) || n < 0)) return `a count is not a whole number (${all})`;
  if (c.planned !== c.accepted + c.rejected + c.deferred) return `planned is not accepted + rejected + deferred (${all})`;
  if (c.sent + unusable !== c.accepted + c.rejected) return `sent is not accepted + rejected${unusable ? ` - ${unusable} rejected before sending` : ''} (${all})`;
  if (c.sent !== c.added + c.removed) return `sent is not added + removed (${all}, added ${c.added}, removed ${c.removed})`;
  if (status === 'synced' && c.deferred !== 0) return `a synced run left ${c.deferred} planned rows unsent (${all})`;
  return undefined;
}

/**
 * The message of an error, looking through wrappers such as Temporal's ActivityFailure, with any
 * value it quotes masked (`maskMessage`): what runs print and store as their error.
 */
export function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return maskMessage(e instanceof Error ? e.message : String(e));
}

/** What a caller running several syncs together can wait on (in-process only; a workflow passes none). */
export interface RunHooks {
  /** Awaited before the run sends its first add (its removes are all sent by then). */
  beforeAdds?: () => Promise<void>;
}

/**
 * Runs one sync: evaluate and diff -> guards (audience size, removals) -> upload removes, then
 * adds -> commit -> finish.
 * The snapshot moves only after every batch is acknowledged, so a run that fails anywhere
 * leaves it where it was and the next run re-derives the same diff. Every run ends with its
 * counts checked (`countsProblem`): a run whose counts do not add up is recorded as failed.
 *
 * @example
 * const result = await orchestrateSyncRun(createSyncSteps(deps), { syncId: 'buyers-meta', asOf: new Date().toISOString() });
 */
export async function orchestrateSyncRun(steps: SyncRunSteps, input: SyncRunInput, hooks: RunHooks = {}): Promise<SyncRunResult> {
  const run = await steps.startRun(input);
  const result: SyncRunResult = {
    runId: run.runId,
    syncId: run.syncId,
    asOf: run.asOf,
    status: 'synced',
    memberCount: 0,
    plannedAdded: 0,
    plannedRemoved: 0,
    ...plannedCounts(0),
    batches: 0,
  };
  /** Planned rows rejected before sending (prepareKeys found no usable value). */
  let unusable = 0;
  const counts = (): RunCounts => {
    const { planned, sent, accepted, rejected, deferred, added, removed } = result;
    return { planned, sent, accepted, rejected, deferred, added, removed };
  };
  const finish = async (status: FinishInput['status'], reason?: string): Promise<SyncRunResult> => {
    const problem = countsProblem(counts(), status, unusable);
    if (problem !== undefined) {
      status = 'failed';
      reason = `run ${run.runId}: the counts do not add up, ${problem}`;
    }
    result.status = status;
    if (reason !== undefined) result.reason = reason;
    const recorded = await steps.finishRun({
      runId: run.runId,
      syncId: run.syncId,
      status,
      ...(reason !== undefined ? { error: reason } : {}),
      counts: counts(),
      batches: result.batches,
    });
    // Histories recorded before finishRun returned counts replay with none.
    if (recorded) Object.assign(result, recorded);
    return result;
  };

  try {
    const diff = await steps.evaluateAndDiff(run);
    result.memberCount = diff.memberCount;
    if (diff.notes?.length) result.notes = diff.notes;
    if (diff.excluded !== undefined) result.excluded = diff.excluded;
    // Rows the destination could use no value of are planned adds, rejected before sending.
    unusable = diff.rejected ?? 0;
    result.plannedAdded = diff.added + unusable;
    result.plannedRemoved = run.mode === 'mirror' ? diff.removed : 0;
    Object.assign(result, plannedCounts(result.plannedAdded + result.plannedRemoved, unusable));

    if (input.dryRun) return await finish('dry_run');
    const confirmed = (input.confirmRemovals || run.confirmRemovals) ?? false;
    const guard = audienceSizeGuard(run, diff, confirmed) ?? removalGuard(run, diff, confirmed);
    if (guard !== undefined) return await finish('needs_confirmation', guard);

    if (result.deferred > 0) {
      await steps.ensureAudience(run);
      const kinds: ('remove' | 'add')[] = run.mode === 'mirror' ? ['remove', 'add'] : ['add'];
      for (const kind of kinds) {
        if (kind === 'add') await hooks.beforeAdds?.();
        const up = await steps.uploadChanges({ ...run, kind });
        result.batches += up.batches + up.skippedBatches;
        Object.assign(result, addUpload(counts(), up));
      }
    }
    if (countsProblem(counts(), 'synced', unusable) === undefined) await steps.commitSnapshot(run);
    return await finish('synced');
  } catch (err) {
    return await finish('failed', rootMessage(err));
  }
}
