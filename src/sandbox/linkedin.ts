import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, isLowerHexHash, isRecord } from './fake-server';
import { OAuthFakeBase, OAuthTokens } from './oauth-tokens';
import { SandboxAudience, sha256Hex, trimLower } from './sandbox-audience';

/**
 * Contract fake of LinkedIn Matched Audiences (DMP segments, Marketing REST API), written from the
 * reference's §4 and from LinkedIn's docs (learn.microsoft.com/linkedin/marketing/matched-audiences):
 *
 * - OAuth2 refresh-token grant at `/oauth/v2/accessToken`; `Authorization: Bearer` on every call,
 *   401 with `serviceErrorCode` 65600/65601/65602 (invalid/revoked/expired), 403 without
 *   `rw_dmp_segments` or for another ad account;
 * - `LinkedIn-Version: YYYYMM` (426 NONEXISTENT_VERSION when not active, 400 when missing) and
 *   `X-Restli-Protocol-Version: 2.0.0`;
 * - `POST /rest/dmpSegments` (201, id in `x-restli-id`), the `q=account` finder with start/count
 *   paging, `GET /rest/dmpSegments/{id}` with `destinations[].status/audienceSize`;
 * - `POST /rest/dmpSegments/{id}/users` with `X-RestLi-Method: BATCH_CREATE`, ADD/REMOVE elements,
 *   a status per element (201 even for a repeated add or an absent remove, 400 for a bad element),
 *   64-hex lowercase SHA256_EMAIL, plain first/last name (<= 35 characters) and ISO-2 country;
 * - 429 throttling with no Retry-After (LinkedIn publishes none).
 *
 * Members are element tuples: the element's cells (`SHA256_EMAIL=<hex>`, `GOOGLE_AID=<id>`,
 * `firstName=<name>`, ...) sorted and joined by `|` (see `linkedInTuple`).
 */

export const LINKEDIN_PATHS = { token: '/oauth/v2/accessToken', segments: '/rest/dmpSegments' } as const;
/** The fake's own cap: LinkedIn documents no per-request element limit (reference §4, unconfirmed). */
export const LINKEDIN_DEFAULT_MAX_ELEMENTS = 5_000;
/** Matched members a segment needs before campaigns can use it (reference §4, [3P Tealium]). */
export const LINKEDIN_MIN_AUDIENCE = 300;
const PERMISSION = 'rw_dmp_segments';

export type LinkedInIdentifierKind = Extract<IdentifierKind, 'email' | 'mobileAdId' | 'firstName' | 'lastName' | 'countryCode'>;

/**
 * The cell LinkedIn keeps for one raw value, by the reference's §1.2 column: email trimmed and
 * lowercased, then SHA-256 (`SHA256_EMAIL`); Google advertising id plain (`GOOGLE_AID`, trimmed,
 * lowercased); first and last name plain (trimmed, at most 35 characters); country plain ISO-2 in
 * upper case. Undefined when the value is unusable (empty, a name over 35 characters).
 */
export function normaliseLinkedIn(kind: LinkedInIdentifierKind, raw: string): string | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  switch (kind) {
    case 'email':
      return `SHA256_EMAIL=${sha256Hex(trimLower(value))}`;
    case 'mobileAdId':
      return `GOOGLE_AID=${value.toLowerCase()}`;
    case 'firstName':
    case 'lastName':
      return value.length <= 35 ? `${kind}=${value}` : undefined;
    case 'countryCode':
      return /^[A-Za-z]{2}$/.test(value) ? `country=${value.toUpperCase()}` : undefined;
  }
}

/** The member tuple of one element's cells. */
export function linkedInTuple(cells: readonly string[]): string {
  return [...cells].sort().join('|');
}

export interface LinkedInFakeOptions {
  adAccountId?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** The `sourcePlatform` enum LinkedIn assigned to the partner. */
  sourcePlatform?: string;
  /** Versions answered; default the twelve months before the current one. */
  activeVersions?: string[];
  maxElementsPerRequest?: number;
  /** Reads of a segment after a change that still show it UPDATING (default 1). */
  readsUntilProcessed?: number;
  /** Scopes of issued tokens (default rw_dmp_segments and r_ads). */
  scopes?: string[];
}

interface Segment {
  audience: SandboxAudience;
  account: string;
  type: string;
  accessPolicy: string;
  sourcePlatform: string;
  sourceSegmentId: string | undefined;
  description: string | undefined;
  destinationSegmentId: string;
  /** Elements received (the input count). */
  inputCount: number;
}

