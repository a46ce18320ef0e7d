import pLimit, { type LimitFunction } from 'p-limit';

/**
 * The request gate of one destination: at most `concurrency` platform calls in flight, first come
 * first served, whatever number of batches the sync engine has open. Keeps the highest number it
 * has let through at once, for tests and the benchmark.
 *
 * @example
 * const gate = new RequestGate(4);
 * const reply = await gate.run(() => api.post('/users', body));
 */
export class RequestGate {
  readonly concurrency: number;
  readonly #limit: LimitFunction;
  #inFlight = 0;
  peak = 0;

  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number >= 1, got ${concurrency}`);
    this.concurrency = concurrency;
    this.#limit = pLimit(concurrency);
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.#limit.pendingCount;
  }

  run<T>(call: () => Promise<T>): Promise<T> {
    return this.#limit(async () => {
      this.peak = Math.max(this.peak, ++this.#inFlight);
      try {
        return await call();
      } finally {
        this.#inFlight--;
      }
    });
  }
}
