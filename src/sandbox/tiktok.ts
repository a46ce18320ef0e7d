import { createHash, randomBytes } from 'node:crypto';
import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, FakeServerBase, isLowerHexHash, isRecord } from './fake-server';
import { e164, SandboxAudience, sha256Hex } from './sandbox-audience';

/**
 * Contract fake of TikTok customer-file custom audiences (Business API v1.3), written from the
 * reference's §6, TikTok's API docs and the official tiktok-business-api-sdk:
 *
 * - the `Access-Token` header on every call; errors as HTTP 200 with a non-zero `code`: 40104
 *   empty token, 40105 invalid or revoked token, 40001 an advertiser the token may not act for,
 *   40002 bad parameters, 40051 a version other than v1.3, 40100 throttling (no header);
 * - `POST /open_api/v1.3/dmp/custom_audience/file/upload/` (multipart: advertiser_id,
 *   calculate_type, file as .csv/.txt, file_signature = MD5 hex of the file; at most 250 MB),
 *   answering `data.file_path`;
 * - `create/` (name <= 128, calculate_type, file_paths), `update/` with `action`
 *   APPEND / REMOVE / REPLACE, where **no action means REPLACE**, and every operation that would
 *   leave fewer than 1,000 entries fails; `get/` (audience_details with `cover_num`, `is_valid`,
 *   and audience_history whose `msg` reports lines that failed to parse) and `list/` (paged);
 * - an audience is not valid (cannot be updated) until its first calculation is done.
 *
 * Members are `<calculate_type>=<hash>` keys, e.g. `EMAIL_SHA256=<hex>`.
 */

export const TIKTOK_API = '/open_api/v1.3/';
export const TIKTOK_MIN_AUDIENCE = 1_000;
export const TIKTOK_MAX_FILE_BYTES = 250 * 1024 * 1024;
const SHA256_TYPES = ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256', 'GAID_SHA256', 'MAID_SHA256', 'FIRST_SHA256'];
const MD5_TYPES = ['IDFA_MD5', 'GAID_MD5', 'MAID_MD5', 'FIRST_MD5'];
const ACTIONS = ['APPEND', 'REMOVE', 'REPLACE'] as const;
type Action = (typeof ACTIONS)[number];

