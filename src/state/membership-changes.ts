import type { Binder } from '../warehouse/binder';
import type { SegmentEvaluation } from './membership';
import type { StateSql, TableName } from './state-sql';

/**
 * What one committed refresh changed in a segment's membership, read back from the membership
 * tables in pages (keyset order, so no page is held longer than it is used). A consumer that
 * keeps its own copy of the membership (the control-plane store's membership lookup) applies
 * `changes('add')` and `changes('remove')`; one that finds itself out of step starts over from
 * `members()`.
 *
 * @example
 * await refreshSegment({ warehouse, workspace, onChanges: async (c) => {
 *   for await (const ids of c.changes('add')) await myCopy.add(c.evaluation.segmentId, ids);
 * } }, 'vips', new Date());
 */
export interface MembershipChanges {
  evaluation: SegmentEvaluation;
  /**
   * Person ids that entered (`add`) or left (`remove`) the segment in this refresh. A second
   * refresh at the same as-of may repeat ids the first one reported; applying them again is a no-op.
   */
  changes(kind: 'add' | 'remove', pageSize?: number): AsyncIterable<string[]>;
  /** Every current member. */
  members(pageSize?: number): AsyncIterable<string[]>;
  /** Whether the segment is split into groups (docs/segments.md "Splits and holdouts"). */
  split: boolean;
  /**
   * Split segments: the group of members who entered or moved to another group in this refresh
   * (`since: 'refresh'`), or of every member (`'all'`).
   */
  groups(since: 'refresh' | 'all', pageSize?: number): AsyncIterable<{ personId: string; group: string }[]>;
  /** The segment's refresh before this one (`segment_evaluations`): a copy kept in step took that one in last. */
  previous(): Promise<Pick<SegmentEvaluation, 'asOf' | 'evaluatedAt' | 'memberCount'> | undefined>;
}

const PAGE_SIZE = 10_000;
const TEMPLATE = { add: 'membership-entered', remove: 'membership-exited', all: 'membership-members' } as const;

/**
 * The changes of the refresh of `evaluation`, read from the state schema after its commit; who
 * left is read from the refresh's diff table `diff`, so it is readable until the refresh drops it.
 */
export function membershipChanges(state: StateSql, evaluation: SegmentEvaluation, diff: TableName, o: { split?: boolean } = {}): MembershipChanges {
  const rowPages = async function* (template: string, pageSize: number, extra: (b: Binder) => object = () => ({})): AsyncIterable<Record<string, unknown>[]> {
    let after: string | undefined;
    for (;;) {
      const b = state.binder();
      const ctx = {
        table: diff,
        segmentId: b.bind(evaluation.segmentId),
        asOf: b.bind(evaluation.asOf),
        ...extra(b),
        after: after === undefined ? undefined : b.bind(after),
        limit: b.bind(pageSize),
      };
      const rows = await state.query<Record<string, unknown>>(template, ctx, b);
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < pageSize) return;
      after = String(rows[rows.length - 1]!.person_id);
    }
  };
  const pages = async function* (template: string, pageSize: number): AsyncIterable<string[]> {
    for await (const rows of rowPages(template, pageSize)) yield rows.map((r) => String(r.person_id));
  };
  return {
    evaluation,
    split: o.split ?? false,
    changes: (kind, pageSize = PAGE_SIZE) => pages(TEMPLATE[kind], pageSize),
    members: (pageSize = PAGE_SIZE) => pages(TEMPLATE.all, pageSize),
    groups: async function* (since, pageSize = PAGE_SIZE) {
      const extra = (b: Binder) => (since === 'refresh' ? { since: b.bind(evaluation.asOf) } : {});
      for await (const rows of rowPages('membership-groups', pageSize, extra)) yield rows.map((r) => ({ personId: String(r.person_id), group: String(r.split_group) }));
    },
    previous: async () => {
      const b = state.binder();
      const ctx = { segmentId: b.bind(evaluation.segmentId), before: b.bind(evaluation.evaluatedAt), limit: b.bind(1) };
      const [row] = await state.query<Record<string, unknown>>('evaluations-select', ctx, b);
      if (!row) return undefined;
      return { asOf: new Date(row.as_of as Date), evaluatedAt: new Date(row.evaluated_at as Date), memberCount: Number(row.member_count) };
    },
  };
}
