import { randomBytes } from 'node:crypto';
import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, FakeServerBase, isLowerHexHash, isRecord } from './fake-server';
import { hmacSha1Signature, parseOAuthHeader, sameSignature, signatureBaseString } from './oauth1-signature';
import { e164, SandboxAudience, sha256Hex, trimLower } from './sandbox-audience';

/**
 * Contract fake of X (Twitter) Ads custom audiences (Ads API 12), written from the reference's §10
 * (X's Audience API docs, its rate-limiting page and the Ads SDKs' audience properties):
 *
 * - OAuth 1.0a user context on every call: the HMAC-SHA1 signature of RFC 5849 is recomputed from
 *   the method, the URL, the query, the form body and the `oauth_*` parameters, with the app's
 *   consumer secret and the user's token secret; a wrong signature, consumer key or token, a
 *   timestamp more than 5 minutes off, a reused nonce or a revoked token gets 401
 *   UNAUTHORIZED_ACCESS; another ad account 403;
 * - the version in the path, `/12/...` (another is 404);
 * - `POST /12/accounts/{id}/custom_audiences` with `name` (and `description`) as query or form
 *   parameters; `GET` of the same path (list) and of `.../custom_audiences/{id}` with
 *   `audience_size`, `targetable`, `targetable_types` and `reasons_not_targetable`;
 * - `POST .../custom_audiences/{id}/users` with `Content-Type: application/json` and an array of
 *   at most 2,500 `{operation_type: Update | Delete, params: {users: [...], effective_at?,
 *   expires_at?}}` operations in at most 5,000,000 bytes; user keys `email`, `device_id`,
 *   `handle`, `twitter_id`, `phone_number`, `ip_address` (arrays of 64-hex lowercase SHA-256) and
 *   `partner_user_id` (plain). The batch succeeds or fails as a group: one bad operation gives 400
 *   with `operation_errors` indexed like the request and nothing applied. Success answers
 *   `data.success_count` and `data.total_count` (user objects);
 * - x-rate-limit-limit / -remaining / -reset on every users reply (1,500 per 1-minute window),
 *   429 TOO_MANY_REQUESTS past it or when a throttle is injected.
 *
 * Members are `<key>=<value>` cells, e.g. `email=<hex>`, `partner_user_id=<id>`.
 */

export const X_API_VERSION = '12';
export const X_MAX_OPERATIONS = 2_500;
export const X_MAX_BODY_BYTES = 5_000_000;
/** Requests per 1-minute window on the users endpoint (reference §10, [D]). */
export const X_USERS_RATE_LIMIT = 1_500;
/** Matched users active in the past 90 days an audience needs to be targetable (reference §10, [D]). */
export const X_MIN_AUDIENCE = 100;
/** How far an `oauth_timestamp` may be from the fake's clock. */
const TIMESTAMP_WINDOW_S = 300;
const HASHED_KEYS = ['email', 'device_id', 'handle', 'twitter_id', 'phone_number', 'ip_address'] as const;
const USER_KEYS: readonly string[] = [...HASHED_KEYS, 'partner_user_id'];

export type XIdentifierKind = Extract<IdentifierKind, 'email' | 'phone' | 'mobileAdId' | 'externalId'>;

/**
 * The cell X keeps for one raw value (reference §10, §1.2): email trimmed and lowercased; mobile
 * ad id (IDFA or AdID) trimmed and lowercased with its dashes; phone in E.164 with `+` (X's
 * wording was not retrieved: unconfirmed); each SHA-256 hashed. `externalId` is X's
 * `partner_user_id`, sent plain (trimmed).
 */
export function normaliseX(kind: XIdentifierKind, raw: string, context: { countryCode?: string } = {}): string | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  switch (kind) {
    case 'email':
      return `email=${sha256Hex(trimLower(value))}`;
    case 'mobileAdId':
      return `device_id=${sha256Hex(value.toLowerCase())}`;
    case 'phone': {
      const phone = e164(value, context.countryCode);
      return phone ? `phone_number=${sha256Hex(phone)}` : undefined;
    }
    case 'externalId':
      return `partner_user_id=${value}`;
  }
}

/** X's handle rule (reference §10): no `@`, lowercase, trimmed; then SHA-256. */
export function normaliseXHandle(raw: string): string {
  return `handle=${sha256Hex(trimLower(raw).replace(/^@/, ''))}`;
}

export interface XCredentials {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessTokenSecret: string;
}

