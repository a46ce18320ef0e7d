import type { SyncRunResult } from './orchestrate';

/**
 * The counts line of a run's report, the same for `sync run` in this process and on Temporal: what
 * the run planned and what became of it, so a run that stopped or failed before sending says
 * "sent 0" instead of counting changes it never made.
 *
 * @example
 * countsLine(result) // "planned 1403 (add 1334, remove 69), sent 0 (added 0, removed 0), accepted 0, rejected 0, deferred 1403, batches 0, members 5120, excluded 12"
 */
export function countsLine(r: SyncRunResult): string {
  const excluded = r.excluded !== undefined ? `, excluded ${r.excluded}` : '';
  if (r.status === 'dry_run')
    return `would add ${r.plannedAdded}, would remove ${r.plannedRemoved} (segment has ${r.memberCount} members${excluded}); nothing was sent`;
  return [
    `planned ${r.planned} (add ${r.plannedAdded}, remove ${r.plannedRemoved})`,
    `sent ${r.sent} (added ${r.added}, removed ${r.removed})`,
    `accepted ${r.accepted}`,
    `rejected ${r.rejected}`,
    `deferred ${r.deferred}`,
    `batches ${r.batches}`,
    `members ${r.memberCount}`,
  ].join(', ') + excluded;
}
