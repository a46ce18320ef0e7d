import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, isLowerHexHash, isRecord } from './fake-server';
import { OAuthFakeBase, OAuthTokens, withBasicClient } from './oauth-tokens';
import { SandboxAudience, sha256Hex } from './sandbox-audience';

/**
 * Contract fake of Reddit Ads custom audiences (customer lists, Ads API v3), written from the
 * reference's §9 and §1.2. Reddit's own v3 reference was not retrievable; the shapes are those
 * third-party connectors use (Segment, Amperity, RudderStack):
 *
 * - OAuth2 refresh-token grant at `/api/v1/access_token` with the client in HTTP Basic; a
 *   `User-Agent` of the app's own on every call (missing, empty or a bare library default gets
 *   403); `Authorization: Bearer` on every API call, 401 `{error: {code, reason: UNAUTHORIZED}}`
 *   for a missing, unknown, expired or revoked token, 403 without `adsedit` (writes) or `adsread`
 *   (reads), or for another ad account;
 * - the version in the path, `/api/v3/...` (anything else is 404);
 * - `POST /api/v3/ad_accounts/{id}/custom_audiences` with `{"data": {"name", "type":
 *   "CUSTOMER_LIST"}}`, answering `data.id`; `GET /api/v3/custom_audiences/{id}`;
 * - `PATCH /api/v3/custom_audiences/{id}/users` with `{"data": {"action_type": "ADD" | "REMOVE",
 *   "column_order": [...EMAIL_SHA256, MAID_SHA256], "user_data": [[...], ...]}}`, at most 2,500
 *   rows; every cell 64-hex lowercase or empty, every row as long as `column_order` and with one
 *   value at least. A bad row fails the request (400 with `error.fields` naming it, nothing
 *   applied); success is 204 with no body;
 * - 429 `{error: {code: 429}}` with `x-ratelimit-used`, `-remaining` and `-reset` headers.
 *
 * Members are `<column>=<hex>` keys, e.g. `EMAIL_SHA256=<hex>`.
 */

export const REDDIT_PATHS = { token: '/api/v1/access_token', api: '/api/v3/' } as const;
/** Rows per request (reference §9, third-party). */
export const REDDIT_MAX_ROWS = 2_500;
/** Matched users an audience needs, per a third-party connector (Amperity); Reddit's text was not found. */
export const REDDIT_MIN_AUDIENCE = 1_000;
const COLUMNS = ['EMAIL_SHA256', 'MAID_SHA256'] as const;
const WRITE = 'adsedit';
const READ = 'adsread';
/** User agents Reddit's API rules reject as generic (bare library defaults). */
const GENERIC_USER_AGENT = /^(node|undici|python-requests(\/.*)?|axios(\/.*)?|curl(\/.*)?|Go-http-client(\/.*)?)$/i;

export type RedditIdentifierKind = Extract<IdentifierKind, 'email' | 'mobileAdId'>;

/**
 * The key Reddit keeps for one raw value (reference §1.2, §9): the email trimmed and lowercased,
 * then its local part loses everything from the first `+` and every non-alphanumeric character
 * (`Al.ice$+Apple@Example.Com` -> `alice@example.com`); the mobile ad id trimmed, an IDFA in upper
 * case and an AAID in lower case. Which one it is comes from `context.maidType`; without it, an id
 * written without lowercase letters is read as an IDFA (iOS reports it that way), any other as an
 * AAID. Each is SHA-256 hashed.
 */
export function normaliseReddit(kind: RedditIdentifierKind, raw: string, context: { maidType?: 'IDFA' | 'AAID' } = {}): string | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  if (kind === 'email') {
    const lower = value.toLowerCase();
    const at = lower.lastIndexOf('@');
    if (at <= 0) return undefined;
    const local = lower.slice(0, at).replace(/\+.*$/, '').replace(/[^a-z0-9]/g, '');
    if (local === '') return undefined;
    return `EMAIL_SHA256=${sha256Hex(`${local}${lower.slice(at)}`)}`;
  }
  const idfa = context.maidType ? context.maidType === 'IDFA' : !/[a-z]/.test(value);
  return `MAID_SHA256=${sha256Hex(idfa ? value.toUpperCase() : value.toLowerCase())}`;
}

