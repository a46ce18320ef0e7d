import type { IdentifierKind, Workspace } from '../config/schema';
import type { SqlDialect } from '../warehouse/dialect';
import type { CompiledQuery } from '../warehouse/driver';
import type { Catalog } from './catalog';
import { type NormalizedSegment, normalizeSegment } from './normalize';
import { printSegment, type RecordColumns } from './printer';
import { SqlWriter } from './sql-writer';

export type { Catalog } from './catalog';
export { dialectFor } from '../warehouse/dialects';

/**
 * How to compile: for which engine, at which instant, and with which extra columns.
 *
 * @example
 * const q = compileMembers(ws, 'recent-buyers', { dialect: dialectFor('duckdb'), asOf: new Date(), identifiers: ['email'] });
 * for await (const page of warehouse.stream(q.sql, q.params)) ...
 */
export interface CompileOptions {
  dialect: SqlDialect;
  /** The instant the segment is evaluated at; events after it never count. */
  asOf: Date;
  /** Identifier kinds to return as extra text columns named after the kind (`email`, `phone`, ...). */
  identifiers?: readonly IdentifierKind[];
  /** One more text column holding a record's column values, encoded (src/destinations/record.ts). */
  record?: RecordColumns;
  /** Enables type checks (number vs string etc.); absent: no type checks. */
  catalog?: Catalog;
  /** Index of the first placeholder, for embedding in a larger statement (default 0). */
  paramOffset?: number;
  /**
   * Members of a segment with `splits`: add a `split_group` column naming each member's group
   * (docs/segments.md "Splits and holdouts"); not with `orderByKey`. No effect on other segments.
   */
  splitGroup?: boolean;
  /** Members ordered by the primary key in its own type (integers numerically); default unordered. */
  orderByKey?: boolean;
  /**
   * For display only (`segments sql --inline`): values written into the text as literals, so it
   * pastes into a warehouse console. SQL that Outflow runs never uses this.
   */
  inline?: boolean;
  /**
   * False: who matches the rules at the as-of, without the segment's own `retentionDays` (what a
   * refresh records as the last match); default true, the members.
   */
  ownRetention?: boolean;
}

/** SELECT person_id (the primary key cast to text) [+ identifier columns cast to text]; one row per member; ordered only with `orderByKey`. */
export function compileMembers(ws: Workspace, segmentId: string, o: CompileOptions): CompiledQuery {
  return compile(ws, segmentId, o, 'members');
}

/** One row, one column `n`: the number of members. */
export function compileCount(ws: Workspace, segmentId: string, o: CompileOptions): CompiledQuery {
  return compile(ws, segmentId, { ...o, identifiers: [] }, 'count');
}

function compile(ws: Workspace, segmentId: string, o: CompileOptions, shape: 'members' | 'count'): CompiledQuery {
  return compileNormalized(normalizeSegment(ws, segmentId, o.catalog, { ownRetention: o.ownRetention }), o, shape);
}

/**
 * Prints an already normalised segment (its tree possibly combined with others', as a sync's
 * audience is: src/segments/audience-source.ts). With `splitGroup`, a split segment's members get
 * their group (the split is the normalised segment's own).
 */
export function compileNormalized(normalized: NormalizedSegment, o: CompileOptions, shape: 'members' | 'count'): CompiledQuery {
  const { segment } = normalized;
  const split = o.splitGroup && segment.splits ? { split: { segmentId: segment.id, salt: segment.salt, groups: segment.splits } } : {};
  const record = o.record && shape === 'members' ? { record: o.record } : {};
  return printSegment(normalized, writerFor(o), { shape, identifiers: o.identifiers, ...record, orderByKey: shape === 'members' && (o.orderByKey ?? false), ...split });
}

/** The SqlWriter of one compilation. */
export function writerFor(o: CompileOptions): SqlWriter {
  if (Number.isNaN(o.asOf.getTime())) throw new TypeError('compile: asOf is not a valid date');
  return new SqlWriter(o.dialect, o.asOf, o.paramOffset ?? 0, o.inline ?? false);
}
