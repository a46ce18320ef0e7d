import { Context } from '@temporalio/activity';
import type { MatchRate } from '../destinations/contract';
import { type RefreshDeps, refreshWithDependencies } from '../state/membership';
import type { FinishInput, RunRef, StartedRun, SyncRunInput, UploadSummary } from '../sync/orchestrate';
import { createSyncSteps, type SyncDeps, type SyncSteps } from '../sync/steps';
import { mapFailures } from './failures';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, heartbeatWhile, resumeCursor, type UploadCursor } from './heartbeat';

export type { UploadCursor } from './heartbeat';
export { toTemporalFailure, FAILURE_TYPES } from './failures';

export interface ActivityOptions {
  /** How often a running activity heartbeats; default 10 s, tests shorten it. */
  heartbeatIntervalMs?: number;
  /** Sees what each refresh changed (the worker feeds the store's membership lookup with it). */
  onChanges?: RefreshDeps['onChanges'];
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

/** What the activities run: the sync steps, and a segment refresh. */
export interface ActivitySteps extends SyncSteps {
  refreshSegment(input: RefreshSegmentInput): Promise<RefreshSegmentResult>;
}

/**
 * The Temporal activities: the sync steps (`createSyncSteps(deps)`) with heartbeats, cancellation
 * and the one mapping of failures to Temporal retry semantics on top. Temporal's activity retry
 * owns single destination calls here, so the steps try those once; uploads keep their per-batch
 * retries, and Temporal does not retry a platform failure that leaves one (docs/temporal.md "Who
 * retries a failed platform call").
 *
 * @example
 * const worker = await Worker.create({ activities: createActivities({ warehouse, workspace, destinations }), ... });
 */
export function createActivities(deps: SyncDeps & ActivityOptions) {
  const steps = createSyncSteps({ ...deps, singleCallsRetriedBy: 'orchestrator' });
  return activitiesOver({ ...steps, refreshSegment: (input) => refreshSegment(deps, input) }, deps);
}

async function refreshSegment(deps: SyncDeps & Pick<ActivityOptions, 'onChanges'>, input: RefreshSegmentInput): Promise<RefreshSegmentResult> {
  const evaluations = await refreshWithDependencies(deps, input.segmentId, new Date(input.asOf));
  const own = evaluations.find((e) => e.segmentId === input.segmentId);
  if (!own) throw new Error(`refreshing segment "${input.segmentId}" produced no evaluation of it`);
  return { segmentId: own.segmentId, asOf: own.asOf.toISOString(), memberCount: own.memberCount, added: own.added, removed: own.removed };
}

/** Every activity Outflow registers on its task queue. Workflows proxy this type. */
export type OutflowActivities = ReturnType<typeof createActivities>;

/** The activities over given steps; tests pass in-memory ones. */
export function activitiesOver(steps: ActivitySteps, options: ActivityOptions = {}) {
  const interval = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  // Warehouse steps are single long queries with no cursor of their own: heartbeat while they run
  // so a lost worker is noticed after the heartbeat timeout.
  const alive = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    mapFailures((...args: A) => heartbeatWhile(() => fn(...args), undefined, interval));

  const uploadChanges = async (run: StartedRun & { kind: 'add' | 'remove' }): Promise<UploadSummary> => {
    const ctx = Context.current();
    // The ledger decides what a retried upload skips; the previous attempt's cursor is shown
    // again at once so the progress in the Temporal UI does not drop back to zero.
    let latest: UploadCursor | undefined = resumeCursor(ctx.info.heartbeatDetails, run.kind);
    if (latest) {
      ctx.log.info('retrying upload; acknowledged batches are skipped', { runId: run.runId, kind: run.kind, done: latest.done, total: latest.total });
      ctx.heartbeat(latest);
    }
    return heartbeatWhile(
      () =>
        steps.uploadChanges(run, {
          onProgress: ({ kind, done, total }) => {
            latest = { kind, done, total };
            ctx.heartbeat(latest);
          },
          signal: ctx.cancellationSignal,
        }),
      () => latest,
      interval,
    );
  };

  return {
    startRun: mapFailures((input: SyncRunInput) => steps.startRun(input)),
    evaluateAndDiff: alive((run: StartedRun) => steps.evaluateAndDiff(run)),
    ensureAudience: mapFailures((run: StartedRun) => steps.ensureAudience(run)),
    // The step already retried every batch: a platform failure that leaves it is final.
    uploadChanges: mapFailures(uploadChanges, { retriedInStep: true }),
    commitSnapshot: alive((run: StartedRun) => steps.commitSnapshot(run)),
    finishRun: mapFailures((input: FinishInput) => steps.finishRun(input)),
    refreshSegment: alive((input: RefreshSegmentInput) => steps.refreshSegment(input)),
    readMatchRate: mapFailures((ref: RunRef) => steps.readMatchRate(ref)),
    recordMatchRate: mapFailures((ref: RunRef, rate: MatchRate) => steps.recordMatchRate(ref, rate)),
  };
}
