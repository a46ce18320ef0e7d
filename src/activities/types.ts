import type { MatchRate } from '../destinations/contract';
import type { RunRef, StartedRun, SyncActivities, UploadSummary } from '../sync/orchestrate';

/**
 * Where an upload stands: sent as heartbeat details after every acknowledged batch (visible in
 * the Temporal UI as the activity's progress), and handed back to the next attempt after a
 * retry. The run's batch ledger is the source of truth for what was acknowledged, so a resumed
 * upload never re-sends a batch; the cursor tells the step where the previous attempt stopped.
 *
 * @example
 * { kind: 'add', done: 120000, total: 450000 }
 */
export interface UploadCursor {
  kind: 'add' | 'remove';
  /** Rows of this side of the diff already acknowledged. */
  done: number;
  /** Rows on this side of the diff. */
  total: number;
}

/** What the upload step gets from the activity around it. */
export interface UploadOptions {
  /** The cursor of a previous attempt of this same upload, when there was one. */
  resumeFrom?: UploadCursor;
  /** Called after each acknowledged batch; the activity heartbeats it. */
  onProgress(cursor: UploadCursor): void;
  /** Aborted when Temporal cancels the activity; the step stops between batches. */
  signal: AbortSignal;
}

/** `outflow segments refresh` as an activity: evaluate and write the membership tables. */
export interface RefreshSegmentInput {
  segmentId: string;
  /** ISO-8601 instant; the workflow passes its own (deterministic) time when absent. */
  asOf: string;
}

/** One row of `segment_evaluations` (SPEC §5). */
export interface RefreshSegmentResult {
  segmentId: string;
  asOf: string;
  memberCount: number;
  added: number;
  removed: number;
}

/**
 * The in-process steps of a sync run (src/sync), bound to a warehouse, a workspace and the
 * destinations. `createActivities` turns them into Temporal activities; the worker binds the real
 * ones, tests bind fakes.
 *
 * @example
 * const activities = createActivities({ steps: bindSyncSteps(deps) });
 */
export interface SyncSteps extends Omit<SyncActivities, 'uploadChanges'> {
  uploadChanges(run: StartedRun & { kind: 'add' | 'remove' }, options: UploadOptions): Promise<UploadSummary>;
  refreshSegment(input: RefreshSegmentInput): Promise<RefreshSegmentResult>;
  /** Reads back what the platform reports for the audience of this run's sync. */
  readMatchRate(ref: RunRef): Promise<MatchRate>;
  /** Records the match rate on the run (`sync_runs.match_rate`) and the sync. */
  recordMatchRate(ref: RunRef, rate: MatchRate): Promise<void>;
}
