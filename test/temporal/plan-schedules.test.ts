import { describe, expect, it } from 'vitest';
import { workspaceSchema, type Workspace } from '../../src/config/schema';
import { planSchedules, type ExistingSchedule } from '../../src/temporal/schedules';

const OPTS = { idPrefix: 'outflow-sync/', taskQueue: 'outflow' };

function workspace(opts: { segmentStatus?: Record<string, string>; syncs?: Record<string, unknown>[] } = {}): Workspace {
  const seg = (id: string) => ({ id, entity: 'person', name: id, type: 'everyone', status: opts.segmentStatus?.[id] ?? 'active' });
  return workspaceSchema.parse({
    version: 1,
    warehouse: { type: 'duckdb' },
    entities: [{ id: 'person', kind: 'person', table: 'persons', primaryKey: 'id', identifiers: { email: 'email' } }],
    segments: [seg('buyers'), seg('churned'), seg('vips')],
    destinations: [{ id: 'files', type: 'file', settings: {} }],
    syncs: opts.syncs ?? [
      { id: 'buyers-files', segment: 'buyers', destination: 'files' },
      { id: 'churned-files', segment: 'churned', destination: 'files', schedule: '30 */4 * * *' },
    ],
  });
}

/** What Outflow itself would have written for `syncId` (so a re-plan finds nothing to do). */
const existing = (syncId: string, over: Partial<ExistingSchedule> = {}): ExistingSchedule => ({
  scheduleId: `outflow-sync/${syncId}`,
  syncId,
  cron: '0 6 * * *',
  paused: false,
  workflowType: 'scheduledSyncWorkflow',
  taskQueue: 'outflow',
  ...over,
});

describe('planSchedules', () => {
  it('creates one schedule per sync: daily by default, the sync cron otherwise', () => {
    const plan = planSchedules(workspace(), [], OPTS);
    expect(plan.create.map((d) => [d.scheduleId, d.cron, d.paused])).toEqual([
      ['outflow-sync/buyers-files', '0 6 * * *', false],
      ['outflow-sync/churned-files', '30 */4 * * *', false],
    ]);
    expect(plan.create.every((d) => d.workflowType === 'scheduledSyncWorkflow' && d.taskQueue === 'outflow')).toBe(true);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
  });

  it('is idempotent: what it would create, once there, is unchanged', () => {
    const ws = workspace();
    const plan = planSchedules(ws, [existing('buyers-files'), existing('churned-files', { cron: '30 */4 * * *' })], OPTS);
    expect(plan.create).toEqual([]);
    expect(plan.update).toEqual([]);
    expect(plan.unchanged.map((d) => d.syncId)).toEqual(['buyers-files', 'churned-files']);
  });

  it('pauses the schedule of a disabled sync', () => {
    const ws = workspace({ syncs: [{ id: 'buyers-files', segment: 'buyers', destination: 'files', enabled: false }] });
    const plan = planSchedules(ws, [existing('buyers-files')], OPTS);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.desired).toMatchObject({ paused: true, note: 'sync "buyers-files" is disabled' });
    expect(plan.update[0]!.changes).toEqual(['pause (sync "buyers-files" is disabled)']);
  });

  it.each(['paused', 'archived', 'draft'])('pauses the schedule when the segment is %s', (status) => {
    const plan = planSchedules(workspace({ segmentStatus: { buyers: status } }), [], OPTS);
    const buyers = plan.create.find((d) => d.syncId === 'buyers-files')!;
    expect(buyers.paused).toBe(true);
    expect(buyers.note).toBe(`segment "buyers" is ${status}`);
    expect(plan.create.find((d) => d.syncId === 'churned-files')!.paused).toBe(false);
  });

  it('unpauses when the segment is active again', () => {
    const plan = planSchedules(workspace(), [existing('buyers-files', { paused: true, note: 'segment "buyers" is paused' })], OPTS);
    expect(plan.update.map((u) => u.changes)).toEqual([['unpause']]);
  });

  it('updates a changed cron', () => {
    const plan = planSchedules(workspace(), [existing('churned-files')], OPTS);
    expect(plan.update.find((u) => u.desired.syncId === 'churned-files')!.changes).toEqual(['cron "0 6 * * *" -> "30 */4 * * *"']);
  });

  it('re-targets a schedule pointing at another task queue or workflow', () => {
    const plan = planSchedules(workspace(), [existing('buyers-files', { taskQueue: 'old-queue', workflowType: 'syncRunWorkflow' })], OPTS);
    expect(plan.update[0]!.changes).toEqual(['workflow syncRunWorkflow -> scheduledSyncWorkflow', 'task queue old-queue -> outflow']);
  });

  it('deletes Outflow schedules of syncs no longer in the workspace, and only those', () => {
    const plan = planSchedules(
      workspace(),
      [existing('buyers-files'), existing('gone-sync'), { scheduleId: 'someone-elses-schedule', paused: false }, { scheduleId: 'outflow-sync-lookalike', paused: false }],
      OPTS,
    );
    expect(plan.delete).toEqual(['outflow-sync/gone-sync']);
  });
});
