import { UserInputError } from '../config/errors';
import type { Workspace } from '../config/schema';
import type { CompiledQuery, SqlValue, WarehouseDriver } from '../warehouse/driver';
import { renderSql } from '../warehouse/templates';
import { type CompileOptions, compileMembers } from './index';

/** Most segments one overlap takes: 2^8 - 1 = 255 intersections. */
export const MAX_OVERLAP_SEGMENTS = 8;

/** One intersection: the persons who are members of every segment in `segments` (and maybe others). */
export interface Intersection {
  segments: string[];
  count: number;
}

export interface Overlap {
  /** The segments, in the order given. */
  segments: string[];
  /** Every non-empty combination of the segments, singles first, each with its exact count. */
  intersections: Intersection[];
  /** Persons in at least one of the segments. */
  union: number;
}

/**
 * Checks an overlap's segment list: 2 to MAX_OVERLAP_SEGMENTS distinct segments of one entity.
 * Problems name `at` (`segments[1]` with `indexed`, for a request body), and `file` when given.
 */
export function checkOverlapSegments(ws: Workspace, ids: readonly string[], where: { at?: string; indexed?: boolean; file?: string } = {}): void {
  const at = where.at ?? 'segments';
  const fail = (message: string, path = at): never => {
    throw new UserInputError([{ path, message, ...(where.file !== undefined ? { file: where.file } : {}) }]);
  };
  const item = (i: number): string => (where.indexed ? `${at}[${i}]` : at);
  if (ids.length < 2 || ids.length > MAX_OVERLAP_SEGMENTS) fail(`an overlap takes 2 to ${MAX_OVERLAP_SEGMENTS} segments, got ${ids.length}`);
  const seen = new Set<string>();
  let entity: string | undefined;
  ids.forEach((id, i) => {
    const segment = ws.segments.find((s) => s.id === id);
    if (!segment) fail(`unknown segment "${id}" (known: ${ws.segments.map((s) => s.id).join(', ') || 'none'})`, item(i));
    if (seen.has(id)) fail(`segment "${id}" is listed twice`, item(i));
    seen.add(id);
    if (entity !== undefined && segment!.entity !== entity)
      fail(`segment "${id}" is about entity "${segment!.entity}", the others about "${entity}": an overlap compares persons of one entity`, item(i));
    entity = segment!.entity;
  });
}

/**
 * One statement that counts the persons of every region of the segments' Venn diagram: rows of
 * `mask` (bit i set = member of `ids[i]`) and `n`. Each segment's members query is embedded with its
 * own parameters, in order.
 */
export function compileOverlap(ws: Workspace, ids: readonly string[], o: Omit<CompileOptions, 'identifiers' | 'orderByKey' | 'paramOffset'>): CompiledQuery {
  const d = o.dialect;
  const aliases = { personIdAlias: d.quoteIdentifier('person_id'), bitAlias: d.quoteIdentifier('segment_bit'), maskAlias: d.quoteIdentifier('mask'), countAlias: d.quoteIdentifier('n') };
  const params: SqlValue[] = [];
  const parts = ids.map((id, i) => {
    const q = compileMembers(ws, id, { ...o, paramOffset: params.length });
    params.push(...q.params);
    return renderSql(d.name, 'segments/overlap-member', { ...aliases, members: q.sql, bit: String(2 ** i), first: i === 0 });
  });
  const members = parts.join('\n');
  return { sql: renderSql(d.name, 'segments/overlap', { ...aliases, members }), params };
}

/** Every intersection's count from the regions' counts: the sum over the regions that contain it. */
export function intersectionsOf(ids: readonly string[], regions: ReadonlyMap<number, number>): Overlap {
  const intersections: Intersection[] = [];
  const full = 2 ** ids.length;
  const subsets = Array.from({ length: full - 1 }, (_, i) => i + 1).sort((a, b) => popcount(a) - popcount(b) || a - b);
  for (const subset of subsets) {
    let count = 0;
    for (const [mask, n] of regions) if ((mask & subset) === subset) count += n;
    intersections.push({ segments: ids.filter((_, i) => (subset & (2 ** i)) !== 0), count });
  }
  let union = 0;
  for (const n of regions.values()) union += n;
  return { segments: [...ids], intersections, union };
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x >>= 1) c += x & 1;
  return c;
}

/** The exact overlap of `ids` at `asOf`, in one warehouse query. */
export async function segmentOverlap(
  warehouse: WarehouseDriver,
  ws: Workspace,
  ids: readonly string[],
  o: Omit<CompileOptions, 'dialect' | 'identifiers' | 'orderByKey' | 'paramOffset'>,
): Promise<Overlap> {
  checkOverlapSegments(ws, ids);
  const q = compileOverlap(ws, ids, { ...o, dialect: warehouse.dialect });
  const rows = await warehouse.query<{ mask: unknown; n: unknown }>(q.sql, q.params);
  const regions = new Map<number, number>();
  for (const row of rows) regions.set(Number(row.mask), Number(row.n));
  return intersectionsOf(ids, regions);
}
