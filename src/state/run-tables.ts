import type { IdentifierKind } from '../config/schema';
import type { MemberRow } from '../destinations/contract';
import type { CompiledQuery, WarehouseDriver } from '../warehouse/driver';
import { IDENTIFIER_COLUMNS, type StateSql, type TableName } from './state-sql';

/**
 * What one run keeps in the state schema besides its row: its diff table (it outlives a crash so
 * the next `sync run` resumes the same diff, and is dropped when the run finishes), the ledger of
 * batches the destination acknowledged with the rows it rejected, and the commit of the diff into
 * the sync's snapshot. Members are never materialised: the segment query is diffed against the
 * snapshot in the same statement.
 */

export type ChangeKind = 'add' | 'remove';

export interface DiffCounts {
  /** Members of the segment at the run's as-of: snapshot + added - removed. */
  memberCount: number;
  added: number;
  /** Snapshot rows without a current match (in add_only mode they are counted, never sent). */
  removed: number;
  /** Persons both removed and added: their identifier values changed. */
  changed: number;
  snapshotCount: number;
}

/** What every table of a run is named after: `run_<run id reduced to identifier-safe characters>_`. */
export function runTablePrefix(runId: string): string {
  return `run_${runId.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_`;
}

/** The run's diff table. */
export function changesTable(state: StateSql, runId: string): TableName {
  return state.table(`${runTablePrefix(runId)}changes`);
}

const columnsOf = (kinds: readonly IdentifierKind[]): string[] => kinds.map((k) => IDENTIFIER_COLUMNS[k]);

/**
 * The statements that evaluate the segment and diff it against the sync's confirmed snapshot
 * into the run's diff table: `query` selects `person_id` and one column per identifier kind,
 * named by the kind.
 */
export function diffStatements(state: StateSql, input: { runId: string; syncId: string; query: CompiledQuery; kinds: readonly IdentifierKind[] }): CompiledQuery[] {
  const changes = changesTable(state, input.runId);
  const identifierColumns = columnsOf(input.kinds);
  // The segment query's parameters come first: it precedes the sync id in the statement.
  const b = state.binder(input.query.params);
  const diff = {
    changes,
    members: input.query.sql,
    identifierColumns,
    sourceColumns: input.kinds.map((k, i) => ({ source: k, column: identifierColumns[i] })),
    syncId: b.bind(input.syncId),
  };
  return [
    state.compile('drop-table', { table: changes }),
    state.compile('create-run-changes', { table: changes, identifierColumns }),
    state.compile('insert-run-changes', diff, b),
    state.compile('index-run-table', { name: `${changes.name}_seq`, table: changes, columns: ['kind', 'seq'] }),
  ].filter((q) => q.sql !== '');
}

/**
 * Evaluates the segment and diffs it against the sync's confirmed snapshot, in one warehouse
 * statement, into the run's diff table; returns its counts. Not a transaction (some engines read
 * nothing inside one): the caller marks the run diffed only after this returns, and a run that
 * is not marked diffed never reads its diff table.
 */
export async function materialiseDiff(
  state: StateSql,
  input: { runId: string; syncId: string; query: CompiledQuery; kinds: readonly IdentifierKind[] },
): Promise<DiffCounts> {
  for (const { sql, params } of diffStatements(state, input)) await state.warehouse.execute(sql, params);
  const [counts] = await state.query<Record<string, unknown>>('count-run-changes', { changes: changesTable(state, input.runId) });
  const s = state.binder();
  const snapshot = await state.query<{ n: unknown }>('count-rows', { table: state.t.snapshots, where: `sync_id = ${s.bind(input.syncId)}` }, s);
  const added = Number(counts?.added ?? 0);
  const removed = Number(counts?.removed ?? 0);
  const snapshotCount = Number(snapshot[0]?.n ?? 0);
  return {
    memberCount: snapshotCount + added - removed,
    added,
    removed,
    changed: added + removed - Number(counts?.persons ?? 0),
    snapshotCount,
  };
}

/** Rows per page when a batch of the diff is read: small pages let uploads in flight progress in between. */
const READ_PAGE = 2_048;

/**
 * Rows `from <= seq < to` of one side of the diff, in sequence order. Streamed in small pages, so
 * a large batch (Meta: 100,000 rows) is converted a page at a time while other batches' requests
 * are in flight, instead of in one long stretch of the event loop.
 */
