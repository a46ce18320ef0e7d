import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, isLowerHexHash, isRecord } from './fake-server';
import { OAuthFakeBase, OAuthTokens, withBasicClient } from './oauth-tokens';
import { SandboxAudience, sha256Hex, trimLower } from './sandbox-audience';

/**
 * Contract fake of Pinterest customer lists and CUSTOMER_LIST audiences (API v5), written from the
 * reference's §8 (Pinterest's generated SDK docs and its rate-limit page):
 *
 * - OAuth2 refresh-token grant at `/v5/oauth/token` with the client in HTTP Basic;
 *   `Authorization: Bearer` on every call, 401 for a missing, unknown, expired or revoked token,
 *   403 without the `ads:write` scope (writes) or `ads:read` (reads), or for another ad account;
 * - the version in the path, `/v5/...` (anything else is 404);
 * - `POST /v5/ad_accounts/{id}/customer_lists` with `name`, `list_type` (EMAIL or MAID here) and
 *   exactly one of `records` (a comma-separated string) and `records_v2`; the same path with GET
 *   lists them (`page_size`, `bookmark`); `GET` / `PATCH .../customer_lists/{id}` with
 *   `{"records": "...", "operation_type": "ADD" | "REMOVE"}`, at most `maxRecordsPerRequest`
 *   records (50,000 by default, a third-party figure);
 * - records: an EMAIL list takes a lowercase plain email or its SHA-256, SHA-1 or MD5 in lowercase
 *   hex; a MAID list takes only hashes. Other records are not taken (the fake counts them in
 *   `uploads`; Pinterest documents no per-record reply);
 * - `POST /v5/ad_accounts/{id}/audiences` with `audience_type: CUSTOMER_LIST` and
 *   `rule.customer_list_id`, `GET .../audiences/{id}` with `size` and `status` (INITIALIZING,
 *   TOO_SMALL under 100 matched, READY);
 * - counters on the customer list: `num_batches`, `num_uploaded_user_records` (duplicates count),
 *   `num_removed_user_records` (absent users count), `status`;
 * - 429 throttling with `{code, message}` and x-ratelimit-* headers (shape unconfirmed).
 *
 * Members are `<TYPE>_<HASH>=<hex>` keys, e.g. `EMAIL_SHA256=<hex>`; a plain email is kept as its
 * SHA-256, as Pinterest matches it.
 */

export const PINTEREST_PATHS = { token: '/v5/oauth/token', api: '/v5/' } as const;
/** Records per request: Pinterest publishes none; a third-party tool states 50,000 (reference §8). */
export const PINTEREST_DEFAULT_MAX_RECORDS = 50_000;
/** Matched Pinterest users a list needs (reference §8, [S]). */
export const PINTEREST_MIN_AUDIENCE = 100;
const WRITE = 'ads:write';
const READ = 'ads:read';

export type PinterestIdentifierKind = Extract<IdentifierKind, 'email' | 'mobileAdId'>;
const LIST_TYPE_OF: Record<PinterestIdentifierKind, 'EMAIL' | 'MAID'> = { email: 'EMAIL', mobileAdId: 'MAID' };

/**
 * The key Pinterest keeps for one raw value (reference §1.2 and §8): email trimmed and lowercased
 * (Pinterest asks for lowercase emails), mobile ad id trimmed and lowercased (Pinterest states no
 * case rule: unconfirmed), each SHA-256 hashed.
 */
export function normalisePinterest(kind: PinterestIdentifierKind, raw: string): string | undefined {
  const value = trimLower(raw);
  return value ? `${LIST_TYPE_OF[kind]}_SHA256=${sha256Hex(value)}` : undefined;
}

/** The key for one record of a list of `listType`, or undefined when Pinterest would not take it. */
export function pinterestRecordKey(listType: 'EMAIL' | 'MAID', record: string): string | undefined {
  if (isLowerHexHash(record)) return `${listType}_SHA256=${record}`;
  if (/^[0-9a-f]{40}$/.test(record)) return `${listType}_SHA1=${record}`;
  if (/^[0-9a-f]{32}$/.test(record)) return `${listType}_MD5=${record}`;
  // An email list also takes plain addresses, in lowercase; MAIDs must be hashed.
  if (listType === 'EMAIL' && /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(record) && record === record.toLowerCase()) return `EMAIL_SHA256=${sha256Hex(record)}`;
  return undefined;
}

