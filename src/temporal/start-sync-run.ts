import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { resumeCursor } from '../activities/heartbeat';
import type { UploadCursor } from '../activities/heartbeat';
import type { SyncRunResult } from '../sync/orchestrate';
import { cancelSignal, statusQuery, syncRunWorkflow, syncWorkflowId, type SyncRunStatus, type SyncRunWorkflowInput } from '../../workflows';

/** A run of this sync is already open in Temporal; the new start was refused. */
export class SyncRunAlreadyOpenError extends Error {
  override readonly name = 'SyncRunAlreadyOpenError';
}

/**
 * Starts `syncRunWorkflow` under the business id `sync/<syncId>`. While a run of the sync is
 * open the server refuses the start (conflict policy FAIL); once it has closed, a new run may
 * reuse the id.
 */
export async function startSyncRun(client: Client, taskQueue: string, input: SyncRunWorkflowInput): Promise<WorkflowHandle<typeof syncRunWorkflow>> {
  const workflowId = syncWorkflowId(input.syncId);
  try {
    return await client.workflow.start(syncRunWorkflow, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new SyncRunAlreadyOpenError(`a run of sync "${input.syncId}" is already open (workflow ${workflowId}); wait for it to finish or cancel it`, { cause: err });
    throw err;
  }
}

export interface FollowOptions {
  /** How often to ask the workflow for its status. */
  pollMs?: number;
  /** Called whenever the status changes (step, uploads, cancellation). */
  onStatus?: (status: SyncRunStatus) => void;
  /** When aborted, the run is asked to stop (cancelSignal) and is still followed to its end. */
  signal?: AbortSignal;
  /** Live upload progress, read from the running upload activity's last heartbeat. */
  onUpload?: (cursor: UploadCursor) => void;
}

/**
 * The cursor the running upload last heartbeated. The workflow cannot see heartbeats; the
 * server keeps the latest one with the pending activity.
 */
export async function uploadProgress(handle: Pick<WorkflowHandle, 'describe'>, kind: UploadCursor['kind']): Promise<UploadCursor | undefined> {
  const { raw } = await handle.describe();
  for (const pending of raw.pendingActivities ?? []) {
    if (pending.activityType?.name !== 'uploadChanges') continue;
    const payload = pending.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    return resumeCursor(defaultPayloadConverter.fromPayload(payload), kind);
  }
  return undefined;
}

/** Follows a run by polling `statusQuery` until the workflow ends; returns its result. */
export async function followSyncRun(handle: WorkflowHandle<typeof syncRunWorkflow>, opts: FollowOptions = {}): Promise<SyncRunResult> {
  const pollMs = opts.pollMs ?? 1000;
  let cancelled = false;
  const onAbort = () => {
    if (cancelled) return;
    cancelled = true;
    handle.signal(cancelSignal, 'interrupted from the command line').catch(() => undefined);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const result = handle.result();
  let done = false;
  void result.then(
    () => (done = true),
    () => (done = true),
  );
  let last = '';
  let lastCursor = '';
  try {
    while (!done) {
      try {
        const status = await handle.query(statusQuery);
        const key = JSON.stringify([status.phase, status.step, status.uploads.length, status.cancelRequested]);
        if (key !== last) {
          last = key;
          opts.onStatus?.(status);
        }
        const kind = status.step?.startsWith('uploadChanges:') ? (status.step.slice('uploadChanges:'.length) as UploadCursor['kind']) : undefined;
        if (kind && opts.onUpload) {
          const cursor = await uploadProgress(handle, kind);
          const cursorKey = JSON.stringify(cursor);
          if (cursor && cursorKey !== lastCursor) {
            lastCursor = cursorKey;
            opts.onUpload(cursor);
          }
        }
      } catch {
        // A query can fail while no worker is polling or the run is just closing; the result decides.
      }
      if (!done) await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, pollMs))]);
    }
    return await result;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
