/**
 * syncRunWorkflow deliberately changed: the same orchestration with evaluate and diff swapped.
 * Replaying recorded histories against it must fail with a nondeterminism error, which proves
 * the replay tests compare the code with the history.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { OutflowActivities } from '../../../src/activities';
import { orchestrateSyncRun, type SyncRunInput, type SyncRunResult } from '../../../src/sync/orchestrate';

const acts = proxyActivities<OutflowActivities>({ startToCloseTimeout: '1 minute' });

export async function syncRunWorkflow(input: SyncRunInput): Promise<SyncRunResult> {
  return orchestrateSyncRun(
    {
      startRun: acts.startRun,
      evaluateSegment: async (run) => {
        const diff = await acts.computeDiff(run);
        return { memberCount: diff.added };
      },
      computeDiff: async (run) => {
        await acts.evaluateSegment(run);
        return { added: 0, removed: 0, snapshotCount: 0 };
      },
      ensureAudience: acts.ensureAudience,
      uploadChanges: acts.uploadChanges,
      commitSnapshot: acts.commitSnapshot,
      finishRun: acts.finishRun,
    },
    input,
  );
}
