import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { scheduledSyncWorkflow } from '../../workflows';
import { planSchedules, type DesiredSchedule, type ExistingSchedule, type PlanOptions, type SchedulePlan } from './schedules';

/** Memo key on the scheduled action where Outflow keeps what it wrote (see ExistingSchedule.cron). */
const MEMO_KEY = 'outflow';

interface OutflowMemo {
  syncId?: string;
  cron?: string;
}

/** Reads Outflow's schedules (those with the id prefix) from the namespace. */
export async function listOutflowSchedules(client: Client, idPrefix: string): Promise<ExistingSchedule[]> {
  const out: ExistingSchedule[] = [];
  for await (const summary of client.schedule.list()) {
    if (!summary.scheduleId.startsWith(idPrefix)) continue;
    let d;
    try {
      d = await client.schedule.getHandle(summary.scheduleId).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) continue; // deleted between list and describe
      throw err;
    }
    const memo = (d.action.memo?.[MEMO_KEY] ?? {}) as OutflowMemo;
    out.push({
      scheduleId: d.scheduleId,
      paused: d.state.paused,
      ...(d.state.note ? { note: d.state.note } : {}),
      workflowType: d.action.workflowType,
      taskQueue: d.action.taskQueue,
      ...(memo.cron !== undefined ? { cron: memo.cron } : {}),
      ...(memo.syncId !== undefined ? { syncId: memo.syncId } : {}),
    });
  }
  return out;
}

function action(desired: DesiredSchedule): ScheduleOptionsStartWorkflowAction<typeof scheduledSyncWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: desired.workflowType,
    // Temporal suffixes this id with the scheduled time; the launcher starts the run itself
    // under `sync/<syncId>` so a run never overlaps another run of the same sync.
    workflowId: `scheduled-sync/${desired.syncId}`,
    taskQueue: desired.taskQueue,
    args: [{ syncId: desired.syncId }],
    memo: { [MEMO_KEY]: { syncId: desired.syncId, cron: desired.cron } satisfies OutflowMemo },
  };
}

const spec = (desired: DesiredSchedule) => ({ cronExpressions: [desired.cron], timezone: 'UTC' });
const policies = {
  // A tick while the previous scheduled run is still going is skipped, not queued.
  overlap: ScheduleOverlapPolicy.SKIP,
  // After an outage, run a missed daily sync once if we are back within 6 hours.
  catchupWindow: '6 hours',
} as const;

/** Carries out a plan. Creating a schedule that appeared meanwhile is an update instead. */
export async function applySchedulePlan(client: Client, plan: SchedulePlan): Promise<void> {
  const update = (desired: DesiredSchedule) =>
    client.schedule.getHandle(desired.scheduleId).update((prev) => ({
      ...prev,
      spec: spec(desired),
      action: action(desired),
      policies: { ...prev.policies, ...policies },
      state: { ...prev.state, paused: desired.paused, note: desired.note },
    }));
  for (const desired of plan.create) {
    try {
      await client.schedule.create({
        scheduleId: desired.scheduleId,
        spec: spec(desired),
        action: action(desired),
        policies,
        state: { paused: desired.paused, ...(desired.note ? { note: desired.note } : {}) },
      });
    } catch (err) {
      // Listing is eventually consistent: a schedule created moments ago may not be listed yet.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await update(desired);
    }
  }
  for (const { desired } of plan.update) await update(desired);
  for (const id of plan.delete) await client.schedule.getHandle(id).delete();
}

/** Plans and applies; returns the plan for the report. */
export async function syncSchedules(client: Client, workspace: Parameters<typeof planSchedules>[0], opts: PlanOptions & { dryRun?: boolean }): Promise<SchedulePlan> {
  const plan = planSchedules(workspace, await listOutflowSchedules(client, opts.idPrefix), opts);
  if (!opts.dryRun) await applySchedulePlan(client, plan);
  return plan;
}
