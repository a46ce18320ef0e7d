import { randomBytes } from 'node:crypto';
import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, isLowerHexHash, isRecord } from './fake-server';
import { OAuthFakeBase, OAuthTokens } from './oauth-tokens';
import { e164, SandboxAudience, sha256Hex, trimLower } from './sandbox-audience';

/**
 * Contract fake of Snapchat customer lists (Snap Audience Match, Marketing API v1), written from
 * the reference's §7 and Snap's docs (developers.snap.com/api/marketing-api/Ads-API):
 *
 * - OAuth2 refresh-token grant at `/login/oauth2/access_token`; `Authorization: Bearer` on every
 *   call, 401 for a missing, unknown, expired or revoked token, 403 for another ad account;
 * - the version in the path, `/v1/...` (anything else is 404);
 * - `POST /v1/adaccounts/{id}/segments` (FIRST_PARTY, name <= 375, retention_in_days), the same
 *   path with GET to list (optionally paged with `limit` 50–1000), `GET /v1/segments/{id}`;
 * - `POST` / `DELETE /v1/segments/{id}/users` with `{"users":[{"schema":[<one of
 *   EMAIL_SHA256, PHONE_SHA256, MOBILE_AD_ID_SHA256>],"data":[["<hash>"],…]}]}`, at most 100,000
 *   identifiers per request; identifiers that are not 64-hex lowercase SHA-256 are not taken and
 *   `number_uploaded_users` counts only the ones that were; `DELETE /v1/segments/{id}/all_users`;
 * - 429 throttling with no Retry-After (Snap documents none);
 * - `approximate_number_users`, `upload_status` (NO_UPLOAD, PROCESSING, COMPLETE) and
 *   `targetable_status` (NOT_READY, TOO_FEW_USERS under 1,000 matched, READY).
 *
 * Members are `<schema>=<hash>` keys, e.g. `EMAIL_SHA256=<hex>`.
 */

export const SNAPCHAT_PATHS = { token: '/login/oauth2/access_token', api: '/v1/' } as const;
export const SNAPCHAT_MAX_IDENTIFIERS = 100_000;
/** Matched users a segment needs before it can be targeted (reference §7, [3P Salesforce]). */
export const SNAPCHAT_MIN_AUDIENCE = 1_000;
const SCHEMAS = ['EMAIL_SHA256', 'PHONE_SHA256', 'MOBILE_AD_ID_SHA256'] as const;

