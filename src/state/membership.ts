import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { segmentReferences, type Workspace } from '../config/schema';
import { UserInputError } from '../config/errors';
import type { CompiledQuery, WarehouseDriver } from '../warehouse/driver';
import { compileMembers } from '../segments';
import { loadCatalog } from '../segments/load-catalog';
import { checkRunnableByHand } from '../segments/status';
import { acquireSyncLock, releaseSyncLock, renewSyncLock, SegmentLockedError, segmentLockKey } from './runs';
import { ensureStateSchema, type StateSql, type TableName } from './state-sql';
import { type MembershipChanges, membershipChanges } from './membership-changes';

/** What refreshing segments needs. */
export interface RefreshDeps {
  warehouse: WarehouseDriver;
  workspace: Workspace;
  clock?: () => Date;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Lock holder identity; defaults to this host and process. */
  host?: string;
  pid?: number;
  /** How long the segment's lock stays valid without renewal (other hosts take over after it). */
  leaseMs?: number;
  /** Sees what each refresh changed, after its commit (the control-plane store's membership lookup feeds on it). */
  onChanges?: (changes: MembershipChanges) => Promise<void>;
}

/** A refresh renews its lock between steps; one step longer than this lets another host take over. */
const DEFAULT_LEASE_MS = 10 * 60_000;

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
 * Evaluates one segment at `asOf` and writes the result into the membership tables: one statement
 * evaluates the segment and diffs it against its membership, in the warehouse, into a table of
 * who enters and who leaves; then one transaction applies that diff to `segment_membership`,
 * closes and opens stays in `segment_membership_history` and records `segment_evaluations`.
 * Holds the segment's lock throughout (`sync_locks`, as a sync does): a second refresh of the
 * segment meanwhile fails with SegmentLockedError instead of writing the same members twice.
 * `evaluated` selects the segment's members at `asOf` when they were evaluated already.
 */
export async function refreshSegment(deps: RefreshDeps, segmentId: string, asOf: Date, evaluated?: CompiledQuery): Promise<SegmentEvaluation> {
  const { warehouse, workspace } = deps;
  const clock = deps.clock ?? (() => new Date());
  const state = await ensureStateSchema(warehouse, workspace.stateSchema);
  const token = randomBytes(6).toString('hex');
  const claim = { syncId: segmentLockKey(segmentId), runId: `refresh-${token}`, host: deps.host ?? hostname(), pid: deps.pid ?? process.pid, leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS };
  const takenOver = await acquireSyncLock(state, { ...claim, now: clock() }, (holder) => new SegmentLockedError(segmentId, holder));
  if (takenOver) deps.log?.('lock_taken_over', { segmentId, fromRunId: takenOver.runId, fromPid: takenOver.pid, fromHost: takenOver.host });
  const table = state.table(`refresh_${token}`);
  const retentionDays = workspace.segments.find((s) => s.id === segmentId)?.retentionDays;
  try {
    // Members a sync batch evaluated already at this as-of (SharedMembers) are read, not evaluated again.
    const catalog = evaluated && !retentionDays ? undefined : await loadCatalog(warehouse, workspace);
    const split = workspace.segments.find((s) => s.id === segmentId)?.splits !== undefined;
    const compile = (o: { ownRetention?: boolean; paramOffset?: number; splitGroup?: boolean } = {}) => compileMembers(workspace, segmentId, { dialect: warehouse.dialect, asOf, catalog, ...o });
    const members = evaluated ?? compile({ splitGroup: true });
    // A segment with retention also records who matches its rules at this as-of (its last match).
    const retention = retentionDays ? { days: retentionDays, matched: compile({ ownRetention: false, paramOffset: members.params.length }) } : undefined;
    const statements = refreshStatements(state, { table, segmentId, asOf, members, retention, split });
    await state.execute('create-refresh-changes', { table });
    await warehouse.execute(statements.diff.sql, statements.diff.params);
    // The evaluation may have outlasted the lease: renew, and stop if another process took the lock meanwhile.
    if (!(await renewSyncLock(state, { ...claim, now: clock() })))
      throw new Error(`the refresh of segment "${segmentId}" lost its lock to another process while evaluating; nothing was written`);
    const evaluatedAt = clock();
    // Counted before the transaction (some engines read nothing inside one); the segment's lock
    // keeps its membership as it is until the transaction below.
    const [counts] = await warehouse.query<Record<string, unknown>>(statements.count.sql, statements.count.params);
    const added = Number(counts?.added ?? 0);
    const removed = Number(counts?.removed ?? 0);
    const moved = Number(counts?.moved ?? 0);
    const evaluation: SegmentEvaluation = { segmentId, asOf, evaluatedAt, memberCount: Number(counts?.members_before ?? 0) + added - removed, added, removed };
    await warehouse.transaction(async (tx) => {
      if (statements.settings !== '') await tx.execute(statements.settings);
      for (const { sql, params } of statements.apply) await tx.execute(sql, params);
      const b = state.binder();
      const { memberCount } = evaluation;
      await state.execute('insert-evaluation', b.bindAll({ segmentId, asOf, evaluatedAt, memberCount, added, removed }), b, tx);
    });
    deps.log?.('segment_refreshed', { segmentId, memberCount: evaluation.memberCount, added, removed, ...(split ? { moved } : {}) });
    if (deps.onChanges) await deps.onChanges(membershipChanges(state, evaluation, table, { split }));
    return evaluation;
  } finally {
    try {
      await state.execute('drop-table', { table });
    } finally {
      await releaseSyncLock(state, claim.syncId, claim.runId);
    }
  }
}

