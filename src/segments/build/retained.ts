import type { SqlWriter } from '../sql-writer';
import type { RetainedNode } from '../tree';

/** The state table of each person's last match per segment with `retentionDays` (docs/state.md). */
export const LAST_MATCHED_TABLE = 'segment_last_matched';

/** Days are fixed lengths (docs/segments.md "Windows"), so a retention window is plain arithmetic. */
const DAY_MS = 86_400_000;

/**
 * Persons a segment's retention keeps at the as-of: their key, as text, is among the persons whose
 * last recorded match is in `[asOf - days, asOf]` (`segments/retained-set`; both bounds bound as
 * instants). Negated: not among them (`segments/not-in-set`).
 */
export function retainedSql(w: SqlWriter, personId: string, node: RetainedNode): string {
  const q = (name: string) => w.dialect.quoteIdentifier(name);
  const since = new Date(w.asOf.getTime() - node.days * DAY_MS);
  const set = w.render('retained-set', {
    table: `${q(node.stateSchema)}.${q(LAST_MATCHED_TABLE)}`,
    segmentId: w.bind(node.segmentId),
    since: w.bind(since),
    asOf: w.bind(w.asOf),
  });
  return w.render(node.negated ? 'not-in-set' : 'in-set', { key: personId, set });
}
