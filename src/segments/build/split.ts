import type { SegmentConfig, SplitConfig } from '../../config/schema';
import { Binder } from '../../warehouse/binder';
import type { SqlDialect } from '../../warehouse/dialect';
import type { CompiledQuery } from '../../warehouse/driver';
import { renderSql } from '../../warehouse/templates';
import { layoutOf, splitKeyPrefix } from '../splits';
import type { SqlWriter } from '../sql-writer';

/** Column of a split segment's members naming each member's group (and of the membership tables). */
export const SPLIT_GROUP_COLUMN = 'split_group';
const BUCKET_COLUMN = 'split_bucket';

/** What `splitSql` needs of the segment. */
export interface SplitSpec {
  segmentId: string;
  salt: string | undefined;
  groups: readonly SplitConfig[];
}

/**
 * Wraps a printed members query (`members`, selecting `person_id` and `columns`) so each member
 * also gets its group in SPLIT_GROUP_COLUMN: the bucket is computed in the warehouse
 * (`segments/split-bucket`) from one bound text prefix and the person key; each group's bucket
 * ranges and name are bound values.
 */
export function splitSql(w: SqlWriter, members: string, spec: SplitSpec, columns: readonly string[]): string {
  const q = (name: string) => w.dialect.quoteIdentifier(name);
  const bucketOf = `s.${q(BUCKET_COLUMN)}`;
  const key = `${w.render('cast-text', { expr: w.bind(splitKeyPrefix(spec.segmentId, spec.salt)) })} || m.${q('person_id')}`;
  const whens = layoutOf(spec.groups)
    .filter((g) => g.buckets.length > 0)
    .map((g) => {
      const ranges = g.buckets.map(([first, last]) => `${bucketOf} BETWEEN ${w.bind(first)} AND ${w.bind(last)}`).join(' OR ');
      return `WHEN ${ranges} THEN ${w.render('cast-text', { expr: w.bind(g.name) })}`;
    })
    .join(' ');
  return w.render(
    'split',
    { members, whens, bucket: w.render('split-bucket', { key }) },
    { personIdAlias: q('person_id'), columns: columns.map(q), groupAlias: q(SPLIT_GROUP_COLUMN), bucketAlias: q(BUCKET_COLUMN) },
  );
}

/** Names of the groups of `segment` whose `syncs` list `syncId`. */
export function groupsOfSync(segment: SegmentConfig, syncId: string): string[] {
  return (segment.splits ?? []).filter((g) => g.syncs.includes(syncId)).map((g) => g.name);
}

/**
 * What one sync of a segment sends: the members (`members`, with `split_group` for a split
 * segment) of the groups that list the sync; everyone for a segment without splits. Holdout
 * groups list no sync, so no sync sends them.
 *
 * @example
 * const q = membersForSync(segment, 'checkout-meta', compileMembers(ws, segment.id, { ...o, splitGroup: true }), dialect);
 */
export function membersForSync(segment: SegmentConfig, syncId: string, members: CompiledQuery, dialect: SqlDialect): CompiledQuery {
  if (!segment.splits) return members;
  const b = new Binder(dialect, { leading: members.params });
  const groups = groupsOfSync(segment, syncId).map((name) => b.bind(name)).join(', ');
  return b.finish(renderSql(dialect.name, 'segments/split-only', { members: members.sql, groups, groupAlias: dialect.quoteIdentifier(SPLIT_GROUP_COLUMN) }));
}
