import type { Command } from 'commander';
import { UserInputError } from '../../config/errors';
import { refreshWithDependencies } from '../../state/membership';
import { openStore } from '../../store';
import { type GlobalOptions, parseAsOf, withWarehouse } from '../context';
import { group } from './index';

export function registerSegmentsRefresh(program: Command): void {
  group(program, 'segments', 'inspect and evaluate segments')
    .command('refresh <id>')
    .description('evaluate a segment (after the segments it references) and write the membership tables')
    .option('--as-of <time>', 'evaluate as of this ISO-8601 time (default: now)')
    .action(async (id: string, opts: { asOf?: string }) => {
      const asOf = parseAsOf(opts.asOf);
      await withWarehouse(program.opts<GlobalOptions>(), async ({ file, dir, workspace, warehouse }) => {
        if (!workspace.segments.some((s) => s.id === id))
          throw new UserInputError([{ file, path: 'segments', message: `no segment "${id}"` }]);
        // The store's membership lookup (GET /persons/{id}/segments) takes in each refresh's changes.
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
