import { type Actor, ConflictError, NotFoundError, OpenRunError, type RunOptions, type RunRecord, type Store, type WorkspaceSettings } from '../store';
import { refreshWithDependencies, type SegmentEvaluation } from '../state/membership';
import type { ServerWarehouse } from './warehouse';

/**
 * What a run request, a confirmation and a refresh do in the store before any orchestrator
 * (in-process or Temporal) takes over: shared by `LocalRuns` and `TemporalRuns`.
 */

/** Records a queued run (an OpenRunError while one is open) and the request in the audit log. */
export async function queueRun(store: Store, syncId: string, options: RunOptions, actor: Actor): Promise<RunRecord> {
  const run = await store.runs.queue(syncId, { requestedBy: actor.name, options });
  await store.audit.record(actor, [{ action: 'run', objectType: 'sync', objectId: syncId, diff: { before: null, after: { runId: run.runId, ...options } } }]);
  return run;
}

/** Puts a `needs_confirmation` run back in the queue with removals allowed (same run id), audited. */
export async function requeueConfirmed(store: Store, runId: string, actor: Actor): Promise<RunRecord> {
  const run = await store.runs.get(runId);
  if (!run) throw new NotFoundError(`no run "${runId}"`);
  if (run.status !== 'needs_confirmation') throw new ConflictError(`run ${runId} is ${run.status}: only a run that needs confirmation can be confirmed`);
  const open = await store.runs.open(run.syncId);
  if (open) throw new OpenRunError(run.syncId, open.runId);
  let queued: RunRecord;
  try {
    queued = await store.runs.update(runId, { status: 'queued', options: { ...run.options, confirmRemovals: true }, error: null, finishedAt: null });
  } catch (err) {
    // Another request queued a run of this sync meanwhile (one open run per sync, by a unique index).
    const winner = await store.runs.open(run.syncId);
    if (winner && winner.runId !== runId) throw new OpenRunError(run.syncId, winner.runId);
    throw err;
  }
  await store.audit.record(actor, [
    { action: 'confirm', objectType: 'sync', objectId: run.syncId, diff: { before: { runId, status: run.status }, after: { runId, status: 'queued', confirmRemovals: true } } },
  ]);
  return queued;
}

/** Refreshes a segment (after those it references) as a server job, feeding the membership lookup. */
export async function refreshAsJob(
  deps: { store: Store; settings: WorkspaceSettings; warehouse: ServerWarehouse; log?: (event: string, fields?: Record<string, unknown>) => void },
  segmentId: string,
  asOf: Date,
): Promise<SegmentEvaluation[]> {
  const { store } = deps;
  const workspace = await store.workspace(deps.settings);
  if (!workspace.segments.some((s) => s.id === segmentId)) throw new NotFoundError(`no segment "${segmentId}"`);
  const onChanges = async (c: Parameters<Store['membership']['take']>[0]) => void (await store.membership.take(c));
  return deps.warehouse.job((warehouse) => refreshWithDependencies({ warehouse, workspace, onChanges, ...(deps.log ? { log: deps.log } : {}) }, segmentId, asOf));
}