export type TikTokIdentifierKind = Extract<IdentifierKind, 'email' | 'phone' | 'mobileAdId'>;
const CALCULATE_TYPE: Record<TikTokIdentifierKind, string> = { email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', mobileAdId: 'MAID_SHA256' };

/**
 * The key TikTok keeps for one raw value (reference §1.2): email with every space removed and
 * lowercased; phone in E.164 **with** `+` (read in `countryCode` when it has no `+`); mobile ad id
 * trimmed and lowercased; each SHA-256 hashed and prefixed with its calculate_type. Undefined when
 * the value is unusable.
 */
export function normaliseTikTok(kind: TikTokIdentifierKind, raw: string, context: { countryCode?: string } = {}): string | undefined {
  let value: string | undefined;
  if (kind === 'email') value = raw.replace(/\s+/g, '').toLowerCase();
  else if (kind === 'phone') value = e164(raw, context.countryCode);
  else value = raw.trim().toLowerCase();
  return value ? `${CALCULATE_TYPE[kind]}=${sha256Hex(value)}` : undefined;
}

export interface TikTokFakeOptions {
  advertiserId?: string;
  accessToken?: string;
  maxFileBytes?: number;
  /** Reads (get/) after a change that still show the audience calculating (default 1). */
  readsUntilProcessed?: number;
}

interface UploadedFile {
  advertiserId: string;
  calculateType: string | undefined;
  lines: string[];
}

interface HistoryEntry {
  action: string;
  action_detail: string;
  editor: string;
  msg: string;
  opt_time: string;
}

interface CustomAudience {
  audience: SandboxAudience;
  calculateType: string;
  subType: string;
  retentionDays: number;
  history: HistoryEntry[];
  /** Valid once its first calculation is done. */
  valid: boolean;
}

function reply(code: number, message: string, data: unknown = {}): FakeReply {
  return { status: 200, body: { code, message, request_id: randomBytes(12).toString('hex'), data } };
}
const ok = (data: unknown): FakeReply => reply(0, 'OK', data);
const paramError = (message: string): FakeReply => reply(40002, message);

/** `YYYY-MM-DD HH:MM:SS` in UTC, TikTok's time format. */
function tiktokTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** Whether a file line is a well-formed value of `calculateType`. */
function lineFits(calculateType: string, line: string): boolean {
  if (SHA256_TYPES.includes(calculateType)) return isLowerHexHash(line);
  return /^[0-9a-f]{32}$/.test(line);
}

export class TikTokFake extends FakeServerBase {
  readonly advertiserId: string;
  readonly accessToken: string;
  maxFileBytes: number;
  readsUntilProcessed: number;
  readonly audiences = new Map<string, CustomAudience>();
  readonly files = new Map<string, UploadedFile>();
  /** Every update/ call: the action it asked for (undefined when none was sent) and the one applied. */
  readonly updates: { requested: string | undefined; applied: Action | 'RENAME' }[] = [];
  #revoked = false;
  #nextId = 7_300_000_000_000_000_000n;

  constructor(options: TikTokFakeOptions = {}) {
    super();
    this.advertiserId = options.advertiserId ?? '7100000000000000001';
    this.accessToken = options.accessToken ?? `sandbox-tiktok-${randomBytes(12).toString('hex')}`;
    this.maxFileBytes = options.maxFileBytes ?? TIKTOK_MAX_FILE_BYTES;
    this.readsUntilProcessed = options.readsUntilProcessed ?? 1;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { advertiserId: this.advertiserId, accessToken: this.accessToken, apiBaseUrl: this.url, ...extra };
  }

  /** The key TikTok keeps for a raw value (see `normaliseTikTok`). */
  static expectedKey(kind: TikTokIdentifierKind, raw: string, context: { countryCode?: string } = {}): string | undefined {
    return normaliseTikTok(kind, raw, context);
  }

  /** Revokes the access token (the advertiser removes the app's authorisation). */
  revokeToken(): void {
    this.#revoked = true;
  }

  audiencesNamed(name: string): CustomAudience[] {
    return [...this.audiences.values()].filter((a) => a.audience.name === name);
  }

  /** The audience's member keys (a copy). */
  members(audienceId: string): Set<string> {
    return new Set(this.audiences.get(audienceId)?.audience.members);
  }

  /** Ends every audience's calculation now (what TikTok does within 48 hours). */
  settle(): void {
    for (const a of this.audiences.values()) {
      a.audience.settle();
      a.valid = true;
    }
  }

  protected override async parseBody(raw: string, contentType: string | undefined): Promise<unknown> {
    if (contentType?.startsWith('multipart/form-data')) return new Response(raw, { headers: { 'content-type': contentType } }).formData();
    return super.parseBody(raw, contentType);
  }

  protected override throttleReply(_fault: Fault): FakeReply {
    return reply(40100, 'Too many requests. Please retry in some time.');
  }

  protected override async handle(req: FakeRequest): Promise<FakeReply> {
    const version = /^\/open_api\/(v[\d.]+)\//.exec(req.path)?.[1];
    if (!version) return { status: 404, body: { code: 40404, message: 'Not found' } };
    const token = req.headers['access-token'];
    if (typeof token !== 'string' || token === '') return reply(40104, 'Access token is empty.');
    if (token !== this.accessToken || this.#revoked) return reply(40105, 'Access token is incorrect or has been revoked.');
    if (version !== 'v1.3') return reply(40051, `API version ${version} is not supported.`);
    const endpoint = req.path.slice(TIKTOK_API.length).replace(/\/$/, '');
    const params = req.method === 'GET' ? Object.fromEntries(req.query) : req.body instanceof FormData ? formFields(req.body) : isRecord(req.body) ? req.body : {};
    if (params.advertiser_id !== this.advertiserId) return reply(40001, 'No permission to operate advertiser.');
    if (req.method === 'POST' && endpoint === 'dmp/custom_audience/file/upload') return this.#upload(req.body);
    if (req.method === 'POST' && endpoint === 'dmp/custom_audience/create') return this.#create(params);
    if (req.method === 'POST' && endpoint === 'dmp/custom_audience/update') return this.#update(params);
    if (req.method === 'GET' && endpoint === 'dmp/custom_audience/get') return this.#get(params);
    if (req.method === 'GET' && endpoint === 'dmp/custom_audience/list') return this.#list(params);
    return { status: 404, body: { code: 40404, message: 'Not found' } };
  }

  async #upload(body: unknown): Promise<FakeReply> {
    if (!(body instanceof FormData)) return paramError('file upload takes multipart/form-data.');
    const file = body.get('file');
    if (!(file instanceof File)) return paramError('file: field is required.');
    if (!/\.(csv|txt)$/i.test(file.name)) return paramError('file: only .csv and .txt files are accepted.');
    const bytes = Buffer.from(await file.arrayBuffer());
    if (bytes.length > this.maxFileBytes) return paramError(`file: larger than ${this.maxFileBytes} bytes; split it into several files.`);
    const signature = body.get('file_signature');
    if (typeof signature !== 'string' || signature.toLowerCase() !== createHash('md5').update(bytes).digest('hex'))
      return paramError('file_signature: does not match the MD5 of the file.');
    const calculateType = body.get('calculate_type');
    if (calculateType !== null && (typeof calculateType !== 'string' || !isCalculateType(calculateType))) return paramError('calculate_type: invalid value.');
    const lines = bytes
      .toString('utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const path = `${this.advertiserId}/${randomBytes(10).toString('hex')}.${file.name.split('.').pop()}`;
    this.files.set(path, { advertiserId: this.advertiserId, calculateType: calculateType ?? undefined, lines });
    return ok({ file_path: path });
  }

  /** The valid values of the files and how many lines failed, or an error reply. */
  #readFiles(paths: unknown, calculateType: string): { values: string[]; failed: number } | FakeReply {
    if (!Array.isArray(paths) || paths.length === 0) return paramError('file_paths: field is required.');
    const values: string[] = [];
    let failed = 0;
    for (const p of paths) {
      const file = typeof p === 'string' ? this.files.get(p) : undefined;
      if (!file || file.advertiserId !== this.advertiserId) return paramError('file_paths: file does not exist or belongs to another advertiser.');
      if (file.calculateType !== undefined && file.calculateType !== calculateType) return paramError('file_paths: files must use the audience\'s calculate_type.');
      for (const line of file.lines) {
        if (lineFits(calculateType, line)) values.push(`${calculateType}=${line}`);
        else failed++;
      }
    }
    return { values, failed };
  }

  #create(params: Record<string, unknown>): FakeReply {
    const name = params.custom_audience_name;
    if (typeof name !== 'string' || name === '' || name.length > 128) return paramError('custom_audience_name: 1 to 128 characters.');
    const calculateType = params.calculate_type;
    if (typeof calculateType !== 'string' || !isCalculateType(calculateType)) return paramError('calculate_type: invalid value.');
    const retention = params.retention_in_days ?? 365;
    if (typeof retention !== 'number' || !Number.isInteger(retention) || retention < 1 || retention > 365) return paramError('retention_in_days: 1 to 365.');
    const read = this.#readFiles(params.file_paths, calculateType);
    if ('status' in read) return read;
    const values = new Set(read.values);
    if (values.size < TIKTOK_MIN_AUDIENCE) return paramError(`The audience must have at least ${TIKTOK_MIN_AUDIENCE} entries.`);
    const id = String(this.#nextId++);
    const audience = new SandboxAudience(id, name);
    for (const v of values) audience.members.add(v);
    const entry: CustomAudience = {
      audience,
      calculateType,
      subType: typeof params.audience_sub_type === 'string' ? params.audience_sub_type : 'NORMAL',
      retentionDays: retention,
      history: [],
      valid: false,
    };
    this.audiences.set(id, entry);
    this.#record(entry, 'CREATE', read.failed);
    audience.changed(this.readsUntilProcessed);
    if (!audience.processing) entry.valid = true;
    return ok({ custom_audience_id: id });
  }

  #update(params: Record<string, unknown>): FakeReply {
    const entry = this.audiences.get(String(params.custom_audience_id));
    if (!entry) return paramError('custom_audience_id: audience does not exist.');
    if (!entry.valid) return paramError('The audience is still calculating (is_valid=false) and cannot be modified yet.');
    const requested = params.action;
    if (params.file_paths === undefined) {
      const name = params.custom_audience_name;
      if (typeof name !== 'string' || name === '' || name.length > 128) return paramError('Pass custom_audience_name or file_paths.');
      entry.audience.name = name;
      this.updates.push({ requested: typeof requested === 'string' ? requested : undefined, applied: 'RENAME' });
      return ok({});
    }
    // The documented default: an update with files and no action replaces the whole audience.
    const action = requested === undefined ? 'REPLACE' : requested;
    if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) return paramError('action: APPEND, REMOVE or REPLACE.');
    const read = this.#readFiles(params.file_paths, entry.calculateType);
    if ('status' in read) return read;
    const members = entry.audience.members;
    const next = action === 'REPLACE' ? new Set(read.values) : new Set(members);
    if (action === 'APPEND') for (const v of read.values) next.add(v);
    if (action === 'REMOVE') for (const v of read.values) next.delete(v);
    if (next.size < TIKTOK_MIN_AUDIENCE) return paramError(`The audience size would be less than ${TIKTOK_MIN_AUDIENCE} after the operation.`);
    members.clear();
    for (const v of next) members.add(v);
    this.updates.push({ requested: typeof requested === 'string' ? requested : undefined, applied: action as Action });
    this.#record(entry, action, read.failed);
    entry.audience.changed(this.readsUntilProcessed);
    return ok({});
  }

  #record(entry: CustomAudience, action: string, failed: number): void {
    entry.history.unshift({
      action,
      action_detail: `${action} by file`,
      editor: 'open_api',
      msg: failed > 0 ? `Partial success: ${failed} lines in the files could not be parsed.` : '',
      opt_time: tiktokTime(new Date()),
    });
  }

  #get(params: Record<string, unknown>): FakeReply {
    let ids: unknown;
    try {
      ids = JSON.parse(String(params.custom_audience_ids));
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) return paramError('custom_audience_ids: a JSON array of 1 to 100 ids.');
    const list: unknown[] = [];
    for (const id of ids) {
      const entry = this.audiences.get(String(id));
      if (!entry) return paramError('custom_audience_ids: audience does not exist.');
      if (!entry.audience.observe()) entry.valid = true;
      list.push({ audience_details: this.#details(entry), audience_history: entry.history.slice(0, Number(params.history_size ?? 10)) });
    }
    return ok({ list });
  }

  #list(params: Record<string, unknown>): FakeReply {
    const page = Number(params.page ?? 1);
    const pageSize = Number(params.page_size ?? 10);
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) return paramError('page >= 1 and page_size 1 to 100.');
    const all = [...this.audiences.values()];
    return ok({
      list: all.slice((page - 1) * pageSize, page * pageSize).map((e) => this.#details(e)),
      page_info: { page, page_size: pageSize, total_number: all.length, total_page: Math.ceil(all.length / pageSize) },
    });
  }

  #details(e: CustomAudience): Record<string, unknown> {
    const created = e.audience.createdAt;
    return {
      audience_id: e.audience.id,
      name: e.audience.name,
      audience_type: 'Customer File Audience',
      audience_sub_type: e.subType,
      calculate_type: e.calculateType,
      cover_num: e.audience.processed?.matched ?? 0,
      is_valid: e.valid,
      is_expired: false,
      is_expiring: false,
      is_creator: true,
      shared: false,
      owner_id: this.advertiserId,
      create_time: tiktokTime(created),
      expired_time: tiktokTime(new Date(created.getTime() + e.retentionDays * 86_400_000)),
      msg: e.audience.processing ? 'Calculating' : '',
      error_msg: '',
    };
  }
}

function isCalculateType(value: string): boolean {
  return SHA256_TYPES.includes(value) || MD5_TYPES.includes(value);
}

/** The text fields of a multipart form. */
function formFields(form: FormData): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of form.entries()) if (typeof v === 'string') fields[k] = v;
  return fields;
}
