import { randomBytes } from 'node:crypto';
import { segmentReferences, type Workspace } from '../config/schema';
import { UserInputError } from '../config/errors';
import type { WarehouseDriver } from '../warehouse/driver';
import { compileMembers } from '../segments';
import { loadCatalog } from '../segments/load-catalog';
import { type MembershipChanges, membershipChanges } from './membership-changes';
import { ensureStateSchema } from './state-sql';

/** What refreshing segments needs. */
export interface RefreshDeps {
  warehouse: WarehouseDriver;
  workspace: Workspace;
  clock?: () => Date;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Sees what each refresh changed, after its commit (the control-plane store's membership lookup feeds on it). */
  onChanges?: (changes: MembershipChanges) => Promise<void>;
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
      const stay = (name: string) => {
        const b = state.binder();
        return state.execute(name, { table, segmentId: b.bind(segmentId), asOf: b.bind(asOf) }, b, tx);
      };
      // Stays open against the membership as it was, so history first, then membership.
      await stay('refresh-open-stays');
      await stay('refresh-close-stays');
      await stay('refresh-delete-members');
      await stay('refresh-insert-members');
      const b = state.binder();
      const { memberCount, added, removed } = evaluation;
      await state.execute('insert-evaluation', b.bindAll({ segmentId, asOf, evaluatedAt, memberCount, added, removed }), b, tx);
    });
    deps.log?.('segment_refreshed', { segmentId, memberCount: evaluation.memberCount, added: evaluation.added, removed: evaluation.removed });
    if (deps.onChanges) await deps.onChanges(membershipChanges(state, evaluation));
    return evaluation;
  } finally {
    await state.execute('drop-table', { table });
  }
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