export type SnapchatIdentifierKind = Extract<IdentifierKind, 'email' | 'phone' | 'mobileAdId'>;
const SCHEMA_OF: Record<SnapchatIdentifierKind, (typeof SCHEMAS)[number]> = { email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', mobileAdId: 'MOBILE_AD_ID_SHA256' };

/**
 * The key Snapchat keeps for one raw value (reference §1.2): email trimmed and lowercased; phone
 * as digits only with the country code (E.164 without `+`; a national number is read in
 * `countryCode` when given, otherwise a leading `00` or `0` is stripped from its digits); mobile ad
 * id lowercased with its hyphens; each SHA-256 hashed and prefixed with its schema.
 */
export function normaliseSnapchat(kind: SnapchatIdentifierKind, raw: string, context: { countryCode?: string } = {}): string | undefined {
  let value: string | undefined;
  if (kind === 'email') value = trimLower(raw);
  else if (kind === 'mobileAdId') value = trimLower(raw);
  else value = e164(raw, context.countryCode)?.slice(1) ?? raw.replace(/\D/g, '').replace(/^00/, '').replace(/^0/, '');
  return value ? `${SCHEMA_OF[kind]}=${sha256Hex(value)}` : undefined;
}

export interface SnapchatFakeOptions {
  adAccountId?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Reads of a segment after a change that still show it PROCESSING (default 1). */
  readsUntilProcessed?: number;
}

interface Segment {
  audience: SandboxAudience;
  description: string;
  retentionDays: number;
  uploaded: boolean;
}

function snapError(status: number, message: string): FakeReply {
  return { status, body: { request_status: 'ERROR', request_id: randomBytes(16).toString('hex'), debug_message: message, display_message: message } };
}
function success(body: Record<string, unknown>): FakeReply {
  return { status: 200, body: { request_status: 'SUCCESS', request_id: randomBytes(16).toString('hex'), ...body } };
}

export class SnapchatFake extends OAuthFakeBase {
  readonly adAccountId: string;
  readsUntilProcessed: number;
  readonly segments = new Map<string, Segment>();
  /** Every users request: method, identifiers sent and identifiers taken. */
  readonly uploads: { method: string; identifiers: number; uploaded: number }[] = [];
  #nextId = 5_677_923_948_298_240;

  constructor(options: SnapchatFakeOptions = {}) {
    const client = {
      clientId: options.clientId ?? 'sandbox-snapchat-client-id',
      clientSecret: options.clientSecret ?? 'sandbox-snapchat-client-secret',
      refreshToken: options.refreshToken ?? 'sandbox-snapchat-refresh-token',
    };
    super(new OAuthTokens(client, 'snap-sandbox', 3600, 'snapchat-marketing-api'), SNAPCHAT_PATHS.token);
    this.adAccountId = options.adAccountId ?? '8adc3db7-8148-4fbf-999c-000000000001';
    this.readsUntilProcessed = options.readsUntilProcessed ?? 1;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { adAccountId: this.adAccountId, ...this.oauthSettings(), ...extra };
  }

  /** The key Snapchat keeps for a raw value (see `normaliseSnapchat`). */
  static expectedKey(kind: SnapchatIdentifierKind, raw: string, context: { countryCode?: string } = {}): string | undefined {
    return normaliseSnapchat(kind, raw, context);
  }

  segmentsNamed(name: string): Segment[] {
    return [...this.segments.values()].filter((s) => s.audience.name === name);
  }

  /** The segment's member keys (a copy). */
  members(segmentId: string): Set<string> {
    return new Set(this.segments.get(segmentId)?.audience.members);
  }

  protected override throttleReply(_fault: Fault): FakeReply {
    return snapError(429, 'Too Many Requests');
  }

  protected override handleApi(req: FakeRequest): FakeReply {
    if (!req.path.startsWith(SNAPCHAT_PATHS.api)) return snapError(404, `Resource not found: ${req.path}`);
    const state = this.tokens.check(req.headers.authorization);
    if (state !== 'valid') return snapError(401, state === 'missing' ? 'Missing authorization header' : `The access token is ${state}`);
    const body = isRecord(req.body) ? req.body : {};
    const account = /^\/v1\/adaccounts\/([^/]+)\/segments$/.exec(req.path);
    if (account) {
      if (account[1] !== this.adAccountId) return snapError(403, 'User does not have permission to access this ad account');
      if (req.method === 'POST') return this.#create(body);
      if (req.method === 'GET') return this.#list(req.query);
    }
    const m = /^\/v1\/segments\/(\d+)(\/users|\/all_users)?$/.exec(req.path);
    const segment = m ? this.segments.get(m[1] as string) : undefined;
    if (m && !segment) return snapError(404, `Segment ${m[1]} not found`);
    if (segment && !m?.[2] && req.method === 'GET') return success({ segments: [{ sub_request_status: 'SUCCESS', segment: this.#view(segment, true) }] });
    if (segment && m?.[2] === '/users' && (req.method === 'POST' || req.method === 'DELETE')) return this.#users(segment, req.method, body);
    if (segment && m?.[2] === '/all_users' && req.method === 'DELETE') {
      segment.audience.members.clear();
      segment.audience.changed(this.readsUntilProcessed);
      return success({ segments: [{ sub_request_status: 'SUCCESS', segment: this.#view(segment, false) }] });
    }
    return snapError(404, `Resource not found: ${req.method} ${req.path}`);
  }

  #create(body: Record<string, unknown>): FakeReply {
    const list = Array.isArray(body.segments) ? body.segments : [];
    if (list.length === 0) return snapError(400, 'segments: at least one segment is required');
    const created: Record<string, unknown>[] = [];
    for (const s of list) {
      if (!isRecord(s) || typeof s.name !== 'string' || s.name === '' || s.name.length > 375) return snapError(400, 'name: required, at most 375 characters');
      if (s.source_type !== 'FIRST_PARTY') return snapError(400, 'source_type: customer lists are FIRST_PARTY');
      if (typeof s.retention_in_days !== 'number' || !Number.isInteger(s.retention_in_days) || s.retention_in_days < 1) return snapError(400, 'retention_in_days: required');
      if (s.ad_account_id !== this.adAccountId) return snapError(400, 'ad_account_id: must match the ad account in the path');
      const id = String(this.#nextId++);
      const segment: Segment = { audience: new SandboxAudience(id, s.name), description: typeof s.description === 'string' ? s.description : '', retentionDays: s.retention_in_days, uploaded: false };
      this.segments.set(id, segment);
      created.push({ sub_request_status: 'SUCCESS', segment: { ...this.#view(segment, false), status: 'PENDING' } });
    }
    return success({ segments: created });
  }

  #list(query: URLSearchParams): FakeReply {
    const all = [...this.segments.values()];
    const limitParam = query.get('limit');
    if (limitParam === null) return success({ segments: all.map((s) => ({ sub_request_status: 'SUCCESS', segment: this.#view(s, false) })) });
    const limit = Number(limitParam);
    if (!Number.isInteger(limit) || limit < 50 || limit > 1000) return snapError(400, 'limit: 50 to 1000');
    const from = Number(query.get('cursor') ?? 0);
    const page = all.slice(from, from + limit);
    const next = from + limit < all.length ? `${this.url}/v1/adaccounts/${this.adAccountId}/segments?limit=${limit}&cursor=${from + limit}` : undefined;
    return success({ paging: next ? { next_link: next } : {}, segments: page.map((s) => ({ sub_request_status: 'SUCCESS', segment: this.#view(s, false) })) });
  }

  /** A segment as the API shows it; `read` counts as a read-back of its processing. */
  #view(s: Segment, read: boolean): Record<string, unknown> {
    const processing = read ? s.audience.observe() : s.audience.processing;
    const figures = s.audience.processed;
    return {
      id: s.audience.id,
      updated_at: s.audience.updatedAt.toISOString(),
      created_at: s.audience.createdAt.toISOString(),
      name: s.audience.name,
      ad_account_id: this.adAccountId,
      description: s.description,
      status: 'ACTIVE',
      source_type: 'FIRST_PARTY',
      retention_in_days: s.retentionDays,
      approximate_number_users: figures?.matched ?? 0,
      upload_status: !s.uploaded ? 'NO_UPLOAD' : processing ? 'PROCESSING' : 'COMPLETE',
      targetable_status: !figures ? 'NOT_READY' : figures.matched < SNAPCHAT_MIN_AUDIENCE ? 'TOO_FEW_USERS' : 'READY',
    };
  }

  #users(segment: Segment, method: string, body: Record<string, unknown>): FakeReply {
    const users = body.users;
    if (!Array.isArray(users) || users.length === 0) return snapError(400, 'users: at least one users object is required');
    let identifiers = 0;
    for (const u of users) {
      if (!isRecord(u) || !Array.isArray(u.schema) || u.schema.length !== 1 || !(SCHEMAS as readonly unknown[]).includes(u.schema[0]))
        return snapError(400, `schema: exactly one of ${SCHEMAS.join(', ')}`);
      if (u.id !== undefined && u.id !== segment.audience.id) return snapError(400, 'id: must be the segment in the path');
      if (!Array.isArray(u.data) || u.data.length === 0) return snapError(400, 'data: at least one identifier is required');
      identifiers += u.data.length;
    }
    if (identifiers > SNAPCHAT_MAX_IDENTIFIERS) return snapError(400, `A request takes at most ${SNAPCHAT_MAX_IDENTIFIERS} identifiers; it had ${identifiers}`);
    const members = segment.audience.members;
    const results = users.map((u: Record<string, unknown>) => {
      const schema = (u.schema as string[])[0] as string;
      let uploaded = 0;
      for (const row of u.data as unknown[]) {
        const value = Array.isArray(row) && row.length === 1 ? row[0] : undefined;
        if (typeof value !== 'string' || !isLowerHexHash(value)) continue;
        uploaded++;
        if (method === 'POST') members.add(`${schema}=${value}`);
        else members.delete(`${schema}=${value}`);
      }
      return { uploaded, reply: { sub_request_status: 'SUCCESS', user: { number_uploaded_users: uploaded } } };
    });
    const uploaded = results.reduce((n, r) => n + r.uploaded, 0);
    this.uploads.push({ method, identifiers, uploaded });
    segment.uploaded = true;
    segment.audience.changed(this.readsUntilProcessed);
    return success({ users: results.map((r) => r.reply) });
  }
}
