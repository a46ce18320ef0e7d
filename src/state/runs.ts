import type { RunStatus } from '../sync/orchestrate';
import { type SqlValue, type WarehouseDriver, WarehouseError } from '../warehouse/driver';
import type { StateSql } from './state-sql';

/**
 * A sync's runs (`sync_runs`) and the lock that lets one run of a sync go at a time
 * (`sync_locks`): what the steps of a run read and write besides its diff.
 */

/** How far a run got; a run that reached `diffed` resumes instead of starting over. */
export type RunPhase = 'started' | 'diffed' | 'committed';

/** One row of `sync_runs`. */
export interface SyncRunRow {
  runId: string;
  syncId: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  /** Rows sent on each side, rejected ones included (written when the run finishes; 0 when nothing was sent). */
  added: number | null;
  removed: number | null;
  rejected: number | null;
  matchRate: number | null;
  segmentId: string;
  asOf: Date;
  mode: 'mirror' | 'add_only';
  phase: RunPhase;
  /** The run was started with `--confirm-removals`; a resumed run keeps that decision. */
  confirmRemovals: boolean;
  /** A dry run: never resumed, never uploads. */
  dryRun: boolean;
  /** Identifier kinds the run sends, comma-separated (fixed for the run, so a resume sends the same columns). */
  identifiers: string | null;
  memberCount: number | null;
  snapshotCount: number | null;
  /** Persons whose identifier values changed (counted in both added and removed). */
  changed: number | null;
  batches: number | null;
  batchSize: number | null;
  audienceId: string | null;
  audienceName: string | null;
  error: string | null;
  updatedAt: Date;
  /** Rows of the diff on each side (written once the diff is complete). */
  plannedAdded: number | null;
  plannedRemoved: number | null;
  /** What became of the planned rows (RunCounts), written when the run finishes. */
  planned: number | null;
  sent: number | null;
  accepted: number | null;
  deferred: number | null;
  /** Members of the sync's segment the workspace's exclusions kept out of the audience (written with the diff). */
  excluded: number | null;
  /** Rows removed because their person is excluded: removals the user asked for, which the removal guard does not count. */
  excludedRemoved: number | null;
}

const COLUMNS: Record<keyof SyncRunRow, string> = {
  runId: 'run_id',
  syncId: 'sync_id',
  status: 'status',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  added: 'added',
  removed: 'removed',
  rejected: 'rejected',
  matchRate: 'match_rate',
  segmentId: 'segment_id',
  asOf: 'as_of',
  mode: 'mode',
  phase: 'phase',
  confirmRemovals: 'confirm_removals',
  dryRun: 'dry_run',
  identifiers: 'identifiers',
  memberCount: 'member_count',
  snapshotCount: 'snapshot_count',
  changed: 'changed',
  batches: 'batches',
  batchSize: 'batch_size',
  audienceId: 'audience_id',
  audienceName: 'audience_name',
  error: 'error',
  updatedAt: 'updated_at',
  plannedAdded: 'planned_added',
  plannedRemoved: 'planned_removed',
  planned: 'planned',
  sent: 'sent',
  accepted: 'accepted',
  deferred: 'deferred',
  excluded: 'excluded',
  excludedRemoved: 'excluded_removed',
};

/** Count columns added to `sync_runs` after its first version; an older state schema gets them on upgrade. */
export const ADDED_RUN_COLUMNS = ['planned_added', 'planned_removed', 'planned', 'sent', 'accepted', 'deferred', 'excluded', 'excluded_removed'] as const;

function toValue(v: unknown): SqlValue {
  return v === undefined ? null : (v as SqlValue);
}

export async function insertRun(state: StateSql, row: SyncRunRow, on?: WarehouseDriver): Promise<void> {
  const b = state.binder();
  const keys = Object.keys(COLUMNS) as (keyof SyncRunRow)[];
  const columns = keys.map((k) => COLUMNS[k]);
  const values = keys.map((k) => b.bind(toValue(row[k])));
  await state.execute('run-insert', { columns, values }, b, on);
}

