import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, executeChild, log } from '@temporalio/workflow';
import type { SyncRunResult } from '../src/sync/orchestrate';
import { syncWorkflowId } from './ids';
import { syncRunWorkflow } from './sync-run';

export interface ScheduledSyncInput {
  syncId: string;
}

export type ScheduledSyncResult = { started: true; result: SyncRunResult } | { started: false; reason: string };

/**
 * What a Temporal Schedule starts. Schedules suffix the workflow ids they start with a timestamp,
 * so the run itself is started here as a child under the business id `sync/<syncId>`: a run
 * already open (manual or scheduled) makes that start fail, and this scheduled run is skipped.
 */
export async function scheduledSyncWorkflow(input: ScheduledSyncInput): Promise<ScheduledSyncResult> {
  try {
    const result = await executeChild(syncRunWorkflow, {
      workflowId: syncWorkflowId(input.syncId),
      args: [{ syncId: input.syncId }],
      // Cancelling or terminating this launcher asks the run to stop cleanly (finishRun still runs).
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
    return { started: true, result };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      log.info('a run of this sync is already open; skipping this scheduled run', { syncId: input.syncId });
      return { started: false, reason: `a run of sync "${input.syncId}" is already open` };
    }
    throw err;
  }
}
