import { type AudienceRef, type Destination, DestinationError, type MemberRow } from '../destinations/contract';
import { batchId, type ChangeKind, type LedgerEntry, type Rejection, readSends, recordBatch } from '../state/run-tables';
import type { StateSql } from '../state/state-sql';
import type { UploadSummary } from './orchestrate';

/**
 * How changes reach a destination: one side of a run's diff read out of the warehouse a batch at a
 * time, batches sent in lanes with the next one read ahead, every destination call retried with
 * backoff under a rate gate the lanes share, and each acknowledged batch recorded in the ledger.
 */

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
  /** Rows on this side of what the run sends. */
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
  /** Once aborted, no batch is sent any more (nor retried): the upload ends with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Sends one side of what a run sends (rows of keys, in the destination's key space): reads it out
 * of the warehouse a batch at a time (by sequence range, so nothing but the changes leave the
 * warehouse and a resumed run reads only what is left),
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
    summary.sent += entry.rowCount;
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
    const ctx = { batchId: id, ...(input.signal ? { signal: input.signal } : {}) };
    const results = await withRetry(
      () => {
        input.signal?.throwIfAborted();
        return kind === 'add' ? destination.addMembers(input.audience, rows, ctx) : destination.removeMembers(input.audience, rows, ctx);
      },
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
    read: (seq) => db.run(() => readSends(state, runId, kind, seq * input.batchSize, (seq + 1) * input.batchSize)),
    send,
  });
  return summary;
}

/** How often and how patiently a destination call is retried. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** First backoff; it doubles per attempt (with full jitter) up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * A pause shared by every concurrent sender of one upload: when the platform says "slow down"
 * (`rate_limited` with retry-after), no worker sends again before that time.
 */
export class RateGate {
  #until = 0;

  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  holdFor(ms: number): void {
    this.#until = Math.max(this.#until, this.now() + ms);
  }

  async pass(): Promise<void> {
    const wait = this.#until - this.now();
    if (wait > 0) await this.sleep(wait);
  }
}

/**
 * Calls `fn` until it succeeds, retrying only `DestinationError`s that say retrying may help.
 * `rate_limited` waits what the platform asked for (through the shared gate); `invalid_auth`,
 * `invalid_payload` and unclassified errors fail at once.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  o: {
    policy?: RetryPolicy;
    sleep: (ms: number) => Promise<void>;
    gate?: RateGate;
    random?: () => number;
    onRetry?: (err: DestinationError, attempt: number, delayMs: number) => void;
  },
): Promise<T> {
  const policy = o.policy ?? DEFAULT_RETRY;
  const random = o.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    await o.gate?.pass();
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof DestinationError) || !err.retryable || attempt >= policy.maxAttempts) throw err;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      let delay = Math.round(backoff * random());
      if (err.kind === 'rate_limited' && err.retryAfterMs !== undefined) {
        delay = err.retryAfterMs;
        o.gate?.holdFor(delay);
      }
      o.onRetry?.(err, attempt, delay);
      if (!o.gate || err.kind !== 'rate_limited') await o.sleep(delay);
    }
  }
}

/**
 * How the uploader schedules batches: `lanes` batches in flight, each lane taking the next batch
 * when its last one is done, and the batch after those read ahead while they are being sent, so
 * a lane that finishes never waits for the warehouse before its next call. Memory: at most
 * `lanes + 1` batches of rows at once.
 *
 * A batch that fails stops new batches from starting; those in flight finish, then the first
 * failure is thrown.
 */
export interface LaneInput<Rows> {
  /** Batch sequence numbers to send, in order. */
  seqs: readonly number[];
  lanes: number;
  /** Reads a batch's rows (the reads are issued one at a time, in order). */
  read(seq: number): Promise<Rows>;
  send(seq: number, rows: Rows): Promise<void>;
}

export async function runLanes<Rows>(input: LaneInput<Rows>): Promise<void> {
  const { seqs } = input;
  let next = 0;
  let failure: unknown;
  let failed = false;
  // Whatever the lanes do, batches are read one at a time and in order.
  const reads = new Mutex();
  const read = (seq: number): Promise<Rows> => reads.run(() => input.read(seq));
  let ahead: { seq: number; rows: Promise<Rows> } | undefined;
  const take = (): { seq: number; rows: Promise<Rows> } | undefined => {
    if (next >= seqs.length) return undefined;
    const seq = seqs[next++] as number;
    const taken = ahead?.seq === seq ? ahead : { seq, rows: read(seq) };
    ahead = undefined;
    if (next < seqs.length) {
      const following = seqs[next] as number;
      ahead = { seq: following, rows: read(following) };
      // Observed when taken; a batch never taken (after a failure) must not be an unhandled rejection.
      ahead.rows.catch(() => {});
    }
    return taken;
  };
  const lane = async () => {
    while (!failed) {
      const batch = take();
      if (!batch) return;
      try {
        await input.send(batch.seq, await batch.rows);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.lanes, seqs.length)) }, lane));
  if (failed) throw failure;
}

/** Runs async calls one at a time, in the order they were made; a failed call does not stop the next. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
