import { UserInputError } from '../config/errors';
import type { PriorityList, SyncConfig, Workspace } from '../config/schema';
import type { CompiledQuery } from '../warehouse/driver';
import { renderSql } from '../warehouse/templates';
import { type CompileOptions, compileMembers, writerFor } from './index';
import { and, negate, type NormalizedSegment, normalizeSegment, or } from './normalize';
import { printFirstMatch } from './printer';
import type { RuleNode } from './tree';

/**
 * What a sync sends is its segment's members, narrowed by the workspace's audience controls:
 * - a segment in a priority list keeps only the persons it is the first segment of the list for
 *   (`rank k`: matches segment k and none of the segments before it);
 * - the workspace's `exclusions` (segments of the same entity) are taken out, unless the sync
 *   sets `ignoreExclusions`.
 * Everything is one tree, printed as one statement: values bound, negation exact under SPEC's
 * null rules (normalize.ts `negate`).
 */

/** Where a segment stands in its priority list. */
export interface PriorityPlace {
  list: PriorityList;
  /** 0 = the list's first (highest-priority) segment. */
  index: number;
}

/** The priority list `segmentId` is in, and where; undefined when it is in none. */
export function priorityPlace(ws: Pick<Workspace, 'priorityLists'>, segmentId: string): PriorityPlace | undefined {
  for (const list of ws.priorityLists ?? []) {
    const index = list.segments.indexOf(segmentId);
    if (index >= 0) return { list, index };
  }
  return undefined;
}

/**
 * The exclusion segments a sync leaves out: the workspace's `exclusions` about the sync segment's
 * entity (an exclusion of persons says nothing about accounts), none when the sync sets
 * `ignoreExclusions`, and never the sync's own segment.
 */
export function syncExclusions(ws: Workspace, sync: Pick<SyncConfig, 'segment' | 'ignoreExclusions'>): string[] {
  if (sync.ignoreExclusions) return [];
  const entity = ws.segments.find((s) => s.id === sync.segment)?.entity;
  return (ws.exclusions ?? []).filter((id) => {
    if (id === sync.segment) return false;
    const segment = ws.segments.find((s) => s.id === id);
    if (!segment) throw new UserInputError([{ path: `exclusions[${ws.exclusions.indexOf(id)}]`, message: `unknown segment "${id}"` }]);
    return segment.entity === entity;
  });
}

/** A sync's audience as trees: `source` what the segment (deduplicated by its list) holds, `excluded` anyone excluded. */
export interface AudienceTrees {
  /** The sync's segment, with its entity, its tree narrowed by its priority list. */
  source: NormalizedSegment;
  /** Persons of any exclusion (FALSE without exclusions). */
  excluded: RuleNode;
}

/** The trees of the audience of `segmentId` with `exclusions` left out. */
export function audienceTrees(ws: Workspace, segmentId: string, exclusions: readonly string[], catalog?: CompileOptions['catalog']): AudienceTrees {
  const segment = normalizeSegment(ws, segmentId, catalog);
  const place = priorityPlace(ws, segmentId);
  const earlier = place ? place.list.segments.slice(0, place.index).map((id) => negate(normalizeSegment(ws, id, catalog).tree)) : [];
  const excluded = or(exclusions.map((id) => normalizeSegment(ws, id, catalog).tree));
  return { source: { ...segment, tree: and([segment.tree, ...earlier]) }, excluded };
}

/** The queries of one sync's audience at an as-of (`compileAudience`). */
export interface AudienceQueries {
  /** What the sync sends: person_id and the identifier columns, as `compileMembers` returns them. */
  members: CompiledQuery;
  /** With exclusions: one row, column `n`, the persons of the source the exclusions keep out. */
  excludedCount?: CompiledQuery;
  /** With exclusions: person_id of every excluded person (to tell removals the exclusions asked for). */
  excludedMembers?: CompiledQuery;
}

