import type { Command } from 'commander';
import { temporalConfigFromEnv } from '../../temporal/connection';
import { runWorker } from '../../temporal/worker';
import { type GlobalOptions, workspaceFrom } from '../context';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a Temporal worker for sync runs, schedules, match-rate polls and segment refreshes (TEMPORAL_* settings, see docs/temporal.md)')
    .action(async () => {
      const config = temporalConfigFromEnv();
      const loaded = workspaceFrom(program.opts<GlobalOptions>());
      await runWorker({ config, loaded });
    });
}
