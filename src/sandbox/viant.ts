import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, FakeServerBase, isLowerHexHash, isRecord } from './fake-server';
import { e164, SandboxAudience, sha256Hex, trimLower } from './sandbox-audience';

/**
 * Contract fake of Viant's VDP Connect audience API, written from the reference's §11 and Viant's
 * API reference pages (docs.api.viantinc.com/reference: create-new-audience-segment,
 * add-audience-data, expire-inividual-audience-ids, expire-audience-segment,
 * get-audience-details-single-segment):
 *
 * - `Authorization: Bearer <JWT>` on every call; a missing, unknown or revoked token gets 401
 *   `{"error": "Unauthorized - Invalid JWT"}`. How the JWT is issued (the token endpoint) is not
 *   documented: the fake only knows the one it was given. Failures answer `{"error": "..."}`;
 * - paths under `/v1`; segment ids are strings (`fpsegm…`);
 * - `POST /v1/audiences` with `{name, description?, dataType, accountId, advertiserIds,
 *   externalAudienceId, ttl?}`: dataType one of `email_sha256`, `phonenumber_sha256`,
 *   `address_sha256`, `ip`, `cookie`, `mobile_id`; ttl 172,800-32,000,000 seconds (default
 *   32,000,000); the account and advertisers must be the token's (integers). Answers `{name,
 *   externalAudienceId, viantSegmentId, status: "INACTIVE", ttl}`;
 * - `GET /v1/audiences/{id}`: `dataCount`, `status` (INACTIVE, ACTIVE, ARCHIVED), `ttl`, ids; 404
 *   `{"error": "Audience not found"}`. `GET /v1/audiences` lists the account's segments: the
 *   listing is paginated per a third-party doc, its parameters unpublished: here `page` (from 1)
 *   and `pageSize`, answering `{data: [...]}`;
 * - `POST /v1/audiences/{id}/data` with a JSON array of `{viantSegmentId, countryCode, values}`: at
 *   most 10 MB; every item's segment id must be the URL's; an ARCHIVED segment is refused. A
 *   `*_sha256` value must be 64 lowercase hex. Answers `{message, published, failed_publishes,
 *   bad_records, bad_records_details}`. With bad records the payload is refused whole ("invalid
 *   payload: N bad record(s)", published 0) and `bad_records_details` is text returning "the actual
 *   bad record data": its HTTP status and format are unpublished; here 400 and the bad values
 *   joined by ", " (a value that is not a hash is not echoed);
 * - `PUT /v1/audiences/{id}/data?action=expireSpecificAudience` with `{segmentId, dataType,
 *   values}`, the segment's data type: a job `{created, job_id, message, segment_id, status:
 *   "REQUESTED"}`; Viant removes the members within 24 hours, here when the segment is next
 *   processed;
 * - `PUT /v1/audiences/{id}?action=expireSegment` archives the segment (instant, irreversible);
 * - a segment is processed every 10 minutes (here: after `readsUntilProcessed` reads) and becomes
 *   ACTIVE with 1,000 matches or more;
 * - 429 `{message}` when throttled (Viant documents no throttling reply: the usual status).
 *
 * Members are the values as sent (SHA-256 hex for the hashed types).
 */

export const VIANT_API_PREFIX = '/v1';
/** Largest request body (reference §11). */
export const VIANT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Matches a segment needs to become ACTIVE (reference §11). */
export const VIANT_MIN_MATCHES = 1_000;
const DATA_TYPES = ['email_sha256', 'phonenumber_sha256', 'address_sha256', 'ip', 'cookie', 'mobile_id'] as const;
type DataType = (typeof DATA_TYPES)[number];
const TTL = { min: 172_800, max: 32_000_000 } as const;

export type ViantIdentifierKind = Extract<IdentifierKind, 'email' | 'phone'>;

/**
 * The value Viant keeps for one raw identifier: SHA-256 of the email trimmed and lowercased, or of
 * the phone in E.164 with its `+` (Viant states SHA-256 for both and no exact normalisation; this
 * is the baseline of §1.1 and the E.164 form most platforms take).
 */
export function normaliseViant(kind: ViantIdentifierKind, raw: string): string | undefined {
  if (kind === 'email') {
    const email = trimLower(raw);
    return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(email) ? sha256Hex(email) : undefined;
  }
  const phone = e164(raw);
  return phone ? sha256Hex(phone) : undefined;
}

export interface ViantFakeOptions {
  accountId?: string;
  advertiserIds?: string[];
  accessToken?: string;
  /** Reads of a segment after a change that still show it processing (default 1). */
  readsUntilProcessed?: number;
}

interface Segment {
  audience: SandboxAudience;
  dataType: DataType;
  externalAudienceId: string;
  advertiserIds: string[];
  ttl: number;
  archived: boolean;
  /** Removal jobs waiting for the next processing. */
  expiring: string[][];
}

