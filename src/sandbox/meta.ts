import { randomBytes } from 'node:crypto';
import { type Fault, type FakeReply, type FakeRequest, FakeServerBase, isLowerHexHash, isRecord, matches } from './fake-server';

/**
 * Contract fake of Meta's customer-file custom audiences (Graph API), enforcing what the
 * reference documents: `access_token` on every call (revocable: code 190), customer-file
 * audiences (`subtype=CUSTOM`, `customer_file_source`) listed per ad account, `POST`/`DELETE
 * /{audience_id}/users` with a single- or multi-key schema, <= 10,000 rows per request, 64-hex
 * lowercase hashes for every key but MADID (lowercase, unhashed) and EXTERN_ID, session fields
 * (session_id, batch_seq from 1 and increasing, last_batch_flag closing the session, cumulative
 * num_received), invalid entries counted with up to 100 samples, throttles as HTTP 400 with
 * codes 17/613/80003 and an X-Business-Use-Case-Usage header, and approximate counts /
 * operation_status read-back.
 *
 * Members are kept as canonical tuples: `KEY=value` cells of the row, sorted, joined by `|`.
 */

const SCHEMA_KEYS = new Set(['EMAIL', 'PHONE', 'FN', 'LN', 'ZIP', 'CT', 'ST', 'COUNTRY', 'DOBY', 'DOBM', 'DOBD', 'GEN', 'FI', 'MADID', 'EXTERN_ID']);
const LEGACY_SINGLE: Record<string, string> = { EMAIL_SHA256: 'EMAIL', PHONE_SHA256: 'PHONE', MOBILE_ADVERTISER_ID: 'MADID' };
const UNHASHED = new Set(['MADID', 'EXTERN_ID']);
const MADID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_ROWS = 10_000;
/** Rows of one `/users` request checked between two turns of the event loop. */
const SLICE_ROWS = 1_000;
/** How a cell is checked: a 64-hex hash, a MADID, or anything (EXTERN_ID). */
const CELL_HASH = 0;
const CELL_MADID = 1;
const CELL_PLAIN = 2;

/** A small integer from the end of a cell value (the random part of a hash), for bucketing. */
function bucketOf(value: string): number {
  let h = 0;
  for (let i = Math.max(0, value.length - 12); i < value.length; i++) h = (Math.imul(h, 31) + value.charCodeAt(i)) | 0;
  return h & 0x3fffffff;
}

/** Entry types of the change log (low bits of an entry's first byte); the top bit says add. */
const ENTRY_HASH = 0;
const ENTRY_SINGLE = 1;
const ENTRY_MULTI = 2;
const ADD_BIT = 0x80;
/** Bytes of a log entry: type, key, then a 32-byte digest or a 4-byte index into the text log. */
const HASH_ENTRY = 34;
const TEXT_ENTRY = 6;

/**
 * An audience's members as a set of keys (`KEY=value`; tuples of several cells only where a caller
 * logs them, see metaTupleKey). Uploads only append their changes
 * to a log, in order, and the log is folded into the member sets when anything reads them: an
 * upload touches each row once, sequentially, where updating a set of a million members in place
 * costs a cache miss or two per row. Hashed single-key rows (nearly all of them) are logged as
 * their 32 bytes in one buffer, not as strings: a million live strings cost the garbage collector
 * more than checking the rows does.
 *
 * Folded, tuples of one cell, `KEY=value`, are kept per key by value in buckets keyed by a small
 * integer: adding a million fresh strings to a Set<string> costs about a microsecond each, most
 * of it hashing them. Tuples of several cells are kept as they are.
 */
export class Members implements Iterable<string> {
  readonly #single = new Map<string, Map<number, string | string[]>>();
  readonly #multi = new Set<string>();
  #size = 0;
  /** Changes not folded in yet, in order (see ENTRY_*); `#text` holds the values of non-hash entries. */
  #log = Buffer.allocUnsafeSlow(4096);
  #logLength = 0;
  #text: string[] = [];
  /** Schema keys by the index a log entry records. */
  readonly #keys: string[] = [];

  get size(): number {
    this.#fold();
    return this.#size;
  }