export interface PinterestFakeOptions {
  adAccountId?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Scopes of issued tokens (default ads:read and ads:write). */
  scopes?: string[];
  maxRecordsPerRequest?: number;
  /** Reads of a list or its audience after a change that still show it processing (default 1). */
  readsUntilProcessed?: number;
}

interface CustomerList {
  audience: SandboxAudience;
  listType: 'EMAIL' | 'MAID';
  batches: number;
  uploaded: number;
  removed: number;
}

interface Audience {
  id: string;
  name: string;
  description: string;
  customerListId: string;
  createdAt: Date;
}

function pinError(status: number, code: number, message: string): FakeReply {
  return { status, body: { code, message } };
}

export class PinterestFake extends OAuthFakeBase {
  readonly adAccountId: string;
  maxRecordsPerRequest: number;
  readsUntilProcessed: number;
  readonly customerLists = new Map<string, CustomerList>();
  readonly audiences = new Map<string, Audience>();
  /** Every records request: list, operation, records sent and records taken. */
  readonly uploads: { customerListId: string; operation: 'CREATE' | 'ADD' | 'REMOVE'; records: number; taken: number }[] = [];
  #nextId = 549_764_000_001;

  constructor(options: PinterestFakeOptions = {}) {
    const client = {
      clientId: options.clientId ?? 'sandbox-pinterest-client-id',
      clientSecret: options.clientSecret ?? 'sandbox-pinterest-client-secret',
      refreshToken: options.refreshToken ?? 'sandbox-pinterest-refresh-token',
    };
    // Pinterest access tokens last 30 days.
    super(new OAuthTokens(client, 'pina-sandbox', 30 * 24 * 3600, (options.scopes ?? [READ, WRITE]).join(',')), PINTEREST_PATHS.token);
    this.adAccountId = options.adAccountId ?? '549755885175';
    this.maxRecordsPerRequest = options.maxRecordsPerRequest ?? PINTEREST_DEFAULT_MAX_RECORDS;
    this.readsUntilProcessed = options.readsUntilProcessed ?? 1;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { adAccountId: this.adAccountId, ...this.oauthSettings(), ...extra };
  }

  /** The key Pinterest keeps for a raw value (see `normalisePinterest`). */
  static expectedKey(kind: PinterestIdentifierKind, raw: string): string | undefined {
    return normalisePinterest(kind, raw);
  }

  customerListsNamed(name: string): CustomerList[] {
    return [...this.customerLists.values()].filter((l) => l.audience.name === name);
  }

  /** The customer list's member keys (a copy). */
  members(customerListId: string): Set<string> {
    return new Set(this.customerLists.get(customerListId)?.audience.members);
  }

