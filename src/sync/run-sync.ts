import { createLocalActivities, type SyncDeps } from './local-activities';
import { orchestrateSyncRun, type SyncRunInput, type SyncRunResult } from './orchestrate';

/**
 * Runs one sync in this process (the embedded default, the CLI, tests): the same ordered steps
 * as the Temporal workflow, over in-process activities.
 *
 * @example
 * const result = await runSync({ warehouse, workspace, destinations: destinationFactory(workspace, dir) },
 *   { syncId: 'buyers-file', asOf: new Date().toISOString() });
 */
export function runSync(deps: SyncDeps, input: SyncRunInput): Promise<SyncRunResult> {
  return orchestrateSyncRun(createLocalActivities(deps), input);
}

/** Exit code of `outflow sync run` for each outcome (SPEC §3; 3 is Outflow's "needs confirmation"). */
export const SYNC_EXIT_CODES: Readonly<Record<SyncRunResult['status'], number>> = {
  synced: 0,
  dry_run: 0,
  failed: 1,
  needs_confirmation: 3,
};