export interface XFakeOptions extends Partial<XCredentials> {
  accountId?: string;
  /** Versions answered (default ['12']). */
  activeVersions?: string[];
  /** Reads of an audience after a change that still show it processing (default 1). */
  readsUntilProcessed?: number;
}

interface CustomAudience {
  audience: SandboxAudience;
  description: string;
}

function xError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): FakeReply {
  return { status, body: { errors: [{ code, message }], request: { params: {} }, ...extra } };
}

/** An id in X's style: lowercase base-36. */
function xId(): string {
  return BigInt(`0x${randomBytes(5).toString('hex')}`).toString(36);
}

export class XFake extends FakeServerBase {
  readonly accountId: string;
  readonly credentials: XCredentials;
  readonly activeVersions: ReadonlySet<string>;
  readsUntilProcessed: number;
  readonly customAudiences = new Map<string, CustomAudience>();
  /** Every users request: operations, user objects, bytes and whether it was applied. */
  readonly uploads: { audienceId: string; operations: number; users: number; bytes: number; applied: boolean }[] = [];
  /** Set to n: the next successful users request leaves its last n user objects unprocessed and says so in success_count. */
  dropUsersOnNextUpload = 0;
  #revoked = false;
  readonly #nonces = new Set<string>();
  #window = { start: 0, used: 0 };

  constructor(options: XFakeOptions = {}) {
    super();
    this.accountId = options.accountId ?? '18ce54sandbox';
    this.credentials = {
      consumerKey: options.consumerKey ?? 'sandbox-x-consumer-key',
      consumerSecret: options.consumerSecret ?? 'sandbox-x-consumer-secret',
      accessToken: options.accessToken ?? '1000000000000000001-sandboxXaccessToken',
      accessTokenSecret: options.accessTokenSecret ?? 'sandbox-x-access-token-secret',
    };
    this.activeVersions = new Set(options.activeVersions ?? [X_API_VERSION]);
    this.readsUntilProcessed = options.readsUntilProcessed ?? 1;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { accountId: this.accountId, ...this.credentials, apiVersion: X_API_VERSION, apiBaseUrl: this.url, ...extra };
  }

  /** The cell X keeps for a raw value (see `normaliseX`). */
  static expectedKey(kind: XIdentifierKind, raw: string, context: { countryCode?: string } = {}): string | undefined {
    return normaliseX(kind, raw, context);
  }

  /** The user revokes the app: the access token stops working. */
  revokeToken(): void {
    this.#revoked = true;
  }

  customAudiencesNamed(name: string): CustomAudience[] {
    return [...this.customAudiences.values()].filter((a) => a.audience.name === name);
  }

  /** The audience's member cells (a copy). */
  members(audienceId: string): Set<string> {
    return new Set(this.customAudiences.get(audienceId)?.audience.members);
  }