/**
 * The queries of what a sync sends: its segment, deduplicated by its priority list, without its
 * exclusions; with exclusions, also the count of persons they keep out and the excluded persons.
 * The segment's members are compiled on their own, and the segments before it in its list and the
 * exclusions are taken out by one anti-join (`segments/audience`), so each engine plans every
 * segment as it plans it alone (hash joins), not a negated combined tree.
 *
 * @example
 * const { members, excludedCount } = compileAudience(ws, ws.syncs[0], { dialect, asOf, identifiers: ['email'] });
 */
export function compileAudience(ws: Workspace, sync: Pick<SyncConfig, 'segment' | 'ignoreExclusions'>, o: CompileOptions): AudienceQueries {
  const exclusions = syncExclusions(ws, sync);
  const place = priorityPlace(ws, sync.segment);
  const earlier = place ? place.list.segments.slice(0, place.index) : [];
  const segment = compileMembers(ws, sync.segment, o);
  if (earlier.length === 0 && exclusions.length === 0) return { members: segment };
  const members = without(ws, segment, [...earlier, ...exclusions], o, {});
  if (exclusions.length === 0) return { members };
  const rank = earlier.length > 0 ? without(ws, segment, earlier, o, {}) : segment;
  return {
    members,
    excludedCount: without(ws, rank, exclusions, o, { keep: true, count: true }),
    excludedMembers: unionOf(ws, exclusions, o),
  };
}

/**
 * The members (person_id only) of each of `segmentIds`, compiled to follow `leading` parameters:
 * their SQL texts, and every parameter in order.
 */
function keysOf(ws: Workspace, segmentIds: readonly string[], o: CompileOptions, leading: CompiledQuery['params']): { parts: string[]; params: CompiledQuery['params'] } {
  const params = [...leading];
  const parts = segmentIds.map((id) => {
    const q = compileMembers(ws, id, { ...o, identifiers: [], orderByKey: false, record: undefined, splitGroup: false, paramOffset: params.length });
    params.push(...q.params);
    return q.sql;
  });
  return { parts, params };
}

/** `members` without (or with `keep`: only, with `count`: the number of) the persons of any of `segmentIds`. */
function without(ws: Workspace, members: CompiledQuery, segmentIds: readonly string[], o: CompileOptions, shape: { keep?: boolean; count?: boolean }): CompiledQuery {
  const { parts, params } = keysOf(ws, segmentIds, o, members.params);
  const q = (name: string) => o.dialect.quoteIdentifier(name);
  const sql = renderSql(o.dialect.name, 'segments/audience', { members: members.sql, without: parts, keep: shape.keep ?? false, count: shape.count ?? false, personId: q('person_id'), countAlias: q('n') });
  return { sql, params };
}

/** Every person of any of `segmentIds`, once (person_id only). */
function unionOf(ws: Workspace, segmentIds: readonly string[], o: CompileOptions): CompiledQuery {
  const { parts, params } = keysOf(ws, segmentIds, o, []);
  return { sql: parts.join(' UNION '), params };
}

/**
 * One statement that evaluates a whole priority list: every person matching one of its segments,
 * with `priority_rank`, the index of the first segment they match (and the identifier columns
 * asked for). Syncs of the list's segments each send the persons of their own rank.
 *
 * @example
 * const q = compilePriorityList(ws, 'lifecycle', { dialect, asOf: new Date() });
 * // SELECT f."person_id", f."priority_rank" FROM (SELECT ..., CASE WHEN ... THEN 0 WHEN ... THEN 1 END ...) f WHERE ...
 */
export function compilePriorityList(ws: Workspace, listId: string, o: CompileOptions): CompiledQuery {
  const index = (ws.priorityLists ?? []).findIndex((l) => l.id === listId);
  if (index < 0) throw new UserInputError([{ path: 'priorityLists', message: `unknown priority list "${listId}"` }]);
  const trees = ws.priorityLists[index]!.segments.map((id) => normalizeSegment(ws, id, o.catalog));
  return printFirstMatch(trees[0]!, trees.map((t) => t.tree), writerFor(o), { identifiers: o.identifiers });
}
