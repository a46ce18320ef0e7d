import type { Command } from 'commander';
import { type GlobalOptions, workspaceFrom } from '../context';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a Temporal worker for sync runs, schedules, match-rate polls and segment refreshes (TEMPORAL_* settings, see docs/temporal.md)')
    .action(async () => {
      // Temporal's SDK is heavy to load: only the commands that use it load it.
      const { temporalConfigFromEnv } = await import('../../temporal/connection');
      const { runWorker } = await import('../../temporal/worker');
      const config = temporalConfigFromEnv();
      const loaded = await workspaceFrom(program.opts<GlobalOptions>());
      await runWorker({ config, loaded });
    });
}