export interface RedditFakeOptions {
  adAccountId?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Scopes of issued tokens (default adsread and adsedit). */
  scopes?: string[];
  maxRowsPerRequest?: number;
  /** Reads of an audience after a change that still show it processing (default 1). */
  readsUntilProcessed?: number;
}

interface CustomAudience {
  audience: SandboxAudience;
  type: 'CUSTOMER_LIST';
}

function redditError(status: number, message: string, extra: Record<string, unknown> = {}): FakeReply {
  return { status, body: { error: { code: status, message, ...extra } } };
}

export class RedditFake extends OAuthFakeBase {
  readonly adAccountId: string;
  maxRowsPerRequest: number;
  readsUntilProcessed: number;
  readonly customAudiences = new Map<string, CustomAudience>();
  /** Every users request: audience, action, rows sent. */
  readonly uploads: { audienceId: string; action: 'ADD' | 'REMOVE'; rows: number; columns: string[] }[] = [];
  #nextId = 1_900_000_000_001;

  constructor(options: RedditFakeOptions = {}) {
    const client = {
      clientId: options.clientId ?? 'sandbox-reddit-client-id',
      clientSecret: options.clientSecret ?? 'sandbox-reddit-client-secret',
      refreshToken: options.refreshToken ?? 'sandbox-reddit-refresh-token',
    };
    // Reddit access tokens last an hour; scopes are space-separated.
    super(new OAuthTokens(client, 'reddit-sandbox', 3600, (options.scopes ?? [READ, WRITE]).join(' ')), REDDIT_PATHS.token);
    this.adAccountId = options.adAccountId ?? 'a2_sandbox000001';
    this.maxRowsPerRequest = options.maxRowsPerRequest ?? REDDIT_MAX_ROWS;
    this.readsUntilProcessed = options.readsUntilProcessed ?? 1;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { adAccountId: this.adAccountId, ...this.oauthSettings(), ...extra };
  }

  /** The key Reddit keeps for a raw value (see `normaliseReddit`). */
  static expectedKey(kind: RedditIdentifierKind, raw: string, context: { maidType?: 'IDFA' | 'AAID' } = {}): string | undefined {
    return normaliseReddit(kind, raw, context);
  }

  customAudiencesNamed(name: string): CustomAudience[] {
    return [...this.customAudiences.values()].filter((a) => a.audience.name === name);
  }

  /** The audience's member keys (a copy). */
  members(audienceId: string): Set<string> {
    return new Set(this.customAudiences.get(audienceId)?.audience.members);
  }

  protected override throttleReply(fault: Fault): FakeReply {
    const reset = Math.ceil((fault.retryAfterMs ?? 60_000) / 1000);
    return { ...redditError(429, 'Too many requests.'), headers: { 'x-ratelimit-used': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } };
  }

  protected override handle(req: FakeRequest): FakeReply | Promise<FakeReply> {
    const ua = req.headers['user-agent'];
    if (typeof ua !== 'string' || ua.trim() === '' || GENERIC_USER_AGENT.test(ua.trim()))
      return redditError(403, 'Blocked: send a unique, descriptive User-Agent');
    // Reddit's token endpoint takes the client in HTTP Basic, not in the form.
    if (req.path === this.tokenPath && req.method === 'POST') return this.tokens.grant(withBasicClient(req.headers.authorization, req.body));
    return this.handleApi(req);
  }

