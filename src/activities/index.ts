import { Context } from '@temporalio/activity';
import type { MatchRate } from '../destinations/contract';
import type { RunRef, StartedRun, SyncActivities, UploadSummary } from '../sync/orchestrate';
import { mapFailures } from './failures';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, heartbeatWhile, resumeCursor } from './heartbeat';
import type { RefreshSegmentInput, RefreshSegmentResult, SyncSteps, UploadCursor } from './types';

export type { RefreshSegmentInput, RefreshSegmentResult, SyncSteps, UploadCursor, UploadOptions } from './types';
export { toTemporalFailure, FAILURE_TYPES } from './failures';

/** What the activities need: the bound sync steps, and how often to heartbeat. */
export interface ActivityDeps {
  steps: SyncSteps;
  /** Default 10 s; tests shorten it. */
  heartbeatIntervalMs?: number;
}

/** Every activity Outflow registers on its task queue. Workflows proxy this type. */
export interface OutflowActivities extends SyncActivities {
  refreshSegment(input: RefreshSegmentInput): Promise<RefreshSegmentResult>;
  readMatchRate(ref: RunRef): Promise<MatchRate>;
  recordMatchRate(ref: RunRef, rate: MatchRate): Promise<void>;
}

/**
 * The Temporal activities: thin wrappers over the sync steps that add heartbeats, resume from
 * heartbeat details, cancellation, and the one mapping of destination errors to retry semantics.
 *
 * @example
 * const worker = await Worker.create({ activities: createActivities({ steps }), ... });
 */
export function createActivities(deps: ActivityDeps): OutflowActivities {
  const { steps } = deps;
  const interval = deps.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  // Warehouse steps are single long queries with no cursor of their own: heartbeat while they run
  // so a lost worker is noticed after the heartbeat timeout.
  const alive = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    mapFailures((...args: A) => heartbeatWhile(() => fn(...args), undefined, interval));

  const uploadChanges = async (run: StartedRun & { kind: 'add' | 'remove' }): Promise<UploadSummary> => {
    const ctx = Context.current();
    const resumeFrom = resumeCursor(ctx.info.heartbeatDetails, run.kind);
    let latest: UploadCursor | undefined = resumeFrom;
    if (resumeFrom) {
      ctx.log.info('resuming upload from heartbeat cursor', { runId: run.runId, kind: run.kind, done: resumeFrom.done, total: resumeFrom.total });
      ctx.heartbeat(resumeFrom);
    }
    return heartbeatWhile(
      () =>
        steps.uploadChanges(run, {
          ...(resumeFrom ? { resumeFrom } : {}),
          onProgress: (cursor) => {
            latest = cursor;
            ctx.heartbeat(cursor);
          },
          signal: ctx.cancellationSignal,
        }),
      () => latest,
      interval,
    );
  };

  return {
    startRun: mapFailures((input) => steps.startRun(input)),
    evaluateSegment: alive((run: StartedRun) => steps.evaluateSegment(run)),
    computeDiff: alive((run: StartedRun) => steps.computeDiff(run)),
    ensureAudience: mapFailures((run: StartedRun) => steps.ensureAudience(run)),
    uploadChanges: mapFailures(uploadChanges),
    commitSnapshot: alive((run: StartedRun) => steps.commitSnapshot(run)),
    finishRun: mapFailures((input) => steps.finishRun(input)),
    refreshSegment: alive((input: RefreshSegmentInput) => steps.refreshSegment(input)),
    readMatchRate: mapFailures((ref: RunRef) => steps.readMatchRate(ref)),
    recordMatchRate: mapFailures((ref: RunRef, rate: MatchRate) => steps.recordMatchRate(ref, rate)),
  };
}
