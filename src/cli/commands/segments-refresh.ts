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
      await withOpenWarehouse(loaded, async ({ file, dir, workspace, warehouse }) => {
        const note = checkRunnableByHand(workspace, id, 'refresh', file);
        if (note) process.stderr.write(`note: ${note}\n`);
        await preflight(workspace, warehouse, [id]);
        // The store's membership lookup (GET /persons/{id}/segments) takes in each refresh's changes.
        // Loaded here: `segments size` registers this command too and must not load the store's writer.
        const { openStore } = await import('../../store');
        const store = await openStore({ config: workspace.store, baseDir: dir, limits: workspace.limits });
        try {
          const onChanges = async (c: Parameters<typeof store.membership.take>[0]) => void (await store.membership.take(c));
          for (const e of await refreshWithDependencies({ warehouse, workspace, onChanges }, id, asOf))
            process.stdout.write(`${e.segmentId}: ${e.memberCount} members (+${e.added} -${e.removed}) as of ${e.asOf.toISOString()}\n`);
        } finally {
          await store.close();
        }
      });
    });
}