/** Versions of the twelve months before `now` (LinkedIn keeps a version for about a year). */
export function linkedInActiveVersions(now = new Date()): string[] {
  const versions: string[] = [];
  for (let back = 1; back <= 12; back++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    versions.push(`${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  return versions;
}

function liError(status: number, message: string, extra: Record<string, unknown> = {}): FakeReply {
  return { status, body: { status, message, ...extra } };
}

export class LinkedInFake extends OAuthFakeBase {
  readonly adAccountId: string;
  readonly sourcePlatform: string;
  readonly activeVersions: ReadonlySet<string>;
  maxElementsPerRequest: number;
  readsUntilProcessed: number;
  readonly segments = new Map<string, Segment>();
  /** Every `/users` request: its element count and version header. */
  readonly uploads: { segmentId: string; elements: number; version: string }[] = [];
  #nextId = 15_000_000;

  constructor(options: LinkedInFakeOptions = {}) {
    const client = {
      clientId: options.clientId ?? 'sandbox-linkedin-client-id',
      clientSecret: options.clientSecret ?? 'sandbox-linkedin-client-secret',
      refreshToken: options.refreshToken ?? 'sandbox-linkedin-refresh-token',
    };
    // LinkedIn access tokens last 60 days.
    super(new OAuthTokens(client, 'AQsandbox', 60 * 24 * 3600, (options.scopes ?? [PERMISSION, 'r_ads']).join(',')), LINKEDIN_PATHS.token);
    this.adAccountId = options.adAccountId ?? '508000001';
    this.sourcePlatform = options.sourcePlatform ?? 'OUTFLOW_SANDBOX';
    this.activeVersions = new Set(options.activeVersions ?? linkedInActiveVersions());
    this.maxElementsPerRequest = options.maxElementsPerRequest ?? LINKEDIN_DEFAULT_MAX_ELEMENTS;
    this.readsUntilProcessed = options.readsUntilProcessed ?? 1;
  }

  /** The newest version the fake answers. */
  get apiVersion(): string {
    return [...this.activeVersions].sort().at(-1) as string;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { adAccountId: this.adAccountId, sourcePlatform: this.sourcePlatform, apiVersion: this.apiVersion, ...this.oauthSettings(), ...extra };
  }

  /** The key LinkedIn keeps for a raw value (see `normaliseLinkedIn`). */
  static expectedKey(kind: LinkedInIdentifierKind, raw: string): string | undefined {
    return normaliseLinkedIn(kind, raw);
  }

  /** The member tuple LinkedIn keeps for a person's raw identifiers. */
  static expectedTuple(row: Partial<Record<LinkedInIdentifierKind, string>>): string {
    const cells: string[] = [];
    for (const [kind, raw] of Object.entries(row)) {
      const cell = raw === undefined ? undefined : normaliseLinkedIn(kind as LinkedInIdentifierKind, raw);
      if (cell) cells.push(cell);
    }
    return linkedInTuple(cells);
  }

  segmentsNamed(name: string): Segment[] {
    return [...this.segments.values()].filter((s) => s.audience.name === name);
  }

  /** The segment's member tuples (a copy). */
  members(segmentId: string): Set<string> {
    return new Set(this.segments.get(segmentId)?.audience.members);
  }

  protected override throttleReply(_fault: Fault): FakeReply {
    // LinkedIn publishes no Retry-After or rate-limit headers for the DMP streaming limits.
    return liError(429, 'Resource level throttle APPLICATION MINUTE limit for calls to this resource is reached.');
  }

  protected override handleApi(req: FakeRequest): FakeReply {
    const denied = this.#authorize(req);
    if (denied) return denied;
    const body = isRecord(req.body) ? req.body : {};
    if (req.path === LINKEDIN_PATHS.segments) {
      if (req.method === 'POST') return this.#create(body);
      if (req.method === 'GET') return this.#find(req.query);
    }
    const m = /^\/rest\/dmpSegments\/(\d+)(\/users)?$/.exec(req.path);
    const segment = m ? this.segments.get(m[1] as string) : undefined;
    if (m && !segment) return liError(404, `Not found: dmpSegments ${m[1]}`);
    if (segment && !m?.[2] && req.method === 'GET') return { status: 200, body: this.#view(segment, true) };
    if (segment && m?.[2] && req.method === 'POST') return this.#users(segment, req, body);
    return liError(404, `No resource at ${req.method} ${req.path}`);
  }

  #authorize(req: FakeRequest): FakeReply | undefined {
    switch (this.tokens.check(req.headers.authorization)) {
      case 'missing':
        return liError(401, 'Empty oauth2 access token', { serviceErrorCode: 65604, code: 'EMPTY_ACCESS_TOKEN' });
      case 'invalid':
        return liError(401, 'Invalid access token', { serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN' });
      case 'revoked':
        return liError(401, 'The token used in the request has been revoked by the user', { serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN' });
      case 'expired':
        return liError(401, 'The token used in the request has expired', { serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN' });
      case 'valid':
        break;
    }
    if (!this.tokens.scope.split(',').includes(PERMISSION))
      return liError(403, `Not enough permissions to access: ${req.method} ${req.path}`, { serviceErrorCode: 100, code: 'ACCESS_DENIED' });
    const version = req.headers['linkedin-version'];
    if (typeof version !== 'string' || version === '')
      return liError(400, 'A version must be present. Please specify a version by adding the LinkedIn-Version header.', { code: 'VERSION_MISSING' });
    if (!/^\d{6}(\.\d{2})?$/.test(version) || !this.activeVersions.has(version.slice(0, 6)))
      return liError(426, `Requested version ${version} is not active`, { code: 'NONEXISTENT_VERSION' });
    if (req.headers['x-restli-protocol-version'] !== '2.0.0')
      return liError(400, 'X-Restli-Protocol-Version 2.0.0 is required for this resource', { code: 'ILLEGAL_ARGUMENT' });
    return undefined;
  }

  #create(body: Record<string, unknown>): FakeReply {
    const account = `urn:li:sponsoredAccount:${this.adAccountId}`;
    if (typeof body.name !== 'string' || body.name === '') return liError(422, '/name :: field is required but not found', { code: 'FIELD_VALUE_REQUIRED' });
    if (body.account !== account)
      return liError(403, `Not enough permissions to access account ${String(body.account)}`, { serviceErrorCode: 100, code: 'ACCESS_DENIED' });
    if (body.type !== 'USER') return liError(422, '/type :: only USER segments take /users', { code: 'INVALID_VALUE' });
    if (body.accessPolicy !== 'PRIVATE') return liError(422, '/accessPolicy :: must be PRIVATE', { code: 'INVALID_VALUE' });
    if (body.sourcePlatform !== this.sourcePlatform) return liError(422, '/sourcePlatform :: not assigned to this application', { code: 'INVALID_VALUE' });
    const destinations = Array.isArray(body.destinations) ? body.destinations : [];
    if (!destinations.some((d) => isRecord(d) && d.destination === 'LINKEDIN'))
      return liError(422, '/destinations :: must include {"destination":"LINKEDIN"}', { code: 'FIELD_VALUE_REQUIRED' });
    const id = String(this.#nextId++);
    this.segments.set(id, {
      audience: new SandboxAudience(id, body.name),
      account,
      type: 'USER',
      accessPolicy: 'PRIVATE',
      sourcePlatform: this.sourcePlatform,
      sourceSegmentId: typeof body.sourceSegmentId === 'string' ? body.sourceSegmentId : undefined,
      description: typeof body.description === 'string' ? body.description : undefined,
      destinationSegmentId: `urn:li:adSegment:${id}1`,
      inputCount: 0,
    });
    return { status: 201, headers: { 'x-restli-id': id, 'x-linkedin-id': id, location: `/dmpSegments/${id}` } };
  }

  #find(query: URLSearchParams): FakeReply {
    if (query.get('q') !== 'account') return liError(400, 'Finder q=account is required', { code: 'ILLEGAL_ARGUMENT' });
    const account = query.get('account');
    if (account !== `urn:li:sponsoredAccount:${this.adAccountId}`)
      return liError(403, `Not enough permissions to access account ${String(account)}`, { serviceErrorCode: 100, code: 'ACCESS_DENIED' });
    const start = Number(query.get('start') ?? 0);
    const count = Number(query.get('count') ?? 10);
    const sourceSegmentId = query.get('sourceSegmentId');
    const sourcePlatform = query.get('sourcePlatform');
    const all = [...this.segments.values()].filter(
      (s) => (sourceSegmentId === null || s.sourceSegmentId === sourceSegmentId) && (sourcePlatform === null || s.sourcePlatform === sourcePlatform),
    );
    return {
      status: 200,
      body: { elements: all.slice(start, start + count).map((s) => this.#view(s, false)), paging: { start, count, total: all.length, links: [] } },
    };
  }

  /** A segment as the API shows it; `read` counts as a read-back of its processing. */
  #view(s: Segment, read: boolean): Record<string, unknown> {
    const processing = read ? s.audience.observe() : s.audience.processing;
    const figures = s.audience.processed;
    const status = processing ? (figures ? 'UPDATING' : 'BUILDING') : (figures?.matched ?? 0) >= LINKEDIN_MIN_AUDIENCE ? 'READY' : 'BUILDING';
    return {
      id: Number(s.audience.id),
      name: s.audience.name,
      account: s.account,
      type: s.type,
      accessPolicy: s.accessPolicy,
      sourcePlatform: s.sourcePlatform,
      ...(s.sourceSegmentId !== undefined ? { sourceSegmentId: s.sourceSegmentId } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}),
      created: s.audience.createdAt.getTime(),
      lastModified: s.audience.updatedAt.getTime(),
      destinations: [
        {
          destination: 'LINKEDIN',
          status,
          audienceSize: figures?.matched ?? 0,
          matchedCount: figures?.matched ?? 0,
          inputCount: s.inputCount,
          destinationSegmentId: s.destinationSegmentId,
        },
      ],
    };
  }

  #users(segment: Segment, req: FakeRequest, body: Record<string, unknown>): FakeReply {
    if (req.headers['x-restli-method'] !== 'BATCH_CREATE')
      return liError(400, 'A batch of elements needs the header X-RestLi-Method: BATCH_CREATE', { code: 'ILLEGAL_ARGUMENT' });
    if (!Array.isArray(body.elements) || body.elements.length === 0) return liError(400, '/elements :: field is required but not found', { code: 'FIELD_VALUE_REQUIRED' });
    if (body.elements.length > this.maxElementsPerRequest)
      return liError(400, `Batch of ${body.elements.length} elements exceeds the maximum of ${this.maxElementsPerRequest}`, { code: 'BATCH_SIZE_EXCEEDED' });
    this.uploads.push({ segmentId: segment.audience.id, elements: body.elements.length, version: String(req.headers['linkedin-version']) });
    const members = segment.audience.members;
    let applied = 0;
    const results = body.elements.map((element: unknown) => {
      const parsed = parseElement(element);
      if (typeof parsed === 'string') return { status: 400, error: { status: 400, message: parsed } };
      applied++;
      segment.inputCount++;
      if (parsed.action === 'ADD') members.add(linkedInTuple(parsed.cells));
      else removeMatching(members, parsed.cells, parsed.ids);
      return { status: 201 };
    });
    if (applied > 0) segment.audience.changed(this.readsUntilProcessed);
    return { status: 200, body: { elements: results } };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ID_TYPES: Record<string, (v: string) => boolean> = {
  SHA256_EMAIL: isLowerHexHash,
  SHA512_EMAIL: (v) => /^[0-9a-f]{128}$/.test(v),
  GOOGLE_AID: (v) => UUID.test(v),
};

/** An element's action and cells, or what is wrong with it (a message without the value). */
function parseElement(element: unknown): { action: 'ADD' | 'REMOVE'; cells: string[]; ids: string[] } | string {
  if (!isRecord(element)) return 'element must be an object';
  if (element.action !== 'ADD' && element.action !== 'REMOVE') return '/action :: must be ADD or REMOVE';
  const ids: string[] = [];
  const userIds = element.userIds ?? [];
  if (!Array.isArray(userIds)) return '/userIds :: must be an array';
  for (const [i, id] of userIds.entries()) {
    if (!isRecord(id) || typeof id.idType !== 'string' || typeof id.idValue !== 'string') return `/userIds/${i} :: idType and idValue are required`;
    const valid = ID_TYPES[id.idType];
    if (!valid) return `/userIds/${i}/idType :: unsupported idType ${id.idType}`;
    if (!valid(id.idValue)) return `/userIds/${i}/idValue :: not a valid ${id.idType}`;
    ids.push(`${id.idType}=${id.idValue}`);
  }
  const cells = [...ids];
  for (const field of ['firstName', 'lastName'] as const) {
    const v = element[field];
    if (v === undefined) continue;
    // Names travel in plain text: a 64-hex value is a hashed name, which LinkedIn never matches.
    if (typeof v !== 'string' || v.trim() === '' || v.length > 35 || isLowerHexHash(v)) return `/${field} :: plain text of at most 35 characters`;
    cells.push(`${field}=${v.trim()}`);
  }
  for (const field of ['title', 'company'] as const) {
    const v = element[field];
    if (v !== undefined && (typeof v !== 'string' || v.length > 50)) return `/${field} :: at most 50 characters`;
  }
  if (element.country !== undefined) {
    if (typeof element.country !== 'string' || !/^[A-Z]{2}$/.test(element.country)) return '/country :: ISO 3166-1 alpha-2 code in plain text';
    cells.push(`country=${element.country}`);
  }
  if (ids.length === 0 && (element.firstName === undefined || element.lastName === undefined))
    return '/firstName, /lastName :: required when no userIds are given';
  return { action: element.action, cells, ids };
}

/** REMOVE: members sharing a user id with the element, or its exact tuple when it has no ids. */
function removeMatching(members: Set<string>, cells: string[], ids: string[]): void {
  if (ids.length === 0) {
    members.delete(linkedInTuple(cells));
    return;
  }
  for (const tuple of members) if (tuple.split('|').some((cell) => ids.includes(cell))) members.delete(tuple);
}
