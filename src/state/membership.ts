import { randomBytes } from 'node:crypto';
import { segmentReferences, type Workspace } from '../config/schema';
import { UserInputError } from '../config/errors';
import type { CompiledQuery, WarehouseDriver } from '../warehouse/driver';
import { compileMembers } from '../segments';
import { loadCatalog } from '../segments/load-catalog';
import { ensureStateSchema, type StateSql, type TableName } from './state-sql';

/** What refreshing segments needs. */
export interface RefreshDeps {
  warehouse: WarehouseDriver;
  workspace: Workspace;
  clock?: () => Date;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

/** One row of `segment_evaluations`. */
export interface SegmentEvaluation {
  segmentId: string;
  asOf: Date;
  evaluatedAt: Date;
  memberCount: number;
  added: number;
  removed: number;
}

/**
 * Segment ids in the order they must be refreshed to refresh `ids`: every segment after the
 * segments it references (the workspace schema already rejects cycles).
 */
export function refreshOrder(ws: Workspace, ids: readonly string[]): string[] {
  const byId = new Map(ws.segments.map((s) => [s.id, s]));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const segment = byId.get(id);
    if (!segment) throw new UserInputError([{ path: 'segments', message: `unknown segment "${id}"` }]);
    for (const ref of segmentReferences(segment)) visit(ref);
    out.push(id);
  };
  for (const id of ids) visit(id);
  return out;
}

/**
 * Evaluates one segment at `asOf` and writes the result into the membership tables: members
 * are evaluated into a scratch table first, then one transaction updates `segment_membership`,
 * closes and opens stays in `segment_membership_history` and records `segment_evaluations`.
 */
export async function refreshSegment(deps: RefreshDeps, segmentId: string, asOf: Date): Promise<SegmentEvaluation> {
  const { warehouse, workspace } = deps;
  const state = await ensureStateSchema(warehouse, workspace.stateSchema);
  const catalog = await loadCatalog(warehouse, workspace);
  const query = compileMembers(workspace, segmentId, { dialect: warehouse.dialect, asOf, catalog });
  const table = state.table(`refresh_${randomBytes(6).toString('hex')}`);
  await state.execute('create-refresh-members', { table });
  try {
    await state.execute('insert-refresh-members', { table, members: query.sql }, state.binder(query.params));
    const evaluatedAt = (deps.clock ?? (() => new Date()))();
    // Counted before the transaction (some engines read nothing inside one); the scratch table is
    // this refresh's own, and the membership only changes in the transaction below.
    const c = state.binder();
    const [counts] = await state.query<Record<string, unknown>>('refresh-count', { table, segmentId: c.bind(segmentId) }, c);
    const evaluation: SegmentEvaluation = {
      segmentId,
      asOf,
      evaluatedAt,
      memberCount: Number(counts?.member_count ?? 0),
      added: Number(counts?.added ?? 0),
      removed: Number(counts?.removed ?? 0),
    };
    await warehouse.transaction(async (tx) => {
      for (const { sql, params } of refreshStatements(state, { table, segmentId, asOf })) await tx.execute(sql, params);
      const b = state.binder();
      const { memberCount, added, removed } = evaluation;
      await state.execute('insert-evaluation', b.bindAll({ segmentId, asOf, evaluatedAt, memberCount, added, removed }), b, tx);
    });
    deps.log?.('segment_refreshed', { segmentId, memberCount: evaluation.memberCount, added: evaluation.added, removed: evaluation.removed });
    return evaluation;
  } finally {
    await state.execute('drop-table', { table });
  }
}

/**
 * The statements of a refresh's transaction that bring the membership tables in line with the
 * members in `table` (the refresh's scratch table), in order: stays open against the membership
 * as it was, so history first, then membership.
 */
export function refreshStatements(state: StateSql, input: { table: TableName; segmentId: string; asOf: Date }): CompiledQuery[] {
  return ['refresh-open-stays', 'refresh-close-stays', 'refresh-delete-members', 'refresh-insert-members'].map((name) => {
    const b = state.binder();
    return state.compile(name, { table: input.table, segmentId: b.bind(input.segmentId), asOf: b.bind(input.asOf) }, b);
  });
}

/** Refreshes `segmentId` after every segment it references, all at the same as-of. */
export async function refreshWithDependencies(deps: RefreshDeps, segmentId: string, asOf: Date): Promise<SegmentEvaluation[]> {
  const out: SegmentEvaluation[] = [];
  for (const id of refreshOrder(deps.workspace, [segmentId])) out.push(await refreshSegment(deps, id, asOf));
  return out;
}

/**
 * The scheduled refresh: every active segment, in dependency order. Paused, archived and draft
 * segments are not evaluated; their rows in the membership tables stay as they were.
 */
export async function refreshDueSegments(deps: RefreshDeps, asOf: Date): Promise<SegmentEvaluation[]> {
  const due = new Set(deps.workspace.segments.filter((s) => s.status === 'active').map((s) => s.id));
  const out: SegmentEvaluation[] = [];
  for (const id of refreshOrder(deps.workspace, [...due])) if (due.has(id)) out.push(await refreshSegment(deps, id, asOf));
  return out;
}