  protected override throttleReply(fault: Fault): FakeReply {
    const reset = Math.ceil((fault.retryAfterMs ?? 60_000) / 1000);
    return {
      ...pinError(429, 8, 'You have exceeded your rate limit. Try again later.'),
      headers: { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    };
  }

  protected override handle(req: FakeRequest): FakeReply | Promise<FakeReply> {
    // Pinterest's token endpoint takes the client in HTTP Basic, not in the form.
    if (req.path === this.tokenPath && req.method === 'POST') return this.tokens.grant(withBasicClient(req.headers.authorization, req.body));
    return this.handleApi(req);
  }

  protected override handleApi(req: FakeRequest): FakeReply {
    if (!req.path.startsWith(PINTEREST_PATHS.api)) return pinError(404, 404, `Not found: ${req.path}`);
    const state = this.tokens.check(req.headers.authorization);
    if (state !== 'valid') return pinError(401, 2, 'Authentication failed.');
    const scope = req.method === 'GET' ? READ : WRITE;
    if (!this.tokens.scope.split(',').includes(scope)) return pinError(403, 3, `Not authorized to access the resource: the token lacks ${scope}`);
    const m = /^\/v5\/ad_accounts\/([^/]+)\/(customer_lists|audiences)(?:\/([^/]+))?$/.exec(req.path);
    if (!m) return pinError(404, 404, `Not found: ${req.method} ${req.path}`);
    if (m[1] !== this.adAccountId) return pinError(403, 29, 'You are not permitted to access that resource.');
    const body = isRecord(req.body) ? req.body : {};
    const id = m[3];
    if (m[2] === 'customer_lists') {
      if (id === undefined && req.method === 'POST') return this.#createList(body);
      if (id === undefined && req.method === 'GET') return this.#listLists(req.query);
      const list = id === undefined ? undefined : this.customerLists.get(id);
      if (id !== undefined && !list) return pinError(404, 2650, `Customer list ${id} not found`);
      if (list && req.method === 'GET') return { status: 200, body: this.#listView(id as string, list, true) };
      if (list && req.method === 'PATCH') return this.#update(id as string, list, body);
    } else {
      if (id === undefined && req.method === 'POST') return this.#createAudience(body);
      const audience = id === undefined ? undefined : this.audiences.get(id);
      if (id !== undefined && !audience) return pinError(404, 2601, `Audience ${id} not found`);
      if (audience && req.method === 'GET') return { status: 200, body: this.#audienceView(audience) };
    }
    return pinError(405, 405, `Method not allowed: ${req.method} ${req.path}`);
  }

  /** Splits `records`, or says what is wrong with it. */
  #records(records: unknown): string[] | FakeReply {
    if (typeof records !== 'string') return pinError(400, 1, 'records: a comma-separated string is required');
    const items = records.split(',').map((r) => r.trim()).filter((r) => r !== '');
    if (items.length === 0) return pinError(400, 1, 'records: at least one record is required');
    if (items.length > this.maxRecordsPerRequest) return pinError(400, 1, `records: at most ${this.maxRecordsPerRequest} per request; got ${items.length}`);
    return items;
  }

  #createList(body: Record<string, unknown>): FakeReply {
    if (typeof body.name !== 'string' || body.name.trim() === '') return pinError(400, 1, 'name: required');
    const listType = body.list_type ?? 'EMAIL';
    if (listType !== 'EMAIL' && listType !== 'MAID') return pinError(400, 1, `list_type: the sandbox takes EMAIL or MAID, not ${String(listType)}`);
    if ((body.records === undefined) === (body.records_v2 === undefined)) return pinError(400, 1, 'Send exactly one of records and records_v2');
    let items: string[];
    if (body.records_v2 !== undefined) {
      const field = listType === 'EMAIL' ? 'email' : 'maid';
      if (!Array.isArray(body.records_v2) || body.records_v2.length === 0) return pinError(400, 1, 'records_v2: a non-empty array is required');
      if (body.records_v2.length > this.maxRecordsPerRequest) return pinError(400, 1, `records_v2: at most ${this.maxRecordsPerRequest} per request`);
      items = body.records_v2.map((r) => (isRecord(r) && typeof r[field] === 'string' ? r[field] : ''));
    } else {
      const parsed = this.#records(body.records);
      if (!Array.isArray(parsed)) return parsed;
      items = parsed;
    }
    const id = String(this.#nextId++);
    const list: CustomerList = { audience: new SandboxAudience(id, body.name), listType, batches: 0, uploaded: 0, removed: 0 };
    this.customerLists.set(id, list);
    this.#apply(id, list, 'ADD', items, 'CREATE');
    return { status: 200, body: this.#listView(id, list, false) };
  }

  #update(id: string, list: CustomerList, body: Record<string, unknown>): FakeReply {
    if (body.operation_type !== 'ADD' && body.operation_type !== 'REMOVE') return pinError(400, 1, 'operation_type: ADD or REMOVE');
    const parsed = this.#records(body.records);
    if (!Array.isArray(parsed)) return parsed;
    this.#apply(id, list, body.operation_type, parsed, body.operation_type);
    return { status: 200, body: this.#listView(id, list, false) };
  }

  #apply(id: string, list: CustomerList, op: 'ADD' | 'REMOVE', items: string[], logged: 'CREATE' | 'ADD' | 'REMOVE'): void {
    let taken = 0;
    for (const record of items) {
      const key = pinterestRecordKey(list.listType, record);
      if (!key) continue;
      taken++;
      if (op === 'ADD') list.audience.members.add(key);
      else list.audience.members.delete(key);
    }
    list.batches++;
    if (op === 'ADD') list.uploaded += items.length;
    else list.removed += items.length;
    this.uploads.push({ customerListId: id, operation: logged, records: items.length, taken });
    list.audience.changed(this.readsUntilProcessed);
  }

  #listLists(query: URLSearchParams): FakeReply {
    const size = Number(query.get('page_size') ?? 25);
    if (!Number.isInteger(size) || size < 1 || size > 250) return pinError(400, 1, 'page_size: 1 to 250');
    const from = Number(query.get('bookmark') ?? 0);
    const all = [...this.customerLists.entries()];
    const page = all.slice(from, from + size).map(([id, l]) => this.#listView(id, l, false));
    return { status: 200, body: { items: page, bookmark: from + size < all.length ? String(from + size) : null } };
  }

  /** Status from the list's figures: PROCESSING while a change is processed. */
  #listStatus(list: CustomerList, read: boolean): string {
    const processing = read ? list.audience.observe() : list.audience.processing;
    if (processing) return 'PROCESSING';
    return (list.audience.processed?.matched ?? 0) < PINTEREST_MIN_AUDIENCE ? 'TOO_SMALL' : 'READY';
  }

  #listView(id: string, list: CustomerList, read: boolean): Record<string, unknown> {
    return {
      id,
      ad_account_id: this.adAccountId,
      name: list.audience.name,
      type: 'customerlist',
      created_time: Math.floor(list.audience.createdAt.getTime() / 1000),
      updated_time: Math.floor(list.audience.updatedAt.getTime() / 1000),
      num_batches: list.batches,
      num_uploaded_user_records: list.uploaded,
      num_removed_user_records: list.removed,
      status: this.#listStatus(list, read),
      exceptions: {},
    };
  }

