import { ApplicationFailure } from '@temporalio/common';
import { UserInputError } from '../config/errors';
import { DestinationError, type DestinationErrorKind } from '../destinations/contract';

/**
 * The one place where the destination error taxonomy (DESIGN "Connectors") becomes Temporal
 * retry semantics:
 *
 * | kind              | Temporal                                                   |
 * | ----------------- | ---------------------------------------------------------- |
 * | `invalid_auth`    | non-retryable ApplicationFailure (retrying cannot fix it)  |
 * | `invalid_payload` | non-retryable ApplicationFailure                           |
 * | `rate_limited`    | retryable, `nextRetryDelay` = the platform's retry-after   |
 * | `retryable`       | retryable, the activity's exponential backoff              |
 *
 * ...unless the step already retried the call itself (`retriedInStep`: the upload, which retries
 * each batch): then every destination error is final, so attempts never multiply (docs/temporal.md
 * "Who retries a failed platform call").
 *
 * A UserInputError (unknown sync, bad settings) is non-retryable too: only a fixed workspace
 * file helps. Anything else is rethrown untouched: the SDK turns it into a retryable failure,
 * which is right for warehouse outages and bugs alike (the presets bound the attempts).
 */
export const FAILURE_TYPES: Record<DestinationErrorKind, string> = {
  retryable: 'DestinationRetryable',
  rate_limited: 'DestinationRateLimited',
  invalid_auth: 'DestinationInvalidAuth',
  invalid_payload: 'DestinationInvalidPayload',
};

/** Plain-data details attached to the failure, shown in the Temporal UI and the run report. */
export interface DestinationFailureDetails {
  kind: DestinationErrorKind;
  code?: string;
  retryAfterMs?: number;
}

/** Finds a DestinationError in `err` or its causes (the uploader may wrap the connector's error). */
export function findDestinationError(err: unknown): DestinationError | undefined {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    if (e instanceof DestinationError) return e;
    e = e.cause;
  }
  return undefined;
}

/** How a step treated destination errors before they reached its activity. */
export interface FailureOptions {
  /** The step retried each destination call itself (per its RetryPolicy): what is left is final. */
  retriedInStep?: boolean;
}

/** Maps `err` to the ApplicationFailure Temporal should see; non-destination errors pass through. */
export function toTemporalFailure(err: unknown, options: FailureOptions = {}): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof UserInputError) return ApplicationFailure.create({ message: err.message, type: 'UserInputError', nonRetryable: true, cause: err });
  const dest = findDestinationError(err);
  if (dest === undefined) return err;
  const details: DestinationFailureDetails = { kind: dest.kind };
  if (dest.code !== undefined) details.code = dest.code;
  if (dest.retryAfterMs !== undefined) details.retryAfterMs = dest.retryAfterMs;
  const nonRetryable = options.retriedInStep === true || !dest.retryable;
  return ApplicationFailure.create({
    message: dest.message,
    type: FAILURE_TYPES[dest.kind],
    nonRetryable,
    details: [details],
    // The platform said when to come back; waiting less only burns attempts on more 429s.
    ...(!nonRetryable && dest.kind === 'rate_limited' && dest.retryAfterMs !== undefined ? { nextRetryDelay: dest.retryAfterMs } : {}),
    cause: dest,
  });
}

/** Wraps an activity so every error leaves through `toTemporalFailure`. */
export function mapFailures<A extends unknown[], R>(fn: (...args: A) => Promise<R>, options: FailureOptions = {}): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toTemporalFailure(err, options);
    }
  };
}