  /** Adds or removes the tuple `key=hash`, for a 64-character lowercase hex hash. */
  singleHash(key: string, hash: string, add: boolean): void {
    const at = this.#entry(ENTRY_HASH, key, add, HASH_ENTRY);
    this.#log.write(hash, at + 2, 32, 'hex');
  }

  /** Adds or removes the tuple `key=value`. */
  single(key: string, value: string, add: boolean): void {
    const at = this.#entry(ENTRY_SINGLE, key, add, TEXT_ENTRY);
    this.#log.writeUInt32LE(this.#text.push(value) - 1, at + 2);
  }

  /** Adds or removes a tuple of several cells (canonical, from metaTupleKey). */
  multi(tuple: string, add: boolean): void {
    const at = this.#entry(ENTRY_MULTI, '', add, TEXT_ENTRY);
    this.#log.writeUInt32LE(this.#text.push(tuple) - 1, at + 2);
  }

  *[Symbol.iterator](): Iterator<string> {
    this.#fold();
    for (const [key, byBucket] of this.#single)
      for (const held of byBucket.values()) {
        if (typeof held === 'string') yield `${key}=${held}`;
        else for (const v of held) yield `${key}=${v}`;
      }
    yield* this.#multi;
  }

  /** Appends an entry's first two bytes and returns where it starts. */
  #entry(type: number, key: string, add: boolean, size: number): number {
    if (this.#logLength + size > this.#log.length) {
      const grown = Buffer.allocUnsafeSlow(this.#log.length * 2);
      this.#log.copy(grown, 0, 0, this.#logLength);
      this.#log = grown;
    }
    let k = this.#keys.indexOf(key);
    if (k < 0) k = this.#keys.push(key) - 1;
    const at = this.#logLength;
    this.#log[at] = type | (add ? ADD_BIT : 0);
    this.#log[at + 1] = k;
    this.#logLength += size;
    return at;
  }

  #fold(): void {
    const log = this.#log;
    for (let at = 0; at < this.#logLength; ) {
      const type = (log[at] as number) & ~ADD_BIT;
      const add = ((log[at] as number) & ADD_BIT) !== 0;
      const key = this.#keys[log[at + 1] as number] as string;
      if (type === ENTRY_HASH) {
        this.#foldSingle(key, log.toString('hex', at + 2, at + HASH_ENTRY), add);
        at += HASH_ENTRY;
      } else {
        const value = this.#text[log.readUInt32LE(at + 2)] as string;
        if (type === ENTRY_SINGLE) this.#foldSingle(key, value, add);
        else this.#foldMulti(value, add);
        at += TEXT_ENTRY;
      }
    }
    this.#logLength = 0;
    this.#text = [];
  }

  #foldSingle(key: string, value: string, add: boolean): void {
    let byBucket = this.#single.get(key);
    if (!byBucket) this.#single.set(key, (byBucket = new Map()));
    const bucket = bucketOf(value);
    const held = byBucket.get(bucket);
    const found = held === undefined ? false : typeof held === 'string' ? held === value : held.includes(value);
    if (found === add) return;
    if (add) {
      if (held === undefined) byBucket.set(bucket, value);
      else if (typeof held === 'string') byBucket.set(bucket, [held, value]);
      else held.push(value);
      this.#size++;
    } else {
      if (typeof held === 'string') byBucket.delete(bucket);
      else if (held) {
        held.splice(held.indexOf(value), 1);
        if (held.length === 1) byBucket.set(bucket, held[0] as string);
      }
      this.#size--;
    }
  }

  #foldMulti(tuple: string, add: boolean): void {
    const before = this.#multi.size;
    if (add) this.#multi.add(tuple);
    else this.#multi.delete(tuple);
    this.#size += this.#multi.size - before;
  }
}

interface Audience {
  id: string;
  name: string;
  subtype: string;
  customerFileSource: string;
  members: Members;
  operationStatus: number;
}

/** What the rows of one `/users` request came to. */
interface Tally {
  invalid: number;
  matched: number;
  /** Up to 100 invalid values with Meta's explanation. */
  samples: Record<string, string>;
}

interface Session {
  lastSeq: number;
  finished: boolean;
  received: number;
  matched: number;
  invalid: number;
}

export interface MetaFakeOptions {
  adAccountId?: string;
  accessToken?: string;
}

