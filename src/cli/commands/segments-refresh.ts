import type { Command } from 'commander';
import { UserInputError } from '../../config/errors';
import { checkRunnableByHand } from '../../segments/status';
import { refreshWithDependencies } from '../../state/membership';
import { type GlobalOptions, parseAsOf, withWarehouse } from '../context';
import { group } from './index';

export function registerSegmentsRefresh(program: Command): void {
  group(program, 'segments', 'inspect and evaluate segments')
    .command('refresh <id>')
    .description('evaluate a segment (after the segments it references) and write the membership tables')
    .option('--as-of <time>', 'evaluate as of this ISO-8601 time (default: now)')
    .action(async (id: string, opts: { asOf?: string }) => {
      const asOf = parseAsOf(opts.asOf);
      await withWarehouse(program.opts<GlobalOptions>(), async ({ file, workspace, warehouse }) => {
        if (!workspace.segments.some((s) => s.id === id))
          throw new UserInputError([{ file, path: 'segments', message: `no segment "${id}"` }]);
        const note = checkRunnableByHand(workspace, id, 'refresh', file);
        if (note) process.stderr.write(`note: ${note}\n`);
        for (const e of await refreshWithDependencies({ warehouse, workspace }, id, asOf))
          process.stdout.write(`${e.segmentId}: ${e.memberCount} members (+${e.added} -${e.removed}) as of ${e.asOf.toISOString()}\n`);
      });
    });
}