export async function readChanges(
  state: StateSql,
  runId: string,
  kinds: readonly IdentifierKind[],
  kind: ChangeKind,
  from: number,
  to: number,
): Promise<MemberRow[]> {
  const b = state.binder();
  const ctx = { changes: changesTable(state, runId), identifierColumns: columnsOf(kinds), kind: b.bind(kind), from: b.bind(from), to: b.bind(to) };
  const { sql, params } = state.compile('select-changes-batch', ctx, b);
  const columns = kinds.map((k) => [k, IDENTIFIER_COLUMNS[k]] as const);
  const out: MemberRow[] = [];
  for await (const page of state.warehouse.stream<Record<string, unknown>>(sql, params, { pageSize: READ_PAGE })) {
    for (const r of page) {
      const identifiers: MemberRow['identifiers'] = {};
      for (const [k, column] of columns) {
        const v = r[column];
        identifiers[k] = v === null || v === undefined ? null : String(v);
      }
      out.push({ personId: String(r.person_id), identifiers });
    }
  }
  return out;
}

/** Up to `limit` person ids of one side of the diff (for dry runs). */
export async function sampleChanges(state: StateSql, runId: string, kind: ChangeKind, limit: number): Promise<string[]> {
  const b = state.binder();
  const rows = await state.query<{ person_id: unknown }>('sample-changes', { changes: changesTable(state, runId), kind: b.bind(kind), limit: b.bind(limit) }, b);
  return rows.map((r) => String(r.person_id));
}

/**
 * Applies the run's diff to the sync's snapshot on `tx`: removed rows go (in add_only mode only
 * the old rows of people added again), added rows come in. Proportional to churn, not to audience size.
 */
export async function applyDiffToSnapshot(
  state: StateSql,
  input: { runId: string; syncId: string; mode: 'mirror' | 'add_only'; kinds: readonly IdentifierKind[] },
  tx: WarehouseDriver,
): Promise<void> {
  const changes = changesTable(state, input.runId);
  const d = state.binder();
  await state.execute('commit-snapshot-delete', { changes, syncId: d.bind(input.syncId), mirror: input.mode === 'mirror' }, d, tx);
  const i = state.binder();
  const ctx = { changes, identifierColumns: columnsOf(input.kinds), syncId: i.bind(input.syncId), runId: i.bind(input.runId) };
  await state.execute('commit-snapshot-insert', ctx, i, tx);
}

export async function dropRunTables(state: StateSql, runId: string): Promise<void> {
  await state.execute('drop-table', { table: changesTable(state, runId) });
}

/** One batch the destination acknowledged. */
export interface LedgerEntry {
  batchId: string;
  kind: ChangeKind;
  seq: number;
  rowCount: number;
  rejected: number;
}

export interface Rejection {
  personId: string;
  reason: string;
}

/** Deterministic id of a batch: the same run, kind and sequence always name the same rows. */
export function batchId(runId: string, kind: ChangeKind, seq: number): string {
  return `${runId}/${kind}/${seq}`;
}

/** Every batch of a run the destination has acknowledged. */
export async function acknowledgedBatches(state: StateSql, runId: string): Promise<LedgerEntry[]> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('batch-select', { runId: b.bind(runId) }, b);
  return rows.map((r) => ({
    batchId: String(r.batch_id),
    kind: r.kind as LedgerEntry['kind'],
    seq: Number(r.seq),
    rowCount: Number(r.row_count),
    rejected: Number(r.rejected),
  }));
}

const REJECTIONS_PER_INSERT = 200;

/** Records an acknowledged batch and its rejected rows together, in one transaction. */
export async function recordBatch(state: StateSql, entry: LedgerEntry & { runId: string; now: Date }, rejections: readonly Rejection[]): Promise<void> {
  // Without rejections the ledger row is one statement: no explicit transaction needed.
  const write = rejections.length === 0 ? (fn: (tx: WarehouseDriver) => Promise<void>) => fn(state.warehouse) : state.warehouse.transaction.bind(state.warehouse);
  await write(async (tx: WarehouseDriver) => {
    for (let i = 0; i < rejections.length; i += REJECTIONS_PER_INSERT) {
      const b = state.binder();
      const rows = rejections
        .slice(i, i + REJECTIONS_PER_INSERT)
        .map((r) => b.bindAll({ runId: entry.runId, batchId: entry.batchId, kind: entry.kind, personId: r.personId, reason: r.reason }));
      await state.execute('rejections-insert', { rows }, b, tx);
    }
    const b = state.binder();
    const { runId, batchId, kind, seq, rowCount, rejected, now } = entry;
    await state.execute('batch-insert', b.bindAll({ runId, batchId, kind, seq, rowCount, rejected, now }), b, tx);
  });
}

/** Rejected rows of a run, counted by reason (for the run report). */
export async function rejectionReasons(state: StateSql, runId: string): Promise<{ reason: string; count: number }[]> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('rejections-select', { runId: b.bind(runId) }, b);
  return rows.map((r) => ({ reason: String(r.reason), count: Number(r.n) }));
}