const message = (status: number, text: string): FakeReply => ({ status, body: { error: text } });

export class ViantFake extends FakeServerBase {
  readonly accountId: string;
  readonly advertiserIds: readonly string[];
  readonly accessToken: string;
  readsUntilProcessed: number;
  readonly segments = new Map<string, Segment>();
  /** Every data request: segment, kind, values sent, bad records. */
  readonly uploads: { segmentId: string; kind: 'add' | 'expire'; values: number; bad: number }[] = [];
  #revoked = false;
  #nextId = 700_001;
  #nextJob = 1;

  constructor(options: ViantFakeOptions = {}) {
    super();
    this.accountId = options.accountId ?? '4100';
    this.advertiserIds = options.advertiserIds ?? ['52001'];
    // A JWT's shape (header.payload.signature), obviously not a real one.
    this.accessToken = options.accessToken ?? 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYW5kYm94In0.sandbox-viant-signature';
    this.readsUntilProcessed = options.readsUntilProcessed ?? 1;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { accountId: this.accountId, advertiserIds: [...this.advertiserIds], accessToken: this.accessToken, apiBaseUrl: this.url, ...extra };
  }

  /** The value Viant keeps for a raw identifier (see `normaliseViant`). */
  static expectedKey(kind: ViantIdentifierKind, raw: string): string | undefined {
    return normaliseViant(kind, raw);
  }

  /** The JWT is revoked: every call gets 401. */
  revokeToken(): void {
    this.#revoked = true;
  }

  /** A segment's members, removal jobs applied or not (a copy). */
  members(segmentId: string): Set<string> {
    return new Set(this.segments.get(segmentId)?.audience.members);
  }

  segmentsNamed(name: string): Segment[] {
    return [...this.segments.values()].filter((s) => s.audience.name === name);
  }

  protected override throttleReply(_fault: Fault): FakeReply {
    return message(429, 'Too Many Requests');
  }

  /** Why Viant refuses one value of a segment of `dataType`, or undefined (never the value itself). */
  protected recordProblem(value: unknown, dataType: DataType): string | undefined {
    if (typeof value !== 'string' || value === '') return 'empty value';
    if (dataType.endsWith('_sha256') && !isLowerHexHash(value)) return 'not a SHA-256 hash';
    return undefined;
  }

  protected override handle(req: FakeRequest): FakeReply {
    if (this.#revoked || req.headers.authorization !== `Bearer ${this.accessToken}`) return message(401, 'Unauthorized - Invalid JWT');
    if (!req.path.startsWith(`${VIANT_API_PREFIX}/audiences`)) return message(404, `No route ${req.path}`);
    const rest = req.path.slice(`${VIANT_API_PREFIX}/audiences`.length).split('/').filter(Boolean);
    if (rest.length === 0) return req.method === 'POST' ? this.#create(req.body) : req.method === 'GET' ? this.#list(req.query) : message(405, 'Method not allowed');
    const segment = this.segments.get(rest[0] as string);
    if (!segment) return message(404, 'Audience not found');
    if (rest.length === 1) {
      if (req.method === 'GET') return { status: 200, body: this.#view(segment, true) };
      if (req.method === 'PUT' && req.query.get('action') === 'expireSegment') {
        segment.archived = true;
        return { status: 200, body: { message: 'Segment successfully archived', segmentId: segment.audience.id, status: 'ARCHIVED' } };
      }
      return message(405, 'Method not allowed');
    }
    if (rest.length === 2 && rest[1] === 'data') {
      if (segment.archived) return message(400, 'Segment is ARCHIVED');
      if (req.rawLength > VIANT_MAX_BODY_BYTES) return message(413, `Request body over ${VIANT_MAX_BODY_BYTES} bytes`);
      if (req.method === 'POST') return this.#add(segment, req.body);
      if (req.method === 'PUT' && req.query.get('action') === 'expireSpecificAudience') return this.#expire(segment, req.body);
      return message(405, 'Method not allowed');
    }
    return message(404, `No route ${req.path}`);
  }

  #create(body: unknown): FakeReply {
    if (!isRecord(body)) return message(400, 'A JSON object is required');
    if (typeof body.name !== 'string' || body.name.trim() === '') return message(400, 'name is required');
    if (!DATA_TYPES.includes(body.dataType as DataType)) return message(400, `dataType must be one of ${DATA_TYPES.join(', ')}`);
    if (typeof body.accountId !== 'number' || String(body.accountId) !== this.accountId) return message(403, 'accountId is not an account of this token');
    const advertisers = body.advertiserIds;
    if (!Array.isArray(advertisers) || advertisers.length === 0 || advertisers.some((a) => typeof a !== 'number' || !this.advertiserIds.includes(String(a))))
      return message(403, 'advertiserIds must be advertisers of this token (integers)');
    const ttl = body.ttl ?? TTL.max;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < TTL.min || ttl > TTL.max) return message(400, `ttl must be ${TTL.min}-${TTL.max} seconds`);
    if (typeof body.externalAudienceId !== 'string' || body.externalAudienceId === '') return message(400, 'externalAudienceId is required');
    const id = `fpsegm${this.#nextId++}`;
    const externalAudienceId = body.externalAudienceId;
    this.segments.set(id, {
      audience: new SandboxAudience(id, body.name),
      dataType: body.dataType as DataType,
      externalAudienceId,
      advertiserIds: advertisers.map(String),
      ttl,
      archived: false,
      expiring: [],
    });
    return { status: 200, body: { name: body.name, externalAudienceId, viantSegmentId: id, status: 'INACTIVE', ttl } };
  }

