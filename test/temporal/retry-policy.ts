import { ApplicationFailure } from '@temporalio/common';
import { msOptionalToNumber, msToNumber } from '@temporalio/common/lib/time';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityOptions } from '@temporalio/workflow';

const silent = { log: () => undefined, error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };

/** What Temporal did with one activity call: its attempts and the backoff it waited between them. */
export interface RetryRecord {
  attempts: number;
  waitedMs: number[];
}

/**
 * Runs an activity as a Temporal worker would under `options.retry`, without a server
 * (https://docs.temporal.io/encyclopedia/retry-policies): every attempt in its own activity
 * context; a non-retryable ApplicationFailure, a type in `nonRetryableErrorTypes` or the last of
 * `maximumAttempts` ends the call; the next attempt comes after the failure's `nextRetryDelay`, or
 * `initialInterval x backoffCoefficient^(n-1)` capped at `maximumInterval`. Waits are recorded,
 * not slept. (Timeouts are not emulated: the tests keep requests well inside them.)
 */
export function retriedByTemporal<A extends unknown[], R>(fn: (...args: A) => Promise<R>, options: ActivityOptions, record: RetryRecord): (...args: A) => Promise<R> {
  const policy = options.retry ?? {};
  const max = policy.maximumAttempts ?? 0;
  if (max === 0) throw new Error('an unbounded retry policy cannot be emulated');
  const initial = msOptionalToNumber(policy.initialInterval) ?? 1000;
  const cap = msOptionalToNumber(policy.maximumInterval) ?? initial * 100;
  return async (...args: A): Promise<R> => {
    for (let attempt = 1; ; attempt++) {
      record.attempts += 1;
      try {
        return await new MockActivityEnvironment({ attempt }, { logger: silent }).run(fn, ...args);
      } catch (err) {
        const failure = err instanceof ApplicationFailure ? err : undefined;
        const final = failure?.nonRetryable === true || (failure?.type != null && (policy.nonRetryableErrorTypes ?? []).includes(failure.type));
        if (final || attempt >= max) throw err;
        const next = failure?.nextRetryDelay != null ? msToNumber(failure.nextRetryDelay) : undefined;
        record.waitedMs.push(next ?? Math.min(cap, initial * (policy.backoffCoefficient ?? 2) ** (attempt - 1)));
      }
    }
  };
}
