import type { IdentifierKind } from '../config/schema';
import type { MemberRow } from '../sync/destination';
import type { CompiledQuery, WarehouseDriver } from '../warehouse/driver';
import { IDENTIFIER_COLUMNS, type StateSql } from './state-sql';

/**
 * A run's own tables in the state schema: its evaluated members and its diff. They outlive a
 * crash so the next `sync run` resumes the same diff; they are dropped when the run finishes.
 */
export interface RunTables {
  members: string;
  changes: string;
}

export type ChangeKind = 'add' | 'remove';

export interface DiffCounts {
  added: number;
  removed: number;
  /** Persons both removed and added: their identifier values changed. */
  changed: number;
  snapshotCount: number;
}

/** Quoted names of a run's tables; the run id is reduced to identifier-safe characters. */
export function runTables(state: StateSql, runId: string): RunTables {
  const token = runId.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return {
    members: state.render('run-members-name', { name: state.quote(`run_${token}_members`) }),
    changes: state.table(`run_${token}_changes`),
  };
}

function columnsOf(state: StateSql, kinds: readonly IdentifierKind[]): string[] {
  return kinds.map((k) => state.quote(IDENTIFIER_COLUMNS[k]));
}

/**
 * Evaluates the segment into the run's members table. `query` selects `person_id` and one column
 * per identifier kind, named by the kind; its bound parameters are the statement's only ones.
 */
export async function materialiseMembers(
  state: StateSql,
  runId: string,
  query: CompiledQuery,
  kinds: readonly IdentifierKind[],
): Promise<number> {
  const { members } = runTables(state, runId);
  const identifierColumns = columnsOf(state, kinds);
  await state.execute('drop-table', { table: members });
  await state.execute('create-run-members', { table: members, identifierColumns });
  const sourceColumns = kinds.map((k) => state.quote(k));
  await state.execute(
    'insert-run-members',
    {
      table: members,
      identifierColumns,
      sourceColumns,
      fingerprintColumns: sourceColumns.map((c) => `cast(q.${c} as ${state.render('type-text')})`),
      members: query.sql,
    },
    query.params,
  );
  return count(state, members);
}

/** Members of the run's members table, or undefined when this connection cannot see it (a temporary table made elsewhere). */
export async function countMembers(state: StateSql, runId: string): Promise<number | undefined> {
  try {
    return await count(state, runTables(state, runId).members);
  } catch {
    return undefined;
  }
}

async function count(state: StateSql, table: string, on?: WarehouseDriver): Promise<number> {
  const rows = await state.query<{ n: unknown }>('count-rows', { table, where: undefined }, [], on);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Diffs the run's members against the sync's confirmed snapshot, in the warehouse, into the
 * run's changes table. Runs on `tx` so the caller can mark the run diffed in the same transaction.
 */
export async function materialiseDiff(
  state: StateSql,
  input: { runId: string; syncId: string; mode: 'mirror' | 'add_only'; kinds: readonly IdentifierKind[] },
  tx: WarehouseDriver,
): Promise<DiffCounts> {
  const { members, changes } = runTables(state, input.runId);
  const identifierColumns = columnsOf(state, input.kinds);
  await state.execute('drop-table', { table: changes }, [], tx);
  await state.execute('create-run-changes', { table: changes, identifierColumns }, [], tx);
  const b = state.binder();
  const ctx = {
    changes,
    members,
    identifierColumns,
    mirror: input.mode === 'mirror',
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
  return {
    added,
    removed,
    changed: added + removed - Number(counts?.persons ?? 0),
    snapshotCount: Number(snapshot[0]?.n ?? 0),
  };
}

/** Rows `from <= seq < to` of one side of the diff, in sequence order. */
export async function readChanges(
  state: StateSql,
  runId: string,
  kinds: readonly IdentifierKind[],
  kind: ChangeKind,
  from: number,
  to: number,
): Promise<(MemberRow & { seq: number })[]> {
  const { changes } = runTables(state, runId);
  const b = state.binder();
  const ctx = { changes, identifierColumns: columnsOf(state, kinds), kind: b.bind(kind), from: b.bind(from), to: b.bind(to) };
  const rows = await state.query<Record<string, unknown>>('select-changes-batch', ctx, b.params);
  return rows.map((r) => ({
    seq: Number(r.seq),
    personId: String(r.person_id),
    identifiers: Object.fromEntries(
      kinds.map((k) => {
        const v = r[IDENTIFIER_COLUMNS[k]];
        return [k, v === null || v === undefined ? null : String(v)];
      }),
    ),
  }));
}

/** Up to `limit` person ids of one side of the diff (for dry runs). */
export async function sampleChanges(state: StateSql, runId: string, kind: ChangeKind, limit: number): Promise<string[]> {
  const { changes } = runTables(state, runId);
  const b = state.binder();
  const rows = await state.query<{ person_id: unknown }>('sample-changes', { changes, kind: b.bind(kind), limit: b.bind(limit) }, b.params);
  return rows.map((r) => String(r.person_id));
}

/**
 * Applies the run's diff to the sync's snapshot on `tx`: persons in the diff lose their old row,
 * added ones get their new row. Proportional to churn, not to audience size.
 */
export async function applyDiffToSnapshot(
  state: StateSql,
  input: { runId: string; syncId: string; kinds: readonly IdentifierKind[] },
  tx: WarehouseDriver,
): Promise<void> {
  const { changes } = runTables(state, input.runId);
  const d = state.binder();
  await state.execute('commit-snapshot-delete', { changes, syncId: d.bind(input.syncId) }, d.params, tx);
  const i = state.binder();
  const ctx = { changes, identifierColumns: columnsOf(state, input.kinds), syncId: i.bind(input.syncId), runId: i.bind(input.runId) };
  await state.execute('commit-snapshot-insert', ctx, i.params, tx);
}

export async function dropRunTables(state: StateSql, runId: string): Promise<void> {
  const { members, changes } = runTables(state, runId);
  await state.execute('drop-table', { table: changes });
  await state.execute('drop-table', { table: members });
}