export async function updateRun(
  state: StateSql,
  runId: string,
  fields: Partial<Omit<SyncRunRow, 'runId'>>,
  on?: WarehouseDriver,
): Promise<void> {
  const b = state.binder();
  const assignments = (Object.entries(fields) as [keyof SyncRunRow, unknown][])
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ({ column: COLUMNS[k], value: b.bind(toValue(v)) }));
  if (assignments.length === 0) return;
  await state.execute('run-update', { assignments, runId: b.bind(runId) }, b, on);
}

export async function getRun(state: StateSql, runId: string, on?: WarehouseDriver): Promise<SyncRunRow | undefined> {
  const b = state.binder();
  const rows = await state.query('run-select', { runId: b.bind(runId) }, b, on);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Runs of a sync, newest first; optionally only those in `status`. */
export async function listRuns(
  state: StateSql,
  syncId: string,
  options: { status?: RunStatus; limit?: number } = {},
): Promise<SyncRunRow[]> {
  const b = state.binder();
  const ctx = {
    runId: undefined,
    syncId: b.bind(syncId),
    status: options.status !== undefined ? b.bind(options.status) : undefined,
    limit: options.limit !== undefined ? b.bind(options.limit) : undefined,
  };
  const rows = await state.query('run-select', ctx, b);
  return rows.map(fromRow);
}

function fromRow(r: Record<string, unknown>): SyncRunRow {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(COLUMNS)) {
    let v = r[column];
    if (typeof v === 'bigint') v = Number(v);
    // PostgreSQL returns bigint as text to avoid precision loss; these counts always fit a double.
    if (typeof v === 'string' && INT_FIELDS.has(key)) v = Number(v);
    out[key] = v ?? null;
  }
  out.confirmRemovals = out.confirmRemovals === true;
  out.dryRun = out.dryRun === true;
  return out as unknown as SyncRunRow;
}

const INT_FIELDS = new Set([
  'added',
  'removed',
  'rejected',
  'memberCount',
  'snapshotCount',
  'changed',
  'batches',
  'batchSize',
  'plannedAdded',
  'plannedRemoved',
  'planned',
  'sent',
  'accepted',
  'deferred',
  'excluded',
  'excludedRemoved',
]);

/** Who holds a sync's lock: the run, and the process running it. */
export interface LockHolder {
  syncId: string;
  runId: string;
  host: string;
  pid: number;
  acquiredAt: Date;
  leaseUntil: Date;
}

/** The process asking for a lock, and how long its lease lasts without renewal. */
export interface LockClaim {
  syncId: string;
  runId: string;
  host: string;
  pid: number;
  now: Date;
  leaseMs: number;
}

/** Another live process holds a lock of `sync_locks`. */
export abstract class LockHeldError extends Error {
  constructor(
    readonly holder: LockHolder,
    what: string,
  ) {
    super(`${what}: run ${holder.runId}, pid ${holder.pid} on ${holder.host}, since ${holder.acquiredAt.toISOString()} (lease until ${holder.leaseUntil.toISOString()})`);
  }
}

/** Another live process is running this sync. */
export class SyncLockedError extends LockHeldError {
  override readonly name = 'SyncLockedError';
  constructor(holder: LockHolder) {
    super(holder, `sync "${holder.syncId}" is already running`);
  }
}

/**
 * A segment's refresh holds a lock in `sync_locks` too, under a key no sync id can have (sync ids
 * hold no ":"), so two refreshes of one segment never write its membership at once.
 */
export function segmentLockKey(segmentId: string): string {
  return `segment:${segmentId}`;
}

/** Another live process is refreshing this segment. */
export class SegmentLockedError extends LockHeldError {
  override readonly name = 'SegmentLockedError';
  constructor(
    readonly segmentId: string,
    holder: LockHolder,
  ) {
    super(holder, `segment "${segmentId}" is already being refreshed`);
  }
}