  protected override handleApi(req: FakeRequest): FakeReply {
    if (!req.path.startsWith(REDDIT_PATHS.api)) return redditError(404, 'Not found.');
    const state = this.tokens.check(req.headers.authorization);
    if (state !== 'valid') return redditError(401, `Unauthorized: the token is ${state}`, { reason: 'UNAUTHORIZED' });
    const scope = req.method === 'GET' ? READ : WRITE;
    if (!this.tokens.scope.split(' ').includes(scope)) return redditError(403, `Insufficient authentication scopes: ${scope} is required.`);
    const body = isRecord(req.body) ? req.body : {};
    const account = /^\/api\/v3\/ad_accounts\/([^/]+)\/custom_audiences$/.exec(req.path);
    if (account) {
      if (account[1] !== this.adAccountId) return redditError(403, 'Forbidden: not an ad account of this user.');
      if (req.method === 'POST') return this.#create(body);
      if (req.method === 'GET') return { status: 200, body: { data: [...this.customAudiences.values()].map((a) => this.#view(a, false)) } };
    }
    const m = /^\/api\/v3\/custom_audiences\/([^/]+)(\/users)?$/.exec(req.path);
    const audience = m ? this.customAudiences.get(m[1] as string) : undefined;
    if (m && !audience) return redditError(404, 'Not found.');
    if (audience && !m?.[2] && req.method === 'GET') return { status: 200, body: { data: this.#view(audience, true) } };
    if (audience && m?.[2] && req.method === 'PATCH') return this.#users(audience, body);
    return redditError(404, 'Not found.');
  }

  #create(body: Record<string, unknown>): FakeReply {
    const data = isRecord(body.data) ? body.data : undefined;
    if (!data) return redditError(400, 'Bad request.', { fields: [{ field: 'data', message: 'Required.' }] });
    if (typeof data.name !== 'string' || data.name.trim() === '') return redditError(400, 'Bad request.', { fields: [{ field: 'data.name', message: 'Required.' }] });
    if (data.type !== 'CUSTOMER_LIST') return redditError(400, 'Bad request.', { fields: [{ field: 'data.type', message: 'The sandbox takes CUSTOMER_LIST.' }] });
    const id = String(this.#nextId++);
    const a: CustomAudience = { audience: new SandboxAudience(id, data.name), type: 'CUSTOMER_LIST' };
    this.customAudiences.set(id, a);
    return { status: 200, body: { data: this.#view(a, false) } };
  }

  /** An audience as the fake shows it (Reddit's read-back fields are unconfirmed); `read` counts as a read-back. */
  #view(a: CustomAudience, read: boolean): Record<string, unknown> {
    const processing = read ? a.audience.observe() : a.audience.processing;
    const figures = a.audience.processed;
    const status = processing ? 'PROCESSING' : !figures ? 'VALID' : figures.matched < REDDIT_MIN_AUDIENCE ? 'TOO_SMALL' : 'VALID';
    return {
      id: a.audience.id,
      ad_account_id: this.adAccountId,
      name: a.audience.name,
      type: a.type,
      status,
      size: processing || !figures ? null : figures.matched,
      created_at: a.audience.createdAt.toISOString(),
      modified_at: a.audience.updatedAt.toISOString(),
    };
  }

  #users(a: CustomAudience, body: Record<string, unknown>): FakeReply {
    const data = isRecord(body.data) ? body.data : undefined;
    const bad = (field: string, message: string) => redditError(400, 'Bad request.', { fields: [{ field, message }] });
    if (!data) return bad('data', 'Required.');
    const action = data.action_type;
    if (action !== 'ADD' && action !== 'REMOVE') return bad('data.action_type', 'ADD or REMOVE.');
    const columns = data.column_order;
    if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => !(COLUMNS as readonly unknown[]).includes(c)) || new Set(columns).size !== columns.length)
      return bad('data.column_order', `Distinct values of ${COLUMNS.join(', ')}.`);
    const rows = data.user_data;
    if (!Array.isArray(rows) || rows.length === 0) return bad('data.user_data', 'At least one row.');
    if (rows.length > this.maxRowsPerRequest) return bad('data.user_data', `At most ${this.maxRowsPerRequest} rows per request; got ${rows.length}.`);
    for (const [i, row] of rows.entries()) {
      if (!Array.isArray(row) || row.length !== columns.length) return bad(`data.user_data[${i}]`, 'One value per column of column_order.');
      let values = 0;
      for (const [j, cell] of row.entries()) {
        if (cell === '' || cell === null) continue;
        // Never echo the cell: it may be a raw email sent by mistake.
        if (typeof cell !== 'string' || !isLowerHexHash(cell)) return bad(`data.user_data[${i}][${j}]`, 'Invalid value: a lowercase hex SHA-256 is required.');
        values++;
      }
      if (values === 0) return bad(`data.user_data[${i}]`, 'At least one identifier.');
    }
    const members = a.audience.members;
    for (const row of rows as (string | null)[][]) {
      for (const [j, cell] of row.entries()) {
        if (!cell) continue;
        const key = `${columns[j] as string}=${cell}`;
        if (action === 'ADD') members.add(key);
        else members.delete(key);
      }
    }
    this.uploads.push({ audienceId: a.audience.id, action, rows: rows.length, columns: columns as string[] });
    a.audience.changed(this.readsUntilProcessed);
    return { status: 204 };
  }
}
