import type { Command } from 'commander';
import { preflight } from '../../segments/check-warehouse';
import { checkRunnableByHand } from '../../segments/status';
import { UserInputError } from '../../config/errors';
import { refreshDueSegments, refreshWithDependencies } from '../../state/membership';
import { type GlobalOptions, parseAsOf, requireSegment, withOpenWarehouse, workspaceFrom } from '../context';
import { group } from './index';

export function registerSegmentsRefresh(program: Command): void {
  group(program, 'segments', 'inspect and evaluate segments')
    .command('refresh [id]')
    .description('evaluate a segment (after the segments it references) and write the membership tables')
    .option('--all', 'refresh every active segment, segments referenced by others first')
    .option('--as-of <time>', 'evaluate as of this ISO-8601 time (default: now)')
    .action(async (id: string | undefined, opts: { all?: boolean; asOf?: string }) => {
      if (opts.all && id !== undefined) throw new UserInputError([{ path: 'segments refresh', message: `--all refreshes every active segment: give a segment id or --all, not both (got "${id}")` }]);
      if (!opts.all && id === undefined) throw new UserInputError([{ path: 'segments refresh', message: 'give a segment id, or --all to refresh every active segment' }]);
      const asOf = parseAsOf(opts.asOf);
      const loaded = await workspaceFrom(program.opts<GlobalOptions>());
      if (id !== undefined) requireSegment(loaded, id);
      await withOpenWarehouse(loaded, async ({ file, dir, workspace, warehouse }) => {
        if (id !== undefined) {
          const note = checkRunnableByHand(workspace, id, 'refresh', file);
          if (note) process.stderr.write(`note: ${note}\n`);
        }
        const active = workspace.segments.filter((s) => s.status === 'active').map((s) => s.id);
        await preflight(workspace, warehouse, id !== undefined ? [id] : active);
        // The store's membership lookup (GET /persons/{id}/segments) takes in each refresh's changes.
        // Loaded here: `segments size` registers this command too and must not load the store's writer.
        const { openStore } = await import('../../store');
        const store = await openStore({ config: workspace.store, baseDir: dir, limits: workspace.limits });
        try {
          const onChanges = async (c: Parameters<typeof store.membership.take>[0]) => void (await store.membership.take(c));
          const deps = { warehouse, workspace, onChanges };
          const evaluations = id !== undefined ? await refreshWithDependencies(deps, id, asOf) : await refreshDueSegments(deps, asOf);
          if (evaluations.length === 0) process.stdout.write('no active segments\n');
          for (const e of evaluations)
            process.stdout.write(`${e.segmentId}: ${e.memberCount} members (+${e.added} -${e.removed}) as of ${e.asOf.toISOString()}\n`);
        } finally {
          await store.close();
        }
      });
    });
}
