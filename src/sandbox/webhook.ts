import { createHmac, timingSafeEqual } from 'node:crypto';
import { type FakeReply, type FakeRequest, type Fault, FakeServerBase, isRecord } from './fake-server';

/**
 * A contract fake of an endpoint receiving Outflow's webhook destination, written from its
 * documented contract (docs/destinations.md "Webhook"), not from the connector:
 * - every request is a signed POST: `X-Outflow-Signature: t=<unix seconds>,v1=<hex>`, HMAC-SHA256
 *   with the shared secret over `<t>.<raw body>`; a wrong signature or a timestamp older than the
 *   tolerance (default 300 s) is refused with 401;
 * - `Idempotency-Key` names the batch; a key seen before is answered 409 with the results it got
 *   the first time, and nothing is applied twice;
 * - the body is `{batchId, audience, action, records}`: `upsert` records are `{id, fields}`,
 *   `remove` records `{id}`, `ping` has none;
 * - the answer is `{results: [{id, ok, error?}]}`, one per record; `rejectRecord` decides which
 *   records it refuses (they are not applied).
 * It keeps every accepted batch and, per audience, the records as upserts and removes left them.
 * Faults (fake-server.ts) inject 429 with Retry-After, 5xx and hung requests.
 */
export class WebhookReceiverFake extends FakeServerBase {
  /** Accepted batches in arrival order. */
  readonly batches: ReceivedBatch[] = [];
  /** Per audience: record id -> fields, as the accepted batches left them. */
  readonly audiences = new Map<string, Map<string, Record<string, unknown>>>();
  /** Times a record was applied, by audience and id (to see nothing applied twice). */
  readonly applied = new Map<string, number>();
  /** Requests refused as replays of an idempotency key seen before. */
  replays = 0;
  /** Requests refused for their signature or timestamp. */
  badSignatures = 0;
  /** Why the endpoint refuses a record (a short error code), or undefined to take it. */
  rejectRecord: ((record: Record<string, unknown>, action: string) => string | undefined) | undefined;
  /** The next this many accepted batches are applied, then answered 502 as if the reply was lost on the way. */
  loseReplies = 0;
  /** The receiver's clock, in ms (tests move it to check the timestamp tolerance). */
  now: () => number = () => Date.now();
  readonly #secret: string;
  readonly #toleranceSeconds: number;
  readonly #seen = new Map<string, unknown[]>();

  constructor(readonly credentials: { signingSecret: string }, options: { toleranceSeconds?: number } = {}) {
    super();
    this.#secret = credentials.signingSecret;
    this.#toleranceSeconds = options.toleranceSeconds ?? 300;
  }

  /**
   * Webhook settings pointing at this receiver (`apiBaseUrl`). The default mapping is one constant,
   * which fits every entity; `extra` overrides any setting (`fields`, `mode`, ...).
   */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const fields = { source: { value: 'outflow-sandbox' } };
    return { url: 'https://hooks.sandbox.invalid/outflow', signingSecret: this.#secret, mode: 'mirror', fields, apiBaseUrl: this.url, ...extra };
  }

  /** The records an audience holds now, by id. */
  records(audience: string): Map<string, Record<string, unknown>> {
    return this.audiences.get(audience) ?? new Map();
  }

  /** Keeps the raw text beside the parsed JSON: the signature covers the bytes as sent. */
  protected override parseBody(raw: string): unknown {
    return { raw, json: raw === '' ? undefined : (JSON.parse(raw) as unknown) };
  }

  protected throttleReply(fault: Fault): FakeReply {
    return { status: 429, headers: { 'retry-after': String(Math.ceil((fault.retryAfterMs ?? 1000) / 1000)) }, body: { error: 'rate_limited' } };
  }

  protected handle(req: FakeRequest): FakeReply {
    if (req.method !== 'POST') return { status: 405, body: { error: 'method_not_allowed' } };
    const { raw, json } = req.body as { raw: string; json: unknown };
    const refused = this.#verify(raw, req.headers['x-outflow-signature']);
    if (refused) {
      this.badSignatures++;
      return { status: 401, body: { error: refused } };
    }
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') return { status: 400, body: { error: 'missing_idempotency_key' } };
    const seen = this.#seen.get(key);
    if (seen) {
      this.replays++;
      return { status: 409, body: { error: 'duplicate', results: seen } };
    }
    const batch = parseBatch(json);
    if (!batch) return { status: 400, body: { error: 'malformed_body' } };
    if (batch.batchId !== key) return { status: 400, body: { error: 'batch_id_mismatch' } };
    const results = batch.records.map((record) => this.#apply(batch, record));
    this.#seen.set(key, results);
    if (batch.action !== 'ping') this.batches.push(batch);
    if (this.loseReplies > 0) {
      this.loseReplies--;
      return { status: 502, body: { error: 'bad_gateway' } };
    }
    return { status: 200, body: { results } };
  }

  #verify(raw: string, header: string | string[] | undefined): string | undefined {
    if (typeof header !== 'string') return 'missing_signature';
    const parts = Object.fromEntries(header.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    const t = Number(parts.t);
    const v1 = parts.v1 ?? '';
    if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return 'malformed_signature';
    if (Math.abs(this.now() / 1000 - t) > this.#toleranceSeconds) return 'stale_timestamp';
    const expected = createHmac('sha256', this.#secret).update(`${t}.${raw}`).digest();
    return timingSafeEqual(expected, Buffer.from(v1, 'hex')) ? undefined : 'invalid_signature';
  }

  #apply(batch: ReceivedBatch, record: Record<string, unknown>): { id: unknown; ok: boolean; error?: string } {
    const id = record.id;
    const error = this.rejectRecord?.(record, batch.action);
    if (error !== undefined) return { id, ok: false, error };
    const audience = this.audiences.get(batch.audience) ?? new Map<string, Record<string, unknown>>();
    this.audiences.set(batch.audience, audience);
    if (batch.action === 'upsert') audience.set(String(id), record.fields as Record<string, unknown>);
    else audience.delete(String(id));
    const counted = `${batch.audience}/${String(id)}/${batch.action}`;
    this.applied.set(counted, (this.applied.get(counted) ?? 0) + 1);
    return { id, ok: true };
  }
}

/** One batch as the receiver took it. */
export interface ReceivedBatch {
  batchId: string;
  audience: string;
  action: 'upsert' | 'remove' | 'ping';
  records: Record<string, unknown>[];
}

/** The body as the contract describes it, or undefined. */
function parseBatch(body: unknown): ReceivedBatch | undefined {
  if (!isRecord(body) || typeof body.batchId !== 'string' || !Array.isArray(body.records)) return undefined;
  const action = body.action;
  if (action !== 'upsert' && action !== 'remove' && action !== 'ping') return undefined;
  if (action !== 'ping' && typeof body.audience !== 'string') return undefined;
  const records = body.records as unknown[];
  const valid = records.every((r) => isRecord(r) && typeof r.id === 'string' && (action !== 'upsert' || isRecord(r.fields)));
  if (!valid || (action === 'ping' && records.length > 0)) return undefined;
  return { batchId: body.batchId, audience: typeof body.audience === 'string' ? body.audience : '', action, records: records as Record<string, unknown>[] };
}
