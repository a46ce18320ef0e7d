import type { Command } from 'commander';
import type { SchedulePlan } from '../../temporal/schedules';
import { type GlobalOptions, workspaceFrom } from '../context';
import { group } from './index';

export function registerSchedules(program: Command): void {
  group(program, 'schedules', 'Temporal schedules of syncs')
    .command('apply')
    .description("create, update, pause or delete one Temporal Schedule per sync so they match the workspace file")
    .option('--dry-run', 'print what would change; change nothing')
    .action(async (opts: { dryRun?: boolean }) => {
      // Temporal's SDK is heavy to load: only the commands that use it load it.
      const { connectClient, temporalConfigFromEnv } = await import('../../temporal/connection');
      const { syncSchedules } = await import('../../temporal/schedule-sync');
      const config = temporalConfigFromEnv();
      const { workspace } = await workspaceFrom(program.opts<GlobalOptions>());
      const { client, close } = await connectClient(config);
      try {
        const plan = await syncSchedules(client, workspace, { idPrefix: config.schedules.idPrefix, taskQueue: config.taskQueue, dryRun: opts.dryRun ?? false });
        process.stdout.write(formatPlan(plan, opts.dryRun ?? false));
      } finally {
        await close();
      }
    });
}

export function formatPlan(plan: SchedulePlan, dryRun: boolean): string {
  const done = { create: 'created', update: 'updated', delete: 'deleted' } as const;
  const verb = (v: keyof typeof done) => (dryRun ? `would ${v}` : done[v]);
  const state = (paused: boolean, note: string) => (paused ? `paused: ${note}` : 'active');
  const lines = [
    ...plan.create.map((d) => `${verb('create')} ${d.scheduleId}  "${d.cron}" UTC  ${state(d.paused, d.note)}`),
    ...plan.update.map((u) => `${verb('update')} ${u.desired.scheduleId}  ${u.changes.join(', ')}`),
    ...plan.delete.map((id) => `${verb('delete')} ${id}  (its sync is no longer in the workspace)`),
    ...plan.unchanged.map((d) => `unchanged ${d.scheduleId}  "${d.cron}" UTC  ${state(d.paused, d.note)}`),
  ];
  if (lines.length === 0) lines.push('no syncs, no schedules');
  return `${lines.join('\n')}\n`;
}
