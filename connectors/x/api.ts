import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { DestinationError } from '../../src/destinations/contract';
import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, type HttpRequest, retryAfterMs } from '../shared/http';

/**
 * Thin client of the X Ads API (version 12) for custom audiences, every call signed with OAuth
 * 1.0a in user context (HMAC-SHA1, by the `oauth-1.0a` library). Reference §10.
 * https://docs.x.com/x-ads-api/audiences
 */

export interface XApiOptions {
  apiBaseUrl: string;
  apiVersion: string;
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessTokenSecret: string;
  timeoutMs: number;
  label: string;
  fetch?: typeof fetch | undefined;
}

export interface XAudienceView {
  id: string;
  name: string;
  audienceSize?: unknown;
  targetable?: unknown;
  reasonsNotTargetable?: unknown;
}

/** One user of an operation: keys as X names them, each an array of values. */
export type XUser = Partial<Record<'email' | 'device_id' | 'partner_user_id', string[]>>;

export interface XOperation {
  operation_type: 'Update' | 'Delete';
  params: { users: XUser[] };
}

/**
 * X answers `{errors: [{code, message}]}`: 401 UNAUTHORIZED_ACCESS (bad signature or revoked
 * token), 403 UNAUTHORIZED_ACCOUNT_ACCESS, 429 TOO_MANY_REQUESTS, 413 for a body over 5,000,000
 * bytes, 400 INVALID_PARAMETER with `operation_errors`.
 */
export const X_ERRORS: ErrorCodes = {
  rateLimited: ['TOO_MANY_REQUESTS'],
  invalidAuth: ['UNAUTHORIZED_ACCESS', 'UNAUTHORIZED_ACCOUNT_ACCESS'],
  authHint: 'the access token is revoked or the signature was refused, or the user has no access to the ads account; reconnect the destination',
};

/** X's wait: `x-rate-limit-reset` is the epoch second the window resets; else Retry-After. */
export function xRetryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const reset = headers.get('x-rate-limit-reset');
  if (reset !== null && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset) * 1000 - now);
  return retryAfterMs(headers, now);
}

export class XApi {
  readonly #client: PlatformClient;
  readonly #prefix: string;
  readonly #label: string;

  constructor(o: XApiOptions) {
    const oauth = new OAuth({
      consumer: { key: o.consumerKey, secret: o.consumerSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    });
    const token = { key: o.accessToken, secret: o.accessTokenSecret };
    const base = o.apiBaseUrl.replace(/\/+$/, '');
    this.#prefix = `/${o.apiVersion}`;
    this.#label = o.label;
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: X_ERRORS,
      fetch: o.fetch,
      // A fresh nonce and timestamp per send (a retry is a new request); a JSON body is not signed.
      headers: async (_refreshed, req: HttpRequest) => {
        const url = new URL(base + req.path);
        for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
        return { authorization: oauth.toHeader(oauth.authorize({ url: url.toString(), method: req.method }, token)).Authorization };
      },
      // A 400 with indexed operation_errors is answered to `users`, which reads the users it names.
      failure: (res) => (operationErrorsOf(res.body) ? undefined : statusFailure(res, errorCode, xRetryAfterMs(res.headers))),
    });
  }

  /** A page of the account's custom audiences; `cursor` from the previous page. */
  async customAudiences(accountId: string, count: number, cursor?: string): Promise<{ items: XAudienceView[]; next?: string }> {
    const res = await this.#client.call({
      method: 'GET',
      path: `${this.#prefix}/accounts/${accountId}/custom_audiences`,
      query: { count: String(count), ...(cursor ? { cursor } : {}) },
    });
    const body = asRecord(res.body);
    const items = (Array.isArray(body?.data) ? body.data : []).map(audienceOf).filter((a): a is XAudienceView => a !== undefined);
    return { items, ...(typeof body?.next_cursor === 'string' && body.next_cursor !== '' ? { next: body.next_cursor } : {}) };
  }

  async customAudience(accountId: string, id: string): Promise<XAudienceView | undefined> {
    const res = await this.#client.call({ method: 'GET', path: `${this.#prefix}/accounts/${accountId}/custom_audiences/${id}` });
    return audienceOf(asRecord(res.body)?.data);
  }

  async create(accountId: string, name: string, description: string): Promise<XAudienceView | undefined> {
    const res = await this.#client.call({
      method: 'POST',
      path: `${this.#prefix}/accounts/${accountId}/custom_audiences`,
      query: { name, ...(description ? { description } : {}) },
    });
    return audienceOf(asRecord(res.body)?.data);
  }

  /**
   * Sends operations (JSON, all or nothing). X's counts must match what was sent: when they do
   * not, the batch is treated as failed and retried (reference §10), Update and Delete being
   * idempotent.
   */
  async users(accountId: string, id: string, body: Buffer, users: number, usersPerOperation: number, signal?: AbortSignal): Promise<ReadonlyMap<number, string> | undefined> {
    const path = `${this.#prefix}/accounts/${accountId}/custom_audiences/${id}/users`;
    const res = await this.#client.call({ method: 'POST', path, body, ...(signal ? { signal } : {}) });
    const opErrors = operationErrorsOf(res.body);
    if (opErrors) return rejectedUsers(opErrors, usersPerOperation, `${this.#label}: POST ${path}`);
    const data = asRecord(asRecord(res.body)?.data);
    if (data?.success_count !== users || data.total_count !== users)
      throw new DestinationError('retryable', `${this.#label}: POST ${path}: X processed ${String(data?.success_count)} of ${users} users; the batch is sent again`, { code: 'PARTIAL_SUCCESS' });
    return undefined;
  }
}

function operationErrorsOf(body: unknown): unknown[] | undefined {
  const errors = asRecord(body)?.operation_errors;
  return Array.isArray(errors) && errors.some((e) => Array.isArray(e) && e.length > 0) ? errors : undefined;
}

/**
 * The users X refused, by index in the request (operation index × users per operation + the
 * user's index in `users[i]`), each with the code and the key it named, never the value. An error
 * that names no user fails the request as a whole.
 */
function rejectedUsers(errors: unknown[], usersPerOperation: number, where: string): Map<number, string> {
  const out = new Map<number, string>();
  errors.forEach((list, op) => {
    for (const e of Array.isArray(list) ? list : []) {
      const err = asRecord(e);
      const m = /^users\[(\d+)\](?:\.([a-z_]+))?/.exec(typeof err?.parameter === 'string' ? err.parameter : '');
      const code = typeof err?.code === 'string' ? err.code : 'INVALID_PARAMETER';
      if (!m) throw new DestinationError('invalid_payload', `${where}: X refused operation ${op} (${code})`, { code });
      out.set(op * usersPerOperation + Number(m[1]), `X rejected the user: ${code}${m[2] ? ` on ${m[2]}` : ''}`);
    }
  });
  return out;
}

function errorCode(body: unknown): string | undefined {
  const errors = asRecord(body)?.errors;
  const first = Array.isArray(errors) ? asRecord(errors[0]) : undefined;
  return typeof first?.code === 'string' ? first.code : undefined;
}

function audienceOf(value: unknown): XAudienceView | undefined {
  const a = asRecord(value);
  return a && typeof a.id === 'string' && typeof a.name === 'string'
    ? { id: a.id, name: a.name, audienceSize: a.audience_size, targetable: a.targetable, reasonsNotTargetable: a.reasons_not_targetable }
    : undefined;
}