/**
 * Whether a lock's holder may still be running. On this host the process table answers
 * exactly; for other hosts only the lease can tell, so a crashed remote holder is taken over
 * once its lease expires.
 */
export function holderAlive(holder: LockHolder, here: { host: string; now: Date }): boolean {
  if (holder.host !== here.host) return holder.leaseUntil.getTime() > here.now.getTime();
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readLock(state: StateSql, syncId: string): Promise<LockHolder | undefined> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('lock-select', { syncId: b.bind(syncId) }, b);
  const r = rows[0];
  if (!r) return undefined;
  return {
    syncId: String(r.sync_id),
    runId: String(r.run_id),
    host: String(r.host),
    pid: Number(r.pid),
    acquiredAt: new Date(r.acquired_at as Date),
    leaseUntil: new Date(r.lease_until as Date),
  };
}

/**
 * Takes the lock `claim.syncId` (a sync id, or a segmentLockKey) for `claim.runId`, or throws
 * `held(holder)` (default SyncLockedError) naming the live holder. A dead holder's lock is taken
 * over with a compare-and-set, so two processes racing for the same dead lock cannot both win.
 * Returns the holder that was taken over, if any.
 */
export async function acquireSyncLock(
  state: StateSql,
  claim: LockClaim,
  held: (holder: LockHolder) => LockHeldError = (h) => new SyncLockedError(h),
): Promise<LockHolder | undefined> {
  const leaseUntil = new Date(claim.now.getTime() + claim.leaseMs);
  // The one failure of the insert that is expected: a concurrent insert won the primary key (the
  // holder is then read below). Anything else fails again on the next attempt and surfaces, with
  // its cause, once the attempts are spent.
  let insertError: unknown;
  const claimed = { syncId: claim.syncId, runId: claim.runId, host: claim.host, pid: claim.pid, now: claim.now, leaseUntil };
  for (let attempt = 0; attempt < 3; attempt++) {
    const b = state.binder();
    const ctx = b.bindAll(claimed);
    insertError = undefined;
    try {
      if ((await state.execute('lock-insert', ctx, b)) === 1) return undefined;
    } catch (err) {
      if (!(err instanceof WarehouseError)) throw err;
      insertError = err;
    }
    const holder = await readLock(state, claim.syncId);
    if (!holder) continue;
    if (holderAlive(holder, claim)) throw held(holder);
    const t = state.binder();
    const takeover = t.bindAll({ ...claimed, oldRunId: holder.runId, oldHost: holder.host, oldPid: holder.pid });
    if ((await state.execute('lock-takeover', takeover, t)) === 1) return holder;
  }
  const holder = await readLock(state, claim.syncId);
  if (holder) throw held(holder);
  const why = insertError instanceof Error ? `: ${insertError.message}` : '';
  throw new WarehouseError(`could not take the lock of sync "${claim.syncId}"${why}`, { cause: insertError });
}

/**
 * Extends the lease of the run's lock and makes this process its holder (a run's steps may run
 * in different worker processes); may move the lock to `newRunId`. False when the run lost the lock.
 */
export async function renewSyncLock(state: StateSql, claim: LockClaim & { newRunId?: string }): Promise<boolean> {
  const b = state.binder();
  const ctx = b.bindAll({
    newRunId: claim.newRunId ?? claim.runId,
    host: claim.host,
    pid: claim.pid,
    leaseUntil: new Date(claim.now.getTime() + claim.leaseMs),
    syncId: claim.syncId,
    runId: claim.runId,
  });
  return (await state.execute('lock-renew', ctx, b)) === 1;
}

export async function releaseSyncLock(state: StateSql, syncId: string, runId: string): Promise<void> {
  const b = state.binder();
  await state.execute('lock-release', { syncId: b.bind(syncId), runId: b.bind(runId) }, b);
}
