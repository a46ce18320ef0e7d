import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  type MemberRow,
  UserInputError,
} from '../../src/destinations/contract';
import { type Encoded, encodeSliced, packRows, type PackedRows } from './encode';
import { ENCODERS, type EncoderName } from './encoders';

/**
 * Worker threads that normalise, hash and serialise large requests, so the main thread is free
 * for HTTP while the next request is built: hashing is most of an upload's CPU, and with it on the
 * main thread replies wait their turn behind it. Small calls, and every call when `threads` is 0,
 * are encoded on the main thread in slices. The result is the same either way: both run the
 * encoders of encoders.ts.
 *
 * A worker that fails (it could not start, or crashed) is dropped and its calls are encoded on
 * the main thread instead; encoding is pure, so nothing is lost or sent twice.
 *
 * @example
 * const pool = EncodePool.shared();
 * const { payload, sent, rejected } = await pool.encode('meta_users', rows, 0, rows.length);
 */

export interface EncodePoolOptions {
  /** Worker threads; 0 encodes everything on the main thread. */
  threads: number;
  /** Calls with fewer rows are encoded on the main thread: handing them over costs more than it saves. */
  minRows?: number;
  /** Told when a thread fails (its error message only, never rows); default a process warning. */
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

/** Below this many rows a call is encoded on the main thread (a few milliseconds of work). */
export const DEFAULT_MIN_ROWS = 1_000;
/** Environment variable for the shared pool's thread count. */
export const THREADS_ENV = 'OUTFLOW_HASH_THREADS';

interface Job {
  name: EncoderName;
  rows: readonly MemberRow[];
  from: number;
  to: number;
  resolve(encoded: Encoded): void;
  reject(err: unknown): void;
}

type Reply = { id: number; error: string } | { id: number; memory: ArrayBuffer | null; length: number; sent: number; rejected: [number, string][] };

interface Thread {
  worker: Worker;
  pending: Map<number, Job>;
}

export class EncodePool {
  static #shared: EncodePool | undefined;

  /** The process's pool: `OUTFLOW_HASH_THREADS` threads, by default one less than the CPUs (at most 4). */
  static shared(): EncodePool {
    return (EncodePool.#shared ??= new EncodePool({ threads: threadsFromEnv(process.env[THREADS_ENV]) }));
  }

  readonly threads: number;
  readonly minRows: number;
  readonly #log: EncodePoolOptions['log'];
  readonly #running: Thread[] = [];
  #started = 0;
  #closed = false;
  #nextId = 1;

  constructor(options: EncodePoolOptions) {
    this.threads = options.threads;
    this.minRows = options.minRows ?? DEFAULT_MIN_ROWS;
    this.#log = options.log;
  }

  /** Threads started so far (a failed one included). */
  get started(): number {
    return this.#started;
  }

  /** Encodes rows `from..to` with the named encoder; `rejected` indices count from `from`. */
  encode(name: EncoderName, rows: readonly MemberRow[], from: number, to: number): Promise<Encoded> {
    const thread = to - from >= this.minRows ? this.#pick() : undefined;
    if (!thread) return encodeSliced(ENCODERS[name], rows, from, to);
    return new Promise<Encoded>((resolve, reject) => {
      const id = this.#nextId++;
      const packed: PackedRows = packRows(rows, from, to);
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { name, rows, from, to, resolve, reject });
      thread.worker.postMessage({ id, name, packed });
    });
  }

  /** Stops the threads; calls still running finish on the main thread. */
  async close(): Promise<void> {
    const threads = this.#running.splice(0);
    this.#closed = true;
    await Promise.all(threads.map((t) => t.worker.terminate()));
    for (const t of threads) this.#rescue(t);
  }

  /** The thread with the fewest calls waiting, starting threads up to `threads` as needed. */
  #pick(): Thread | undefined {
    let best: Thread | undefined;
    for (const t of this.#running) if (!best || t.pending.size < best.pending.size) best = t;
    if ((!best || best.pending.size > 0) && this.#started < this.threads && !this.#closed) best = this.#start();
    return best;
  }

  #start(): Thread {
    this.#started++;
    const worker = new Worker(new URL('./encode-worker.mjs', import.meta.url));
    // An idle thread never keeps the process alive; one with work does (see encode()).
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    this.#running.push(thread);
    worker.on('message', (reply: Reply) => this.#settle(thread, reply));
    worker.on('error', (err) => this.#failed(err));
    worker.on('exit', () => {
      const i = this.#running.indexOf(thread);
      if (i >= 0) this.#running.splice(i, 1);
      this.#rescue(thread);
    });
    return thread;
  }

  #failed(err: Error): void {
    if (this.#log) this.#log('hash_thread_failed', { message: err.message });
    else process.emitWarning(`a hashing thread failed (${err.message}); its work is done on the main thread`, { code: 'OUTFLOW_HASH_THREAD' });
  }

  #settle(thread: Thread, reply: Reply): void {
    const job = thread.pending.get(reply.id);
    if (!job) return;
    thread.pending.delete(reply.id);
    if (thread.pending.size === 0) thread.worker.unref();
    if ('error' in reply) job.reject(new Error(`encoding rows failed: ${reply.error}`));
    else
      job.resolve({
        payload: reply.memory ? Buffer.from(reply.memory, 0, reply.length) : Buffer.alloc(0),
        sent: reply.sent,
        rejected: reply.rejected,
      });
  }

  /** Encodes a stopped thread's unfinished calls on the main thread. */
  #rescue(thread: Thread): void {
    const jobs = [...thread.pending.values()];
    thread.pending.clear();
    for (const job of jobs) encodeSliced(ENCODERS[job.name], job.rows, job.from, job.to).then(job.resolve, job.reject);
  }
}

/** Thread count from `OUTFLOW_HASH_THREADS`, or one less than the CPUs (at most 4) when unset. */
export function threadsFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return Math.max(0, Math.min(4, availableParallelism() - 1));
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new UserInputError([{ path: THREADS_ENV, message: `expected a whole number from 0 to 64, got "${value}"` }]);
  return n;
}
