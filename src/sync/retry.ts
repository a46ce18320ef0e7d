import { DestinationError } from '../destinations/contract';

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
