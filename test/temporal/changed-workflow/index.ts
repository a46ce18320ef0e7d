/**
 * syncRunWorkflow deliberately changed: the same orchestration, but the audience is looked up
 * before the segment is evaluated and diffed. Replaying recorded histories against it must fail
 * with a nondeterminism error, which proves the replay tests compare the code with the history.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { OutflowActivities } from '../../../src/activities';
import { orchestrateSyncRun, type SyncRunInput, type SyncRunResult } from '../../../src/sync/orchestrate';

const acts = proxyActivities<OutflowActivities>({ startToCloseTimeout: '1 minute' });

export async function syncRunWorkflow(input: SyncRunInput): Promise<SyncRunResult> {
  let audience: { audienceId: string; audienceName: string } | undefined;
  return orchestrateSyncRun(
    {
      startRun: acts.startRun,
      evaluateAndDiff: async (run) => {
        audience = await acts.ensureAudience(run);
        return acts.evaluateAndDiff(run);
      },
      ensureAudience: async (run) => audience ?? acts.ensureAudience(run),
      uploadChanges: acts.uploadChanges,
      commitSnapshot: acts.commitSnapshot,
      finishRun: acts.finishRun,
    },
    input,
  );
}
