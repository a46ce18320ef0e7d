import { DestinationError } from '../../src/destinations/contract';

/**
 * The error taxonomy mapping every audience connector shares: a platform states which of its
 * error codes mean throttling, bad credentials or a passing fault, and `classifyFailure` maps a
 * failed reply by HTTP status and that code, never by message text.
 *
 * @example
 * const LINKEDIN_ERRORS: ErrorCodes = { invalidAuth: ['REVOKED_ACCESS_TOKEN'] };
 * throw classifyFailure({ status: 401, code: 'REVOKED_ACCESS_TOKEN' }, LINKEDIN_ERRORS, 'LinkedIn destination "li": GET /rest/dmpSegments');
 */

/** A platform's error codes by taxonomy kind; a code in no list falls back to the HTTP status. */
export interface ErrorCodes {
  rateLimited?: readonly (string | number)[];
  invalidAuth?: readonly (string | number)[];
  retryable?: readonly (string | number)[];
  invalidPayload?: readonly (string | number)[];
  /** Wait for a throttling code without a header saying how long (Microsoft documents 60 seconds). */
  rateLimitWaitMs?: number;
  /** Added to invalid_auth messages: what the user should do. */
  authHint?: string;
}

/** What a failed reply says, read out by the connector's client. */
export interface Failure {
  /** HTTP status (TikTok answers errors with 200 and a code). */
  status: number;
  /** The platform's error code, when the body carries one. */
  code?: string | number | undefined;
  /** The platform's finer code (Meta's error_subcode): reported as `code/subcode`, never matched. */
  subcode?: string | number | undefined;
  /** The platform marks the failure as passing (Meta's is_transient): retryable whatever the code. */
  transient?: boolean | undefined;
  /** From a Retry-After header or the platform's own retry hint. */
  retryAfterMs?: number | undefined;
}

const has = (list: readonly (string | number)[] | undefined, code: string | number | undefined) =>
  code !== undefined && list !== undefined && list.some((c) => String(c) === String(code));

/** Maps a failed reply to the taxonomy; `where` names the destination and call, and never holds secrets. */
export function classifyFailure(failure: Failure, codes: ErrorCodes, where: string): DestinationError {
  const { status, code } = failure;
  const reported = code !== undefined && failure.subcode !== undefined ? `${code}/${failure.subcode}` : code;
  const codeText = reported === undefined ? `HTTP ${status}` : `HTTP ${status}, code ${reported}`;
  const options = { code: reported ?? status };
  if (has(codes.invalidPayload, code)) return new DestinationError('invalid_payload', `${where}: rejected (${codeText})`, options);
  if (status === 429 || has(codes.rateLimited, code)) {
    const wait = failure.retryAfterMs ?? (has(codes.rateLimited, code) ? codes.rateLimitWaitMs : undefined);
    return new DestinationError('rate_limited', `${where}: rate limited (${codeText})`, { ...options, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
  }
  if (failure.transient || has(codes.retryable, code)) return new DestinationError('retryable', `${where}: temporary failure (${codeText})`, options);
  if (has(codes.invalidAuth, code) || status === 401 || status === 403)
    return new DestinationError('invalid_auth', `${where}: access denied (${codeText})${codes.authHint ? `; ${codes.authHint}` : ''}`, options);
  if (status >= 500 || status === 408) return new DestinationError('retryable', `${where}: temporary failure (${codeText})`, options);
  return new DestinationError('invalid_payload', `${where}: rejected (${codeText})`, options);
}

/** A network-level surprise (not a DestinationError) as a retryable one, so the engine's retry sees it. */
export function asDestinationError(err: unknown, where: string): DestinationError {
  if (err instanceof DestinationError) return err;
  return new DestinationError('retryable', `${where}: ${err instanceof Error ? err.name : 'failure'}`, { cause: err });
}