  #list(query: URLSearchParams): FakeReply {
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const size = Math.min(500, Math.max(1, Number(query.get('pageSize') ?? 100) || 100));
    const all = [...this.segments.values()];
    return { status: 200, body: { data: all.slice((page - 1) * size, page * size).map((s) => this.#view(s, false)) } };
  }

  #view(s: Segment, read: boolean): Record<string, unknown> {
    if (read && !s.audience.observe()) this.#process(s);
    const matched = s.audience.processed?.matched ?? 0;
    return {
      viantSegmentId: s.audience.id,
      name: s.audience.name,
      externalAudienceId: s.externalAudienceId,
      accountId: Number(this.accountId),
      advertiserIds: s.advertiserIds.map(Number),
      ttl: s.ttl,
      status: s.archived ? 'ARCHIVED' : matched >= VIANT_MIN_MATCHES ? 'ACTIVE' : 'INACTIVE',
      dataCount: s.audience.processed?.size ?? 0,
    };
  }

  /** The processing run: removal jobs are applied and the figures computed. */
  #process(s: Segment): void {
    for (const values of s.expiring.splice(0)) for (const v of values) s.audience.members.delete(v);
    s.audience.settle();
  }

  #add(segment: Segment, body: unknown): FakeReply {
    if (!Array.isArray(body) || body.length === 0) return message(400, 'The payload must be a non-empty JSON array of objects');
    const bad: string[] = [];
    let records = 0;
    for (const item of body) {
      if (!isRecord(item) || item.viantSegmentId !== segment.audience.id) return message(400, 'viantSegmentId in the payload must match the URL');
      if (typeof item.countryCode !== 'string' || !/^[A-Z]{2}$/.test(item.countryCode)) return message(400, 'countryCode must be an ISO 3166-1 alpha-2 code');
      if (!Array.isArray(item.values) || item.values.length === 0) return message(400, 'values must be a non-empty array');
      for (const value of item.values) {
        records++;
        // Values are hashes here; one that is not is not echoed.
        if (this.recordProblem(value, segment.dataType)) bad.push(typeof value === 'string' && isLowerHexHash(value) ? value : '<not a hash>');
      }
    }
    this.uploads.push({ segmentId: segment.audience.id, kind: 'add', values: records, bad: bad.length });
    if (bad.length > 0)
      return { status: 400, body: { message: `invalid payload: ${bad.length} bad record(s)`, published: 0, failed_publishes: 0, bad_records: bad.length, bad_records_details: bad.join(', ') } };
    for (const item of body as { values: string[] }[]) for (const v of item.values) segment.audience.members.add(v);
    segment.audience.changed(this.readsUntilProcessed);
    if (!segment.audience.processing) this.#process(segment);
    return { status: 200, body: { message: 'Audience data payload processed.', published: records, failed_publishes: 0, bad_records: 0, bad_records_details: '' } };
  }

  #expire(segment: Segment, body: unknown): FakeReply {
    if (!isRecord(body)) return message(400, 'A JSON object is required');
    if (body.segmentId !== segment.audience.id) return message(400, 'segmentId must match the URL');
    if (body.dataType !== segment.dataType) return message(400, `dataType must be the segment's (${segment.dataType})`);
    if (!Array.isArray(body.values) || body.values.length === 0) return message(400, 'values must be a non-empty array');
    if (body.values.some((v) => this.recordProblem(v, segment.dataType) !== undefined)) return message(400, 'values must be of the segment data type');
    segment.expiring.push(body.values as string[]);
    this.uploads.push({ segmentId: segment.audience.id, kind: 'expire', values: body.values.length, bad: 0 });
    segment.audience.changed(this.readsUntilProcessed);
    if (!segment.audience.processing) this.#process(segment);
    const job = `00000000-0000-4000-8000-${String(this.#nextJob++).padStart(12, '0')}`;
    return { status: 200, body: { created: new Date().toISOString(), job_id: job, message: 'Expire specific audience request created successfully', segment_id: segment.audience.id, status: 'REQUESTED' } };
  }
}
