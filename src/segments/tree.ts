import type { ColumnInfo } from '../warehouse/driver';
import type { ComparisonOp, EventFilter, FilterOp, RelativeWindow, Window } from './rule-schema';

/**
 * The normalised rule tree the printer walks: segment references are inlined, constants folded,
 * and negation pushed down to the leaves, so no `NOT` ever sits above an `AND`/`OR`. Leaves are
 * either a predicate on the entity row or membership (or not) in a set of person keys.
 *
 * Because AND/OR are monotone, a leaf that SQL evaluates to NULL behaves exactly like FALSE at
 * the top of the WHERE clause; leaves that are negated print their own two-valued complement.
 */
export type RuleNode = ConstNode | BoolNode | FilterNode | IdentifiedNode | EventSetNode | MembersNode | RetainedNode;

export interface ConstNode {
  readonly type: 'const';
  readonly value: boolean;
}

export interface BoolNode {
  readonly type: 'and' | 'or';
  readonly children: readonly RuleNode[];
}

/** Where a filter reads its column: the entity row, or a many-to-one relation joined to it. */
export type ColumnSource = { readonly kind: 'entity' } | { readonly kind: 'relation'; readonly relation: string };

/** One comparison with a value; `family` is the column's type family when a catalog gave it. */
export interface Comparison {
  readonly op: FilterOp;
  readonly value?: EventFilter['value'];
  readonly family?: ColumnInfo['family'];
}

/** A `where` filter of an event condition. */
export interface WhereFilter extends Comparison {
  readonly column: string;
}

/** A trait comparison on the entity row or a related row. */
export interface FilterNode extends Comparison {
  readonly type: 'filter';
  readonly source: ColumnSource;
  readonly column: string;
  /** True: the complement (true where the filter is false or null). */
  readonly negated: boolean;
  /** Where the condition is in the workspace file, for error messages. */
  readonly path: string;
}

export interface IdentifiedNode {
  readonly type: 'identified';
  readonly value: boolean;
}

/** What a person's events in a set are measured by, and the threshold they must meet. */
export type EventMeasure =
  | { readonly kind: 'count' | 'sessions'; readonly op: ComparisonOp; readonly value: number }
  | { readonly kind: 'first_seen' | 'last_seen'; readonly op: '>=' | '<'; readonly since: RelativeWindow };

/**
 * The persons with at least one matching event (up to as-of) whose events meet `measure`
 * (absent: no further test). `negated`: every person NOT in that set (including persons with no
 * events at all), which is how zero counts and `performed: false` are expressed.
 */
export interface EventSetNode {
  readonly type: 'events';
  /** Event name to match; absent: any event. */
  readonly event?: string;
  readonly window?: Window;
  readonly where: readonly WhereFilter[];
  /** Only events with a non-null session key count. */
  readonly sessionsOnly: boolean;
  readonly measure?: EventMeasure;
  readonly negated: boolean;
  readonly path: string;
}

/**
 * A static segment's members (primary keys as text): the keys its definition lists, and its rows
 * of the state schema's `static_segment_members` table (`table`, for `segmentId`).
 */
export interface MembersNode {
  readonly type: 'members';
  readonly segmentId: string;
  readonly members: readonly string[];
  readonly table: { readonly schema: string; readonly name: string };
  readonly negated: boolean;
}

/**
 * The persons a segment with `retentionDays` keeps after they stop matching: those whose last
 * match recorded by a refresh (`segment_last_matched` in the state schema) is within `days`
 * days before the as-of, and not after it. `negated`: every person not among them.
 */
export interface RetainedNode {
  readonly type: 'retained';
  readonly segmentId: string;
  readonly days: number;
  /** The state schema that holds `segment_last_matched`. */
  readonly stateSchema: string;
  readonly negated: boolean;
}

export const TRUE: ConstNode = Object.freeze({ type: 'const', value: true });
export const FALSE: ConstNode = Object.freeze({ type: 'const', value: false });
