import type { WarehouseDriver } from '../warehouse/driver';
import type { StateSql } from './state-sql';

/** One acknowledged batch. */
export interface LedgerEntry {
  batchId: string;
  kind: 'add' | 'remove';
  seq: number;
  rowCount: number;
  rejected: number;
}

export interface Rejection {
  personId: string;
  reason: string;
}

/** Deterministic id of a batch: the same run, kind and sequence always name the same rows. */
export function batchId(runId: string, kind: 'add' | 'remove', seq: number): string {
  return `${runId}/${kind}/${seq}`;
}

/** Every batch of a run the destination has acknowledged. */
export async function acknowledgedBatches(state: StateSql, runId: string): Promise<LedgerEntry[]> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('batch-select', { runId: b.bind(runId) }, b.params);
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
export async function recordBatch(
  state: StateSql,
  entry: LedgerEntry & { runId: string; now: Date },
  rejections: readonly Rejection[],
): Promise<void> {
  // Without rejections the ledger row is one statement: no explicit transaction needed.
  const write = rejections.length === 0 ? (fn: (tx: WarehouseDriver) => Promise<void>) => fn(state.warehouse) : state.warehouse.transaction.bind(state.warehouse);
  await write(async (tx: WarehouseDriver) => {
    for (let i = 0; i < rejections.length; i += REJECTIONS_PER_INSERT) {
      const b = state.binder();
      const rows = rejections.slice(i, i + REJECTIONS_PER_INSERT).map((r) => ({
        runId: b.bind(entry.runId),
        batchId: b.bind(entry.batchId),
        kind: b.bind(entry.kind),
        personId: b.bind(r.personId),
        reason: b.bind(r.reason),
      }));
      await state.execute('rejections-insert', { rows }, b.params, tx);
    }
    const b = state.binder();
    const ctx = {
      runId: b.bind(entry.runId),
      batchId: b.bind(entry.batchId),
      kind: b.bind(entry.kind),
      seq: b.bind(entry.seq),
      rowCount: b.bind(entry.rowCount),
      rejected: b.bind(entry.rejected),
      now: b.bind(entry.now),
    };
    await state.execute('batch-insert', ctx, b.params, tx);
  });
}

/** Rejected rows of a run, counted by reason (for the run report). */
export async function rejectionReasons(state: StateSql, runId: string): Promise<{ reason: string; count: number }[]> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('rejections-select', { runId: b.bind(runId) }, b.params);
  return rows.map((r) => ({ reason: String(r.reason), count: Number(r.n) }));
}
