/**
 * The order of the steps of one sync run, written once (DESIGN "One sync run").
 *
 * `outflow sync run` (and every other in-process caller) calls it with `createSyncSteps(deps)`
 * (src/sync/steps.ts); the Temporal workflow calls it with the same steps proxied to a worker.
 * This file must stay deterministic and free of I/O and Node built-ins: it is bundled into the
 * workflow sandbox. Only `import type` from the rest of src/.
 */

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
}

export interface UploadSummary {
  kind: 'add' | 'remove';
  /** Batches acknowledged by this call. */
  batches: number;
  /** Batches skipped because the ledger already had them acknowledged (resumed runs). */
  skippedBatches: number;
  sent: number;
  rejected: number;
}

export interface FinishInput extends RunRef {
  status: Exclude<RunStatus, 'queued' | 'syncing'>;
  error?: string;
  added?: number;
  removed?: number;
  rejected?: number;
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
  /** Records the outcome on `sync_runs` and releases the lock. */
  finishRun(input: FinishInput): Promise<void>;
}

export interface SyncRunResult extends RunRef {
  status: FinishInput['status'];
  asOf: string;
  memberCount: number;
  added: number;
  removed: number;
  rejected: number;
  batches: number;
  /** Why the run stopped (`failed`) or what needs confirming (`needs_confirmation`). */
  reason?: string;
}

/** Exit code of `outflow sync run` for each outcome (SPEC §3; 3 is Outflow's "needs confirmation"). */
export const SYNC_EXIT_CODES: Readonly<Record<SyncRunResult['status'], number>> = {
  synced: 0,
  dry_run: 0,
  failed: 1,
  needs_confirmation: 3,
};

/** Why a run must stop for confirmation, or undefined when it may go on. */
export function removalGuard(run: Pick<StartedRun, 'mode' | 'maxRemovalShare' | 'allowEmpty'>, diff: DiffSummary, confirmRemovals: boolean): string | undefined {
  if (run.mode !== 'mirror' || diff.removed === 0 || confirmRemovals) return undefined;
  if (diff.memberCount === 0 && !run.allowEmpty)
    return `the segment is empty: this run would remove all ${diff.removed} members of the audience; rerun with --confirm-removals to allow it`;
  if (diff.snapshotCount > 0 && diff.removed / diff.snapshotCount > run.maxRemovalShare) {
    const share = Math.round((diff.removed / diff.snapshotCount) * 1000) / 10;
    return `this run would remove ${diff.removed} of ${diff.snapshotCount} members (${share}%), more than maxRemovalShare ${run.maxRemovalShare}; rerun with --confirm-removals to allow it`;
  }
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

/** The message of an error, looking through wrappers such as Temporal's ActivityFailure. */
export function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs one sync: evaluate and diff -> guards (audience size, removals) -> upload removes, then
 * adds -> commit -> finish.
 * The snapshot moves only after every batch is acknowledged, so a run that fails anywhere
 * leaves it where it was and the next run re-derives the same diff.
 *
 * @example
 * const result = await orchestrateSyncRun(createSyncSteps(deps), { syncId: 'buyers-meta', asOf: new Date().toISOString() });
 */
export async function orchestrateSyncRun(steps: SyncRunSteps, input: SyncRunInput): Promise<SyncRunResult> {
  const run = await steps.startRun(input);
  const result: SyncRunResult = {
    runId: run.runId,
    syncId: run.syncId,
    asOf: run.asOf,
    status: 'synced',
    memberCount: 0,
    added: 0,
    removed: 0,
    rejected: 0,
    batches: 0,
  };
  const finish = async (status: FinishInput['status'], reason?: string): Promise<SyncRunResult> => {
    result.status = status;
    if (reason !== undefined) result.reason = reason;
    await steps.finishRun({
      runId: run.runId,
      syncId: run.syncId,
      status,
      ...(reason !== undefined ? { error: reason } : {}),
      added: result.added,
      removed: result.removed,
      rejected: result.rejected,
      batches: result.batches,
    });
    return result;
  };

  try {
    const diff = await steps.evaluateAndDiff(run);
    result.memberCount = diff.memberCount;
    result.added = diff.added;
    result.removed = run.mode === 'mirror' ? diff.removed : 0;

    if (input.dryRun) return await finish('dry_run');
    const confirmed = (input.confirmRemovals || run.confirmRemovals) ?? false;
    const guard = audienceSizeGuard(run, diff, confirmed) ?? removalGuard(run, diff, confirmed);
    if (guard !== undefined) return await finish('needs_confirmation', guard);

    if (result.added > 0 || result.removed > 0) {
      await steps.ensureAudience(run);
      const kinds: ('remove' | 'add')[] = run.mode === 'mirror' ? ['remove', 'add'] : ['add'];
      for (const kind of kinds) {
        const up = await steps.uploadChanges({ ...run, kind });
        result.batches += up.batches + up.skippedBatches;
        result.rejected += up.rejected;
      }
    }
    await steps.commitSnapshot(run);
    return await finish('synced');
  } catch (err) {
    return await finish('failed', rootMessage(err));
  }
}
