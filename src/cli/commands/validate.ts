import type { Command } from 'commander';
import { formatProblem, UserInputError } from '../../config/errors';
import { recordMappings, validateDestinations } from '../../destinations/registry';
import { workspaceFrom, type GlobalOptions, withOpenWarehouse } from '../context';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check the workspace file (with --check-warehouse: tables, columns and types too)')
    .option('--check-warehouse', 'also check tables, columns and value types against the warehouse')
    .action(async (opts: { checkWarehouse?: boolean }) => {
      // The file alone: validate checks what is in git and writes nothing to the store.
      const globals = { ...program.opts<GlobalOptions>(), fileOnly: true };
      const loaded = await workspaceFrom(globals);
      const { file, workspace } = loaded;
      const { warnings } = await validateDestinations(loaded);
      if (opts.checkWarehouse) {
        const { warehouseProblems } = await import('../../segments/check-warehouse');
        const records = await recordMappings(workspace);
        const problems = await withOpenWarehouse(loaded, ({ warehouse }) => warehouseProblems(workspace, warehouse, undefined, records));
        if (problems.length > 0) throw new UserInputError(problems);
      }
      for (const w of warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
      const counts = `${workspace.entities.length} entities, ${workspace.segments.length} segments, ${workspace.destinations.length} destinations, ${workspace.syncs.length} syncs`;
      process.stdout.write(`${file}: valid (${counts})\n`);
    });
}