/** The statements of one refresh, against its diff table `table`. */
export interface RefreshStatements {
  /** Evaluates the segment (`members`) and writes who enters, who leaves and who moves to another split group into `table`. */
  diff: CompiledQuery;
  /** The members before, and how many enter, leave and move to another split group. */
  count: CompiledQuery;
  /** The transaction that applies the diff, in order: stays closed and opened, members removed, added and moved. */
  apply: CompiledQuery[];
  /** Planner settings the dialect gives that transaction, run first in it (`state/refresh-plan-settings`); empty: none. */
  settings: string;
}

/** What refreshStatements needs. */
export interface RefreshInput {
  /** The refresh's diff table. */
  table: TableName;
  segmentId: string;
  asOf: Date;
  /** The segment's members at `asOf` (with its retention, if it has one). */
  members: CompiledQuery;
  /**
   * The segment's `retentionDays`, and who matches its rules at `asOf` without them (compiled with
   * `ownRetention: false` and `paramOffset` = the number of `members`' parameters: it follows them).
   */
  retention?: { days: number; matched: CompiledQuery };
  /**
   * The segment has splits, and `members` has a `split_group` column (`compileMembers` with
   * `splitGroup`; SharedMembers' tables have it).
   */
  split?: boolean;
}

/** The statements of one refresh (see refreshSegment); a segment with retention also keeps `segment_last_matched`. */
export function refreshStatements(state: StateSql, input: RefreshInput): RefreshStatements {
  const { table, segmentId, asOf, members, retention } = input;
  const split = input.split ?? false;
  const d = state.binder(retention ? [...members.params, ...retention.matched.params] : members.params);
  const diff = retention
    ? state.compile('insert-refresh-changes-retained', { table, members: members.sql, matched: retention.matched.sql, segmentId: d.bind(segmentId), asOf: d.bind(asOf), split }, d)
    : state.compile('insert-refresh-changes', { table, members: members.sql, segmentId: d.bind(segmentId), split }, d);
  const c = state.binder();
  const count = state.compile('refresh-count', { table, segmentId: c.bind(segmentId) }, c);
  // A move ends the member's stay in one group before it starts the next.
  const steps = ['refresh-close-stays', 'refresh-open-stays', 'refresh-delete-members', 'refresh-insert-members', 'refresh-move-members'];
  if (retention) steps.unshift('refresh-close-stays-retained');
  if (retention) steps.push('refresh-last-matched-update', 'refresh-last-matched-insert');
  const apply = steps.map((name) => {
    const b = state.binder();
    const minusDays = retention && name === 'refresh-close-stays-retained' ? { minusDays: b.bind(-retention.days) } : {};
    return state.compile(name, { table, segmentId: b.bind(segmentId), asOf: b.bind(asOf), ...minusDays }, b);
  });
  return { diff, count, apply, settings: state.compile('refresh-plan-settings').sql };
}

/**
 * Refreshes `segmentId`, asked for by hand, after the active segments it references, all at the
 * same as-of. An archived segment is refused (UserInputError); a paused or draft one is refreshed
 * (`checkRunnableByHand` says what to tell the user). Referenced segments that are not active keep
 * their rows as they were, as on a scheduled refresh.
 */
export async function refreshWithDependencies(deps: RefreshDeps, segmentId: string, asOf: Date): Promise<SegmentEvaluation[]> {
  checkRunnableByHand(deps.workspace, segmentId, 'refresh');
  const status = new Map(deps.workspace.segments.map((s) => [s.id, s.status]));
  const out: SegmentEvaluation[] = [];
  for (const id of refreshOrder(deps.workspace, [segmentId]))
    if (id === segmentId || status.get(id) === 'active') out.push(await refreshSegment(deps, id, asOf));
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