/** The canonical tuple of one data row. */
export function metaTupleKey(schema: readonly string[], row: readonly string[]): string {
  if (schema.length === 1) return row[0] ? `${schema[0]}=${row[0]}` : '';
  const cells: string[] = [];
  schema.forEach((k, i) => {
    const v = row[i];
    if (v !== undefined && v !== '') cells.push(`${k}=${v}`);
  });
  return cells.sort().join('|');
}

function graphError(code: number, message: string, extra: Record<string, unknown> = {}, status = 400): FakeReply {
  return { status, body: { error: { message, type: code === 190 ? 'OAuthException' : 'GraphMethodException', code, fbtrace_id: 'fake', ...extra } } };
}

export class MetaFake extends FakeServerBase {
  readonly adAccountId: string;
  accessToken: string;
  readonly audiences = new Map<string, Audience>();
  readonly sessions = new Map<string, Session>();
  /** Cell values the fake counts as invalid entries (per-row rejection injection). */
  readonly invalidValues = new Set<string>();
  /** Every `/users` request's size and session, in arrival order. */
  readonly uploads: { method: string; rows: number; sessionId: number; batchSeq: number; last: boolean }[] = [];
  #revoked = false;
  #nextId = 23850000000000;

  constructor(options: MetaFakeOptions = {}) {
    super();
    this.adAccountId = options.adAccountId ?? '1234567890';
    this.accessToken = options.accessToken ?? `EAAfake${randomBytes(8).toString('hex')}`;
  }

  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { adAccountId: `act_${this.adAccountId}`, accessToken: this.accessToken, apiBaseUrl: this.url, ...extra };
  }

  /** Invalidates the access token (a user removing the app or a system user losing access). */
  revokeToken(): void {
    this.#revoked = true;
  }

  audienceByName(name: string): Audience | undefined {
    for (const a of this.audiences.values()) if (a.name === name) return a;
    return undefined;
  }

  /** The audience's tuples (a copy). */
  members(name: string): Set<string> {
    return new Set(this.audienceByName(name)?.members);
  }

  protected override throttleReply(fault: Fault): FakeReply {
    const minutes = (fault.retryAfterMs ?? 0) / 60_000;
    const usage = { [this.adAccountId]: [{ type: 'custom_audience', call_count: 100, total_cputime: 40, total_time: 60, estimated_time_to_regain_access: minutes }] };
    return {
      ...graphError(80003, 'There have been too many calls to this ad-account.', { error_subcode: 2446079, is_transient: true }),
      headers: { 'x-business-use-case-usage': JSON.stringify(usage) },
    };
  }

  protected override handle(req: FakeRequest): FakeReply | Promise<FakeReply> {
    const body = isRecord(req.body) ? req.body : {};
    const token = req.method === 'GET' ? req.query.get('access_token') : body.access_token ?? req.query.get('access_token');
    if (typeof token !== 'string' || token !== this.accessToken || this.#revoked)
      return graphError(190, 'Error validating access token: The session has been invalidated.', { error_subcode: 460 });
    const m = /^\/v\d+\.\d+\/(.+)$/.exec(req.path);
    if (!m) return graphError(100, 'Unknown path components');
    const path = m[1] as string;
    const account = /^act_(\d+)(\/customaudiences)?$/.exec(path);
    if (account) {
      if (account[1] !== this.adAccountId) return graphError(100, 'Unsupported request: object does not exist', { error_subcode: 33 });
      if (!account[2]) return { status: 200, body: { id: `act_${this.adAccountId}`, name: 'Fake ad account' } };
      if (req.method === 'GET') return this.#list(req.query);
      if (req.method === 'POST') return this.#create(body);
    }
    const users = /^(\d+)\/users$/.exec(path);
    if (users && (req.method === 'POST' || req.method === 'DELETE')) return this.#users(users[1] as string, req.method, body);
    const sessions = /^(\d+)\/sessions$/.exec(path);
    if (sessions && req.method === 'GET') return this.#sessions(sessions[1] as string);
    const node = /^(\d+)$/.exec(path);
    if (node && req.method === 'GET') return this.#read(node[1] as string);
    return graphError(100, 'Unsupported request');
  }

  #list(query: URLSearchParams): FakeReply {
    const all = [...this.audiences.values()];
    const limit = Number(query.get('limit') ?? 25);
    const start = Number(query.get('after') ?? 0);
    const page = all.slice(start, start + limit).map((a) => ({ id: a.id, name: a.name, subtype: a.subtype }));
    const more = start + limit < all.length;
    return {
      status: 200,
      body: {
        data: page,
        paging: { cursors: { before: String(start), after: String(start + limit) }, ...(more ? { next: 'https://graph.fake/next' } : {}) },
      },
    };
  }

  #create(body: Record<string, unknown>): FakeReply {
    if (typeof body.name !== 'string' || body.name === '') return graphError(100, 'Invalid parameter: name');
    if (body.subtype !== 'CUSTOM') return graphError(100, 'Invalid parameter: subtype');
    if (!['USER_PROVIDED_ONLY', 'PARTNER_PROVIDED_ONLY', 'BOTH_USER_AND_PARTNER_PROVIDED'].includes(String(body.customer_file_source)))
      return graphError(100, 'Invalid parameter: customer_file_source');
    const id = String(this.#nextId++);
    this.audiences.set(id, { id, name: body.name, subtype: 'CUSTOM', customerFileSource: String(body.customer_file_source), members: new Members(), operationStatus: 200 });
    return { status: 200, body: { id } };
  }

  async #users(id: string, method: string, body: Record<string, unknown>): Promise<FakeReply> {
    const audience = this.audiences.get(id);
    if (!audience) return graphError(100, 'Unsupported request: object does not exist', { error_subcode: 33 });
    const payload = typeof body.payload === 'string' ? (JSON.parse(body.payload) as unknown) : body.payload;
    const session = typeof body.session === 'string' ? (JSON.parse(body.session) as unknown) : body.session;
    if (!isRecord(payload)) return graphError(100, 'Invalid parameter: payload');
    let schema: string[];
    if (typeof payload.schema === 'string') schema = [LEGACY_SINGLE[payload.schema] ?? payload.schema];
    else if (Array.isArray(payload.schema)) schema = payload.schema.map(String);
    else return graphError(100, 'Invalid parameter: schema');
    if (schema.length === 0 || schema.some((k) => !SCHEMA_KEYS.has(k)) || new Set(schema).size !== schema.length)
      return graphError(100, 'Invalid parameter: schema');
    if (!Array.isArray(payload.data) || payload.data.length === 0) return graphError(100, 'Invalid parameter: data');
    if (payload.data.length > MAX_ROWS) return graphError(100, `Invalid parameter: too many rows in data (max ${MAX_ROWS})`, { error_subcode: 1487051 });

    if (!isRecord(session)) return graphError(100, 'Invalid parameter: session');
    const sessionId = session.session_id;
    const seq = session.batch_seq;
    if (typeof sessionId !== 'number' || !Number.isInteger(sessionId) || sessionId <= 0) return graphError(100, 'Invalid parameter: session_id');
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return graphError(100, 'Invalid parameter: batch_seq');
    if (typeof session.last_batch_flag !== 'boolean') return graphError(100, 'Invalid parameter: last_batch_flag');
    if (session.estimated_num_total !== undefined && (typeof session.estimated_num_total !== 'number' || session.estimated_num_total < 0))
      return graphError(100, 'Invalid parameter: estimated_num_total');
    const key = `${id}/${sessionId}`;
    const state = this.sessions.get(key) ?? { lastSeq: 0, finished: false, received: 0, matched: 0, invalid: 0 };
    if (state.finished) return graphError(2650, 'Failed to update the custom audience', { error_subcode: 1870159 });
    if (state.lastSeq === 0 && seq !== 1) return graphError(2650, 'Failed to update the custom audience', { error_subcode: 1870147 });
    if (seq <= state.lastSeq) return graphError(100, 'Invalid parameter: batch_seq must increase');
    state.lastSeq = seq;
    state.finished = session.last_batch_flag;
    this.sessions.set(key, state);
    this.uploads.push({ method, rows: payload.data.length, sessionId, batchSeq: seq, last: session.last_batch_flag });

    // Per cell kind, worked out once per request: every row of the request is checked against it.
    const cellKinds = schema.map((k) => (k === 'MADID' ? CELL_MADID : UNHASHED.has(k) ? CELL_PLAIN : CELL_HASH));
    const tally: Tally = { invalid: 0, matched: 0, samples: {} };
    const data = payload.data as unknown[];
    // Large requests are worked through in slices, so other requests' replies go out on time (a
    // platform handles requests side by side); small ones in one go.
    for (let from = 0; from < data.length; from += SLICE_ROWS) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      this.#apply(audience.members, method === 'POST', schema, cellKinds, data, from, Math.min(data.length, from + SLICE_ROWS), tally);
    }
    const { invalid, samples } = tally;
    state.matched += tally.matched;
    state.received += payload.data.length;
    state.invalid += invalid;
    return {
      status: 200,
      body: { audience_id: id, session_id: String(sessionId), num_received: state.received, num_invalid_entries: invalid, invalid_entry_samples: samples },
    };
  }

  /** Checks rows `from..to` of a request and adds (or removes) the valid ones. */
  #apply(members: Members, add: boolean, schema: readonly string[], cellKinds: readonly number[], data: readonly unknown[], from: number, to: number, tally: Tally): void {
    for (let r = from; r < to; r++) {
      const raw = data[r];
      const row: unknown[] = Array.isArray(raw) ? raw : [raw];
      const bad = row.length !== schema.length ? String(row[0] ?? '') : this.#invalidCell(cellKinds, row);
      if (bad !== undefined) {
        tally.invalid++;
        if (Object.keys(tally.samples).length < 100) tally.samples[bad] = 'Invalid format';
        continue;
      }
      // The audience is a set of keys (`KEY=value`), as Meta matches a person on any of a row's
      // keys: a row adds each of its keys, and removing a row removes each of its keys.
      for (let i = 0; i < row.length; i++) {
        if (row[i] === '') continue;
        if (cellKinds[i] === CELL_HASH) members.singleHash(schema[i] as string, row[i] as string, add);
        else members.single(schema[i] as string, row[i] as string, add);
      }
      let firstHash: string | undefined;
      for (let i = 0; i < row.length && firstHash === undefined; i++) if (cellKinds[i] === CELL_HASH && row[i] !== '') firstHash = row[i] as string;
      if (firstHash === undefined || matches(firstHash)) tally.matched++;
    }
  }

  /** The first invalid cell of a row, or undefined when every cell is fine. */
  #invalidCell(cellKinds: readonly number[], row: readonly unknown[]): string | undefined {
    let any = false;
    for (let i = 0; i < cellKinds.length; i++) {
      const v = row[i];
      if (typeof v !== 'string') return String(v);
      if (v === '') continue;
      any = true;
      if (this.invalidValues.size > 0 && this.invalidValues.has(v)) return v;
      const kind = cellKinds[i];
      if (kind === CELL_MADID ? !MADID.test(v) : kind === CELL_HASH && !isLowerHexHash(v)) return v;
    }
    return any ? undefined : '';
  }

  #sessions(id: string): FakeReply {
    const data = [...this.sessions.entries()]
      .filter(([k]) => k.startsWith(`${id}/`))
      .reverse()
      .map(([k, s]) => ({
        session_id: k.split('/')[1],
        stage: s.finished ? 'completed' : 'uploading',
        num_received: s.received,
        num_matched: s.matched,
        num_invalid_entries: s.invalid,
      }));
    return { status: 200, body: { data } };
  }

  #read(id: string): FakeReply {
    const a = this.audiences.get(id);
    if (!a) return graphError(100, 'Unsupported request: object does not exist', { error_subcode: 33 });
    const matched = [...a.members].filter((t) => matches(/[0-9a-f]{64}/.exec(t)?.[0] ?? 'ff')).length;
    return {
      status: 200,
      body: {
        id: a.id,
        approximate_count_lower_bound: Math.floor(matched * 0.9),
        approximate_count_upper_bound: Math.ceil(matched * 1.1),
        operation_status: { code: a.operationStatus, description: a.operationStatus === 200 ? 'Normal' : 'Flagged' },
        delivery_status: { code: 200, description: 'This audience is ready for use.' },
      },
    };
  }
}
