import type { Command } from 'commander';
import { preflight } from '../../segments/check-warehouse';
import { checkRunnableByHand } from '../../segments/status';
import { refreshWithDependencies } from '../../state/membership';
import { type GlobalOptions, parseAsOf, requireSegment, withOpenWarehouse, workspaceFrom } from '../context';
import { group } from './index';

export function registerSegmentsRefresh(program: Command): void {
  group(program, 'segments', 'inspect and evaluate segments')
    .command('refresh <id>')
    .description('evaluate a segment (after the segments it references) and write the membership tables')
    .option('--as-of <time>', 'evaluate as of this ISO-8601 time (default: now)')
    .action(async (id: string, opts: { asOf?: string }) => {
      const asOf = parseAsOf(opts.asOf);
      const loaded = await workspaceFrom(program.opts<GlobalOptions>());
      requireSegment(loaded, id);
      await withOpenWarehouse(loaded, async ({ file, workspace, warehouse }) => {
        const note = checkRunnableByHand(workspace, id, 'refresh', file);
        if (note) process.stderr.write(`note: ${note}
`);
        await preflight(workspace, warehouse, [id]);
        for (const e of await refreshWithDependencies({ warehouse, workspace }, id, asOf))
          process.stdout.write(`${e.segmentId}: ${e.memberCount} members (+${e.added} -${e.removed}) as of ${e.asOf.toISOString()}\n`);
      });
    });
}
