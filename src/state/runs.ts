import type { RunStatus } from '../sync/orchestrate';
import type { SqlValue, WarehouseDriver } from '../warehouse/driver';
import type { StateSql } from './state-sql';

/** How far a run got; a run that reached `diffed` resumes instead of starting over. */
export type RunPhase = 'started' | 'diffed' | 'committed';

/** One row of `sync_runs`. */
export interface SyncRunRow {
  runId: string;
  syncId: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
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
};

function toValue(v: unknown): SqlValue {
  return v === undefined ? null : (v as SqlValue);
}

export async function insertRun(state: StateSql, row: SyncRunRow, on?: WarehouseDriver): Promise<void> {
  const b = state.binder();
  const keys = Object.keys(COLUMNS) as (keyof SyncRunRow)[];
  const columns = keys.map((k) => state.quote(COLUMNS[k]));
  const values = keys.map((k) => b.bind(toValue(row[k])));
  await state.execute('run-insert', { columns, values }, b.params, on);
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
    .map(([k, v]) => `${state.quote(COLUMNS[k])} = ${b.bind(toValue(v))}`);
  if (assignments.length === 0) return;
  await state.execute('run-update', { assignments, runId: b.bind(runId) }, b.params, on);
}

export async function getRun(state: StateSql, runId: string, on?: WarehouseDriver): Promise<SyncRunRow | undefined> {
  const b = state.binder();
  const rows = await state.query('run-select', { runId: b.bind(runId) }, b.params, on);
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
  const rows = await state.query('run-select', ctx, b.params);
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

const INT_FIELDS = new Set(['added', 'removed', 'rejected', 'memberCount', 'snapshotCount', 'changed', 'batches', 'batchSize']);
