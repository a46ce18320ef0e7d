import type { IdentifierKind } from '../config/schema';
import type { MemberRow } from '../sync/destination';
import type { CompiledQuery, WarehouseDriver } from '../warehouse/driver';
import { IDENTIFIER_COLUMNS, type StateSql } from './state-sql';

/**
 * A run's diff table in the state schema. It outlives a crash so the next `sync run` resumes the
 * same diff; it is dropped when the run finishes. Members are never materialised: the segment
 * query is diffed against the snapshot in the same statement.
 */
export interface RunTables {
  changes: string;
}

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

/** Quoted names of a run's tables; the run id is reduced to identifier-safe characters. */
export function runTables(state: StateSql, runId: string): RunTables {
  const token = runId.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return { changes: state.table(`run_${token}_changes`) };
}

function columnsOf(state: StateSql, kinds: readonly IdentifierKind[]): string[] {
  return kinds.map((k) => state.quote(IDENTIFIER_COLUMNS[k]));
}

/**
 * Evaluates the segment and diffs it against the sync's confirmed snapshot, in one warehouse
 * statement, into the run's changes table. `query` selects `person_id` and one column per
 * identifier kind, named by the kind. Runs on `tx` so the caller can mark the run diffed in the
 * same transaction.
 */
export async function materialiseDiff(
  state: StateSql,
  input: { runId: string; syncId: string; query: CompiledQuery; kinds: readonly IdentifierKind[] },
  tx: WarehouseDriver,
): Promise<DiffCounts> {
  const { changes } = runTables(state, input.runId);
  const identifierColumns = columnsOf(state, input.kinds);
  await state.execute('drop-table', { table: changes }, [], tx);
  await state.execute('create-run-changes', { table: changes, identifierColumns }, [], tx);
  // The segment query's parameters come first: it precedes the sync id in the statement.
  const b = state.binder(input.query.params);
  const ctx = {
    changes,
    members: input.query.sql,
    identifierColumns,
    sourceColumns: input.kinds.map((k, i) => ({ source: state.quote(k), column: identifierColumns[i] })),
    fingerprintColumns: ['m.person_id', ...identifierColumns.map((c) => `m.${c}`)],
    syncId: b.bind(input.syncId),
  };
  await state.execute('insert-run-changes', ctx, b.params, tx);
  await state.execute(
    'index-run-table',
    { name: state.quote(`${changes.split('.').pop()!.replace(/"/g, '')}_seq`), table: changes, columns: ['kind', 'seq'] },
    [],
    tx,
  );
  const [counts] = await state.query<Record<string, unknown>>('count-run-changes', { changes }, [], tx);
  const s = state.binder();
  const snapshot = await state.query<{ n: unknown }>(
    'count-rows',
    { table: state.t.snapshots, where: `sync_id = ${s.bind(input.syncId)}` },
    s.params,
    tx,
  );
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
  const { changes } = runTables(state, runId);
  const b = state.binder();
  const ctx = { changes, identifierColumns: columnsOf(state, kinds), kind: b.bind(kind), from: b.bind(from), to: b.bind(to) };
  const columns = kinds.map((k) => [k, IDENTIFIER_COLUMNS[k]] as const);
  const out: MemberRow[] = [];
  for await (const page of state.warehouse.stream<Record<string, unknown>>(state.render('select-changes-batch', ctx), b.params, { pageSize: READ_PAGE })) {
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
  const { changes } = runTables(state, runId);
  const b = state.binder();
  const rows = await state.query<{ person_id: unknown }>('sample-changes', { changes, kind: b.bind(kind), limit: b.bind(limit) }, b.params);
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
  const { changes } = runTables(state, input.runId);
  const d = state.binder();
  await state.execute('commit-snapshot-delete', { changes, syncId: d.bind(input.syncId), mirror: input.mode === 'mirror' }, d.params, tx);
  const i = state.binder();
  const ctx = { changes, identifierColumns: columnsOf(state, input.kinds), syncId: i.bind(input.syncId), runId: i.bind(input.runId) };
  await state.execute('commit-snapshot-insert', ctx, i.params, tx);
}

export async function dropRunTables(state: StateSql, runId: string): Promise<void> {
  await state.execute('drop-table', { table: runTables(state, runId).changes });
}
