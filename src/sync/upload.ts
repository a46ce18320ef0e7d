import type { IdentifierKind } from '../config/schema';
import { batchId, type LedgerEntry, type Rejection, recordBatch } from '../state/run-tables';
import { type ChangeKind, readChanges } from '../state/run-tables';
import type { StateSql } from '../state/state-sql';
import type { AudienceRef, Destination, MemberRow } from '../destinations/contract';
import { Mutex, runLanes } from './lanes';
import type { UploadSummary } from './orchestrate';
import { RateGate, type RetryPolicy, withRetry } from './retry';

/** Progress of one side of an upload, for progress bars. */
export interface UploadProgress {
  runId: string;
  kind: ChangeKind;
  /** Rows done (sent or skipped as already acknowledged). */
  done: number;
  total: number;
}

export interface UploadInput {
  state: StateSql;
  runId: string;
  kind: ChangeKind;
  kinds: readonly IdentifierKind[];
  /** Rows on this side of the diff. */
  total: number;
  /** Rows per batch, fixed for the run so batch ids name the same rows on resume. */
  batchSize: number;
  /** Batches of this run the destination already acknowledged. */
  acknowledged: readonly LedgerEntry[];
  destination: Destination;
  audience: AudienceRef;
  clock: () => Date;
  sleep: (ms: number) => Promise<void>;
  retry?: RetryPolicy;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  onProgress?: (p: UploadProgress) => void;
  /** Called between batches; the run uses it to renew its lock's lease. */
  heartbeat?: () => Promise<void>;
}

/**
 * Sends one side of a run's diff: reads it out of the warehouse a batch at a time (by sequence
 * range, so nothing but the diff leaves the warehouse and a resumed run reads only what is left),
 * sends batches with at most `destination.concurrency` in flight and the next one read ahead
 * (runLanes), retries per `withRetry`, and records each acknowledged batch in the ledger before
 * counting it done. A failing batch stops new batches from starting; batches already in flight
 * finish and are recorded.
 */
export async function uploadDiff(input: UploadInput): Promise<UploadSummary> {
  const { state, runId, kind, destination } = input;
  const batches = Math.ceil(input.total / input.batchSize);
  const done = new Map(input.acknowledged.filter((e) => e.kind === kind).map((e) => [e.seq, e]));
  const summary: UploadSummary = { kind, batches: 0, skippedBatches: 0, sent: 0, rejected: 0 };
  let progress = 0;
  for (const entry of done.values()) {
    summary.skippedBatches++;
    summary.rejected += entry.rejected;
    progress += entry.rowCount;
  }
  input.onProgress?.({ runId, kind, done: progress, total: input.total });

  // Serialises warehouse calls: one connection, many batches in flight.
  const db = new Mutex();
  const gate = new RateGate(() => input.clock().getTime(), input.sleep);

  const send = async (seq: number, rows: MemberRow[]) => {
    if (input.heartbeat) await db.run(input.heartbeat);
    const id = batchId(runId, kind, seq);
    const results = await withRetry(
      () =>
        kind === 'add'
          ? destination.addMembers(input.audience, rows, { batchId: id })
          : destination.removeMembers(input.audience, rows, { batchId: id }),
      {
        sleep: input.sleep,
        gate,
        ...(input.retry ? { policy: input.retry } : {}),
        onRetry: (err, attempt, delayMs) => input.log?.('batch_retry', { batchId: id, kind: err.kind, code: err.code, attempt, delayMs }),
      },
    );
    const rejections: Rejection[] = [];
    for (const r of results) if (!r.ok) rejections.push({ personId: r.personId, reason: r.reason });
    await db.run(() =>
      recordBatch(state, { runId, batchId: id, kind, seq, rowCount: rows.length, rejected: rejections.length, now: input.clock() }, rejections),
    );
    input.log?.('batch_acknowledged', { batchId: id, rows: rows.length, rejected: rejections.length });
    summary.batches++;
    summary.sent += rows.length;
    summary.rejected += rejections.length;
    progress += rows.length;
    input.onProgress?.({ runId, kind, done: progress, total: input.total });
  };

  const seqs: number[] = [];
  for (let seq = 0; seq < batches; seq++) if (!done.has(seq)) seqs.push(seq);
  await runLanes({
    seqs,
    lanes: destination.concurrency,
    read: (seq) => db.run(() => readChanges(state, runId, input.kinds, kind, seq * input.batchSize, (seq + 1) * input.batchSize)),
    send,
  });
  return summary;
}