  #createAudience(body: Record<string, unknown>): FakeReply {
    if (typeof body.name !== 'string' || body.name.trim() === '') return pinError(400, 1, 'name: required');
    if (body.audience_type !== 'CUSTOMER_LIST') return pinError(400, 1, 'audience_type: the sandbox takes CUSTOMER_LIST');
    const listId = isRecord(body.rule) ? body.rule.customer_list_id : undefined;
    if (typeof listId !== 'string' || !this.customerLists.has(listId)) return pinError(400, 1, 'rule.customer_list_id: an existing customer list of this ad account');
    const id = String(this.#nextId++);
    const audience: Audience = { id, name: body.name, description: typeof body.description === 'string' ? body.description : '', customerListId: listId, createdAt: new Date() };
    this.audiences.set(id, audience);
    return { status: 200, body: this.#audienceView(audience) };
  }

  /** An audience as the API shows it; reading it counts as a read-back of its list's processing. */
  #audienceView(a: Audience): Record<string, unknown> {
    const list = this.customerLists.get(a.customerListId) as CustomerList;
    const processing = list.audience.observe();
    const figures = list.audience.processed;
    const status = processing && !figures ? 'INITIALIZING' : (figures?.matched ?? 0) < PINTEREST_MIN_AUDIENCE ? 'TOO_SMALL' : 'READY';
    return {
      id: a.id,
      ad_account_id: this.adAccountId,
      name: a.name,
      description: a.description,
      audience_type: 'CUSTOMER_LIST',
      rule: { customer_list_id: a.customerListId },
      size: figures?.matched ?? 0,
      status,
      type: 'audience',
      created_timestamp: Math.floor(a.createdAt.getTime() / 1000),
      updated_timestamp: Math.floor(list.audience.updatedAt.getTime() / 1000),
    };
  }
}