  protected override throttleReply(fault: Fault): FakeReply {
    const reset = Math.ceil((Date.now() + (fault.retryAfterMs ?? 60_000)) / 1000);
    return { ...xError(429, 'TOO_MANY_REQUESTS', 'Rate limit exceeded'), headers: this.#rateHeaders(0, reset) };
  }

  protected override handle(req: FakeRequest): FakeReply {
    const denied = this.#authenticate(req);
    if (denied) return denied;
    const m = /^\/([^/]+)\/accounts\/([^/]+)\/custom_audiences(?:\/([^/]+))?(\/users)?$/.exec(req.path);
    if (!m || !this.activeVersions.has(m[1] as string)) return xError(404, 'ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`);
    if (m[2] !== this.accountId) return xError(403, 'UNAUTHORIZED_ACCOUNT_ACCESS', 'The user is not authorized to access this account');
    const id = m[3];
    if (id === undefined) {
      if (req.method === 'POST') return this.#create(req);
      if (req.method === 'GET') return { status: 200, body: { request: { params: { account_id: this.accountId } }, data: [...this.customAudiences.values()].map((a) => this.#view(a, false)) } };
    }
    const audience = id === undefined ? undefined : this.customAudiences.get(id);
    if (!audience) return xError(404, 'NOT_FOUND', `Custom audience ${String(id)} not found`);
    if (!m[4] && req.method === 'GET') return { status: 200, body: { request: { params: { account_id: this.accountId, custom_audience_id: id } }, data: this.#view(audience, true) } };
    if (m[4] && req.method === 'POST') return this.#users(audience, req);
    return xError(404, 'ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`);
  }

  /** Verifies the OAuth 1.0a signature (RFC 5849) of a request, or says why not. */
  #authenticate(req: FakeRequest): FakeReply | undefined {
    const unauthorized = (why: string) => xError(401, 'UNAUTHORIZED_ACCESS', `This request is not properly authenticated: ${why}`);
    const oauth = parseOAuthHeader(req.headers.authorization);
    if (!oauth) return unauthorized('an OAuth 1.0a Authorization header is required');
    const { oauth_consumer_key: key, oauth_token: token, oauth_signature: signature, oauth_signature_method: method, oauth_timestamp: ts, oauth_nonce: nonce } = oauth;
    if (method !== 'HMAC-SHA1') return unauthorized('oauth_signature_method must be HMAC-SHA1');
    if (oauth.oauth_version !== undefined && oauth.oauth_version !== '1.0') return unauthorized('oauth_version must be 1.0');
    if (!key || !token || !signature || !ts || !nonce) return unauthorized('oauth_consumer_key, oauth_token, oauth_timestamp, oauth_nonce and oauth_signature are required');
    if (key !== this.credentials.consumerKey) return unauthorized('unknown consumer key');
    if (token !== this.credentials.accessToken) return unauthorized('unknown access token');
    if (this.#revoked) return unauthorized('the access token was revoked');
    if (!/^\d+$/.test(ts) || Math.abs(Number(ts) - Date.now() / 1000) > TIMESTAMP_WINDOW_S) return unauthorized('oauth_timestamp is too far from the current time');
    const params: [string, string][] = [];
    for (const [k, v] of Object.entries(oauth)) if (k !== 'oauth_signature' && k !== 'realm') params.push([k, v]);
    for (const [k, v] of req.query) params.push([k, v]);
    // A form body's parameters are signed too (§3.4.1.3.1); a JSON body is not.
    if (req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') && isRecord(req.body))
      for (const [k, v] of Object.entries(req.body)) params.push([k, String(v)]);
    const host = String(req.headers.host ?? '').toLowerCase();
    const base = signatureBaseString(req.method, `http://${host.replace(/:80$/, '')}${req.path}`, params);
    if (!sameSignature(hmacSha1Signature(base, this.credentials.consumerSecret, this.credentials.accessTokenSecret), signature)) return unauthorized('the signature does not match');
    const seen = `${ts}:${nonce}`;
    if (this.#nonces.has(seen)) return unauthorized('the nonce was already used');
    this.#nonces.add(seen);
    return undefined;
  }

  #create(req: FakeRequest): FakeReply {
    const form = isRecord(req.body) && req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? req.body : {};
    const name = req.query.get('name') ?? form.name;
    const description = req.query.get('description') ?? form.description;
    if (typeof name !== 'string' || name.trim() === '') return xError(400, 'MISSING_PARAMETER', '"name" is a required parameter');
    const id = xId();
    const a: CustomAudience = { audience: new SandboxAudience(id, name), description: typeof description === 'string' ? description : '' };
    this.customAudiences.set(id, a);
    return { status: 200, body: { request: { params: { account_id: this.accountId, name } }, data: this.#view(a, false) } };
  }

  /** An audience as the API shows it; `read` counts as a read-back of its processing. */
  #view(a: CustomAudience, read: boolean): Record<string, unknown> {
    const processing = read ? a.audience.observe() : a.audience.processing;
    const figures = a.audience.processed;
    const reasons = !figures ? ['PROCESSING'] : figures.matched < X_MIN_AUDIENCE ? ['TOO_SMALL'] : [];
    return {
      id: a.audience.id,
      name: a.audience.name,
      description: a.description,
      audience_type: 'CRM',
      audience_size: figures ? figures.matched : null,
      targetable: reasons.length === 0,
      targetable_types: reasons.length === 0 ? ['CRM', 'EXCLUDED_CRM'] : [],
      reasons_not_targetable: reasons,
      partner_source: 'OTHER',
      deleted: false,
      // While a later change is processed the audience stays as it was (reference §10).
      processing,
      created_at: a.audience.createdAt.toISOString(),
      updated_at: a.audience.updatedAt.toISOString(),
    };
  }

  #rateHeaders(remaining: number, reset: number): Record<string, string> {
    return { 'x-rate-limit-limit': String(X_USERS_RATE_LIMIT), 'x-rate-limit-remaining': String(remaining), 'x-rate-limit-reset': String(reset) };
  }

  #users(a: CustomAudience, req: FakeRequest): FakeReply {
    const now = Date.now();
    if (now - this.#window.start >= 60_000) this.#window = { start: now, used: 0 };
    const reset = Math.ceil((this.#window.start + 60_000) / 1000);
    if (this.#window.used >= X_USERS_RATE_LIMIT) return { ...xError(429, 'TOO_MANY_REQUESTS', 'Rate limit exceeded'), headers: this.#rateHeaders(0, reset) };
    this.#window.used++;
    const headers = this.#rateHeaders(X_USERS_RATE_LIMIT - this.#window.used, reset);
    const fail = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) => ({ ...xError(status, code, message, extra), headers });
    if (!req.headers['content-type']?.startsWith('application/json')) return fail(400, 'INVALID_PARAMETER', 'Content-Type must be application/json');
    const bytes = Number(req.headers['content-length'] ?? req.rawLength);
    if (bytes > X_MAX_BODY_BYTES) return fail(413, 'REQUEST_ENTITY_TOO_LARGE', `The body is ${bytes} bytes; at most ${X_MAX_BODY_BYTES}`);
    const ops = req.body;
    if (!Array.isArray(ops) || ops.length === 0) return fail(400, 'INVALID_PARAMETER', 'The body must be a non-empty array of operations');
    if (ops.length > X_MAX_OPERATIONS) return fail(400, 'INVALID_PARAMETER', `At most ${X_MAX_OPERATIONS} operations per request; got ${ops.length}`);
    const errors = ops.map(operationErrors);
    const users = ops.reduce((n: number, op) => n + (isRecord(op) && isRecord(op.params) && Array.isArray(op.params.users) ? op.params.users.length : 0), 0);
    if (errors.some((e) => e.length > 0)) {
      this.uploads.push({ audienceId: a.audience.id, operations: ops.length, users, bytes, applied: false });
      return fail(400, 'INVALID_PARAMETER', 'One or more operations are invalid; none was applied', { operation_errors: errors });
    }
    const skip = Math.min(this.dropUsersOnNextUpload, users);
    this.dropUsersOnNextUpload = 0;
    const processed = users - skip;
    let seen = 0;
    const members = a.audience.members;
    for (const op of ops as { operation_type: string; params: { users: Record<string, string[]>[] } }[]) {
      for (const user of op.params.users) {
        if (seen++ >= processed) continue;
        for (const [k, values] of Object.entries(user))
          for (const v of values) {
            if (op.operation_type === 'Update') members.add(`${k}=${v}`);
            else members.delete(`${k}=${v}`);
          }
      }
    }
    this.uploads.push({ audienceId: a.audience.id, operations: ops.length, users, bytes, applied: true });
    a.audience.changed(this.readsUntilProcessed);
    return {
      status: 200,
      headers,
      body: { request: { params: { account_id: this.accountId, custom_audience_id: a.audience.id } }, data: { success_count: processed, total_count: users } },
    };
  }
}

/** What is wrong with one operation, as X's indexed `operation_errors` entries (never the values). */
function operationErrors(op: unknown): { code: string; message: string; parameter?: string }[] {
  const errors: { code: string; message: string; parameter?: string }[] = [];
  const err = (message: string, parameter?: string) => errors.push({ code: 'INVALID_PARAMETER', message, ...(parameter ? { parameter } : {}) });
  if (!isRecord(op)) return [{ code: 'INVALID_PARAMETER', message: 'An operation must be an object' }];
  if (op.operation_type !== 'Update' && op.operation_type !== 'Delete') err('operation_type must be Update or Delete', 'operation_type');
  const params = isRecord(op.params) ? op.params : undefined;
  if (!params) return [...errors, { code: 'MISSING_PARAMETER', message: 'params is required', parameter: 'params' }];
  for (const field of ['effective_at', 'expires_at'] as const)
    if (params[field] !== undefined && (typeof params[field] !== 'string' || Number.isNaN(Date.parse(params[field])))) err(`${field} must be an ISO-8601 time`, field);
  if (!Array.isArray(params.users) || params.users.length === 0) {
    err('users must be a non-empty array', 'users');
    return errors;
  }
  for (const [i, user] of params.users.entries()) {
    if (!isRecord(user) || Object.keys(user).length === 0) {
      err('a user needs at least one identifier', `users[${i}]`);
      continue;
    }
    for (const [key, values] of Object.entries(user)) {
      const at = `users[${i}].${key}`;
      if (!USER_KEYS.includes(key)) err(`unknown user key ${key}`, at);
      else if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) err('must be a non-empty array of strings', at);
      else if (key !== 'partner_user_id' && values.some((v) => !isLowerHexHash(v as string))) err('must be SHA-256 in lowercase hex', at);
    }
  }
  return errors;
}
