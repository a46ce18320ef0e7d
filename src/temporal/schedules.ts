import type { Workspace } from '../config/schema';

/** The workflow every Outflow schedule starts (see workflows/scheduled-sync.ts). */
export const SCHEDULED_WORKFLOW = 'scheduledSyncWorkflow';

/** What Outflow reads back from an existing schedule to decide whether it must change. */
export interface ExistingSchedule {
  scheduleId: string;
  paused: boolean;
  note?: string;
  workflowType?: string;
  taskQueue?: string;
  /** The cron Outflow wrote (kept in the action's memo: the server stores cron in another form). */
  cron?: string;
  syncId?: string;
}

/** The schedule a sync should have. */
export interface DesiredSchedule {
  scheduleId: string;
  syncId: string;
  /** 5-field cron, UTC. */
  cron: string;
  paused: boolean;
  /** Why the schedule is paused, shown in the Temporal UI; empty when it runs. */
  note: string;
  workflowType: typeof SCHEDULED_WORKFLOW;
  taskQueue: string;
}

/**
 * What `outflow schedules apply` will do. Applying it twice in a row makes no change the second
 * time.
 *
 * @example
 * { create: [desired], update: [{ desired, changes: ['cron "0 6 * * *" -> "0 12 * * *"'] }], unchanged: [], delete: ['outflow-sync/old'] }
 */
export interface SchedulePlan {
  create: DesiredSchedule[];
  update: { desired: DesiredSchedule; changes: string[] }[];
  unchanged: DesiredSchedule[];
  /** Ids of Outflow's schedules whose sync is no longer in the workspace. */
  delete: string[];
}

export interface PlanOptions {
  idPrefix: string;
  taskQueue: string;
}

/** Why a sync must not run on schedule, or '' when it may. */
export function pauseReason(ws: Workspace, sync: Workspace['syncs'][number]): string {
  if (!sync.enabled) return `sync "${sync.id}" is disabled`;
  const segment = ws.segments.find((s) => s.id === sync.segment);
  if (segment && segment.status !== 'active') return `segment "${segment.id}" is ${segment.status}`;
  return '';
}

/**
 * Decides the schedules of a workspace: one per sync, cron from the sync (the workspace's
 * default is daily), paused while the sync is disabled or its segment is not active (paused,
 * archived, draft). Schedules without `idPrefix` are not Outflow's and are never touched.
 */
export function planSchedules(ws: Workspace, existing: readonly ExistingSchedule[], opts: PlanOptions): SchedulePlan {
  const plan: SchedulePlan = { create: [], update: [], unchanged: [], delete: [] };
  const ours = new Map(existing.filter((e) => e.scheduleId.startsWith(opts.idPrefix)).map((e) => [e.scheduleId, e]));
  const wanted = new Set<string>();

  for (const sync of ws.syncs) {
    const note = pauseReason(ws, sync);
    const desired: DesiredSchedule = {
      scheduleId: `${opts.idPrefix}${sync.id}`,
      syncId: sync.id,
      cron: sync.schedule,
      paused: note !== '',
      note,
      workflowType: SCHEDULED_WORKFLOW,
      taskQueue: opts.taskQueue,
    };
    wanted.add(desired.scheduleId);
    const current = ours.get(desired.scheduleId);
    if (!current) {
      plan.create.push(desired);
      continue;
    }
    const changes: string[] = [];
    if (current.cron !== desired.cron) changes.push(`cron ${JSON.stringify(current.cron ?? null)} -> "${desired.cron}"`);
    if (current.paused !== desired.paused) changes.push(desired.paused ? `pause (${note})` : 'unpause');
    else if (desired.paused && (current.note ?? '') !== note) changes.push(`note "${note}"`);
    if (current.workflowType !== desired.workflowType) changes.push(`workflow ${current.workflowType ?? '?'} -> ${desired.workflowType}`);
    if (current.taskQueue !== desired.taskQueue) changes.push(`task queue ${current.taskQueue ?? '?'} -> ${desired.taskQueue}`);
    if (current.syncId !== desired.syncId) changes.push(`sync ${current.syncId ?? '?'} -> ${desired.syncId}`);
    if (changes.length > 0) plan.update.push({ desired, changes });
    else plan.unchanged.push(desired);
  }
  for (const id of ours.keys()) if (!wanted.has(id)) plan.delete.push(id);
  plan.delete.sort();
  return plan;
}
