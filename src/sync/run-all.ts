import type { SyncConfig, Workspace } from '../config/schema';
import { dropLeftoverRunTables } from '../state/leftover-run-tables';
import { type RefreshDeps, refreshOrder } from '../state/membership';
import { ensureStateSchema } from '../state/state-sql';
import { priorityPlace } from '../segments/audience-source';
import { orchestrateSyncRun, rootMessage, type RunHooks, type SyncRunResult } from './orchestrate';
import { RemovesFirst } from './removes-first';
import { SharedMembers } from './shared-members';
import { createSyncSteps, type SyncDeps, type SyncSteps } from './steps';

/**
 * The syncs `sync run --all` runs: enabled syncs whose segment is active (paused, draft and
 * archived segments run only when named by hand, src/segments/status.ts), segments referenced by
 * others first, in workspace order otherwise.
 */
export function dueSyncs(ws: Workspace): SyncConfig[] {
  const active = new Set(ws.segments.filter((s) => s.status === 'active').map((s) => s.id));
  const due = ws.syncs.filter((s) => s.enabled && active.has(s.segment));
  const order = refreshOrder(ws, [...new Set(due.map((s) => s.segment))]);
  const rank = (s: SyncConfig) => order.indexOf(s.segment);
  return due.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i).map(({ s }) => s);
}

/**
 * Due syncs in groups run together: the syncs of one priority list form one group (at the place of
 * its first sync), every other sync is a group of its own.
 */
export function runGroups(ws: Workspace, due: readonly SyncConfig[]): SyncConfig[][] {
  const groups: SyncConfig[][] = [];
  const byList = new Map<string, SyncConfig[]>();
  for (const sync of due) {
    const list = priorityPlace(ws, sync.segment)?.list.id;
    const group = list !== undefined ? byList.get(list) : undefined;
    if (group) group.push(sync);
    else {
      groups.push([sync]);
      if (list !== undefined) byList.set(list, groups.at(-1)!);
    }
  }
  return groups;
}

/** One sync of a batch: its result, or why it could not run (it never started: locked, bad input). */
export interface BatchOutcome {
  syncId: string;
  result?: SyncRunResult;
  error?: string;
  /** The steps that ran it, for reads after the run (match rate, rejection reasons). */
  steps: SyncSteps;
}

/**
 * Runs every due sync at one as-of, one after another, each segment evaluated once however many
 * syncs use it (SharedMembers) and its membership tables refreshed from that evaluation, after dropping the run tables finished runs of any sync left
 * behind. A sync that fails does not stop the others. The syncs of one priority list run as a
 * group (`RemovesFirst`): every remove of the group is sent before any add.
 *
 * @example
 * const { outcomes, evaluations } = await runDueSyncs(deps, new Date().toISOString());
 */
export async function runDueSyncs(
  deps: SyncDeps & Pick<RefreshDeps, 'onChanges'>,
  asOf: string,
  onOutcome?: (outcome: BatchOutcome) => Promise<void>,
): Promise<{ outcomes: BatchOutcome[]; evaluations: number }> {
  const state = await ensureStateSchema(deps.warehouse, deps.workspace.stateSchema);
  await dropLeftoverRunTables(
    state,
    deps.workspace.syncs.map((s) => s.id),
  );
  const shared = new SharedMembers(state, deps.workspace, {
    warehouse: deps.warehouse,
    workspace: deps.workspace,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.onChanges ? { onChanges: deps.onChanges } : {}),
  });
  const steps = createSyncSteps({ ...deps, audience: (sync, at) => shared.audience(sync, at) });
  const outcomes: BatchOutcome[] = [];
  const runOne = async (sync: SyncConfig, hooks?: RunHooks): Promise<BatchOutcome> => {
    try {
      return { syncId: sync.id, result: await orchestrateSyncRun(steps, { syncId: sync.id, asOf }, hooks), steps };
    } catch (err) {
      return { syncId: sync.id, error: rootMessage(err), steps };
    }
  };
  try {
    for (const group of runGroups(deps.workspace, dueSyncs(deps.workspace))) {
      // The syncs of one priority list send all their removes before any of them adds.
      const together = new RemovesFirst(group.length);
      const done = await Promise.all(group.map((sync) => (group.length === 1 ? runOne(sync) : together.run((beforeAdds) => runOne(sync, { beforeAdds })))));
      for (const outcome of done) {
        outcomes.push(outcome);
        await onOutcome?.(outcome);
      }
    }
  } finally {
    await shared.dropAll();
  }
  return { outcomes, evaluations: shared.evaluations };
}
