import type { StateSql } from '../state/state-sql';
import type { RemovalWindow } from './orchestrate';

const DAY_MS = 86_400_000;

/**
 * The removals of a sync's runs over the last `days` days before `now` (this run left out), and
 * the audience size they are measured against: the largest the audience had in the window, at
 * least its size now. Undefined when the window is off (`removalWindowDays: 0`).
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
    synced: b.bind('synced'),
    syncId: b.bind(input.syncId),
    runId: b.bind(input.runId),
    mirror: b.bind('mirror'),
    since: b.bind(new Date(input.now.getTime() - input.days * DAY_MS)),
  };
  const [row] = await state.query<{ removed: unknown; largest: unknown }>('runs-removal-window', ctx, b);
  return { days: input.days, removed: Number(row?.removed ?? 0), startSize: Math.max(Number(row?.largest ?? 0), input.snapshotCount) };
}
