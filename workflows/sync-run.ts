import {
  CancellationScope,
  ParentClosePolicy,
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { OutflowActivities } from '../src/activities';
import { orchestrateSyncRun, type SyncRunInput, type SyncRunResult, type SyncRunSteps, type UploadSummary } from '../src/sync/orchestrate';
import { matchRateWorkflowId } from './ids';
import { matchRatePollWorkflow } from './match-rate-poll';
import { SYNC_RUN_PRESETS } from './presets';

export interface SyncRunWorkflowInput extends Omit<SyncRunInput, 'asOf'> {
  /** ISO-8601; defaults to the workflow's start time (what a scheduled run wants). */
  asOf?: string;
  /** Start the durable match-rate poll after a run that changed the audience (default true). */
  pollMatchRate?: boolean;
}

/** What `statusQuery` answers: enough for `outflow sync run --via temporal` to draw progress. */
export interface SyncRunStatus {
  phase: 'starting' | 'running' | 'finished';
  /** The activity running now, e.g. `uploadChanges:add`. */
  step?: string;
  runId?: string;
  asOf?: string;
  uploads: UploadSummary[];
  cancelRequested?: string;
  result?: SyncRunResult;
}

export const statusQuery = defineQuery<SyncRunStatus>('status');
/** Stops the run between steps (and an upload between batches); the snapshot is left untouched. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');

const proxy = <K extends keyof SyncRunSteps>(step: K) => proxyActivities<OutflowActivities>(SYNC_RUN_PRESETS[step])[step];
const remote = {
  startRun: proxy('startRun'),
  evaluateAndDiff: proxy('evaluateAndDiff'),
  ensureAudience: proxy('ensureAudience'),
  uploadChanges: proxy('uploadChanges'),
  commitSnapshot: proxy('commitSnapshot'),
  finishRun: proxy('finishRun'),
};

/**
 * One sync run: the same `orchestrateSyncRun` as `outflow sync run`, with activities proxied to
 * the worker. Started with id `sync/<syncId>`.
 */
export async function syncRunWorkflow(input: SyncRunWorkflowInput): Promise<SyncRunResult> {
  const status: SyncRunStatus = { phase: 'starting', uploads: [] };
  setHandler(statusQuery, () => status);
  const scope = new CancellationScope();
  setHandler(cancelSignal, (reason) => {
    status.cancelRequested = reason ?? 'cancelled on request';
    scope.cancel();
  });

  const steps: SyncRunSteps = {
    async startRun(i) {
      status.step = 'startRun';
      // Not cancellable once sent: a run that took the sync's lock must reach finishRun.
      const run = await CancellationScope.nonCancellable(() => remote.startRun(i));
      status.phase = 'running';
      status.runId = run.runId;
      status.asOf = run.asOf;
      return run;
    },
    async evaluateAndDiff(run) {
      status.step = 'evaluateAndDiff';
      return remote.evaluateAndDiff(run);
    },
    async ensureAudience(run) {
      status.step = 'ensureAudience';
      return remote.ensureAudience(run);
    },
    async uploadChanges(run) {
      status.step = `uploadChanges:${run.kind}`;
      const summary = await remote.uploadChanges(run);
      status.uploads.push(summary);
      return summary;
    },
    async commitSnapshot(run) {
      status.step = 'commitSnapshot';
      // Once a commit starts it finishes: a half-honoured cancel must not leave the workflow
      // reporting "failed" over a snapshot that did move.
      return CancellationScope.nonCancellable(() => remote.commitSnapshot(run));
    },
    async finishRun(fin) {
      status.step = 'finishRun';
      const cancelled = status.cancelRequested !== undefined && fin.status === 'failed';
      // Always record the outcome and release the sync's lock, cancelled or not.
      return CancellationScope.nonCancellable(() =>
        remote.finishRun(cancelled ? { ...fin, error: `cancelled: ${status.cancelRequested}` } : fin),
      );
    },
  };

  const asOf = input.asOf ?? new Date(workflowInfo().startTime).toISOString();
  const { pollMatchRate = true, ...runInput } = input;
  // startRun, commitSnapshot and finishRun ignore the cancel; everything else stops, and the
  // orchestration's failure path records the run as failed.
  const result = await scope.run(() => orchestrateSyncRun(steps, { ...runInput, asOf }));
  if (status.cancelRequested !== undefined && result.status === 'failed') result.reason = `cancelled: ${status.cancelRequested}`;
  status.result = result;
  status.phase = 'finished';
  delete status.step;

  if (pollMatchRate && result.status === 'synced' && result.added + result.removed > 0) {
    try {
      // ABANDON: the poll outlives this run by up to 48 h; the run is done when its data is sent.
      await startChild(matchRatePollWorkflow, {
        workflowId: matchRateWorkflowId(result.runId),
        args: [{ runId: result.runId, syncId: result.syncId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // A poll for this run is already going (a resumed run finishing again): the data is sent,
      // so the run still succeeds.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      log.info('match-rate poll already running', { runId: result.runId });
    }
  }
  return result;
}
