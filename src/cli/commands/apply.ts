import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { formatProblem } from '../../config/errors';
import { validateDestinations } from '../../destinations/registry';
import { applyActor, applyWorkspace, formatPlan, openStoreFor } from '../../store';
import { type GlobalOptions, workspaceFrom } from '../context';

/** `outflow apply [--dry-run] [--prune]` (SPEC §6). */
export function registerApply(program: Command): void {
  program
    .command('apply')
    .description("store the workspace file's definitions: prints one line per object (+ created, ~ updated, = unchanged, - deleted)")
    .option('--dry-run', 'print the plan; change nothing')
    .option('--prune', 'delete file-managed objects that are no longer in the file')
    .action(async (opts: { dryRun?: boolean; prune?: boolean }) => {
      const loaded = await workspaceFrom({ ...program.opts<GlobalOptions>(), fileOnly: true });
      const { warnings } = await validateDestinations(loaded);
      for (const w of warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
      const text = readFileSync(loaded.file, 'utf8');
      const store = await openStoreFor(loaded);
      try {
        const dryRun = opts.dryRun ?? false;
        const result = await applyWorkspace(store, loaded, text, { dryRun, prune: opts.prune ?? false, actor: applyActor('outflow apply') });
        process.stdout.write(formatPlan(result, { dryRun, file: path.basename(loaded.file) }));
      } finally {
        await store.close();
      }
    });
}
