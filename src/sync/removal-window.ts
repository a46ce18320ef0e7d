import type { StateSql } from '../state/state-sql';
import type { RemovalWindow } from './orchestrate';

const DAY_MS = 86_400_000;

/**
 * The largest a sync's audience was over the last `days` days before `now` (the snapshot each of
 * its runs found, this run left out, and `snapshotCount`, its size now). The guard stops a run that
 * would leave the audience more than `maxRemovalShare` below it. Undefined when the window is off
 * (`removalWindowDays: 0`). Rows exclusions removed lower the sizes of the runs before them: a
 * removal the user asked for is not a loss the guard should stop the next run for.
 *
 * @example
 * const window = await readRemovalWindow(state, { syncId: 'buyers-meta', runId, days: 7, now: new Date(), snapshotCount: 9145 });
 */
export async function readRemovalWindow(
  state: StateSql,
  input: { syncId: string; runId: string; days: number; now: Date; snapshotCount: number },
): Promise<RemovalWindow | undefined> {
  if (input.days <= 0) return undefined;
  const b = state.binder();
  const ctx = {
    syncId: b.bind(input.syncId),
    runId: b.bind(input.runId),
    mirror: b.bind('mirror'),
    synced: b.bind('synced'),
    since: b.bind(new Date(input.now.getTime() - input.days * DAY_MS)),
  };
  const [row] = await state.query<{ largest: unknown }>('runs-removal-window', ctx, b);
  return { days: input.days, largest: Math.max(Number(row?.largest ?? 0), input.snapshotCount) };
}
