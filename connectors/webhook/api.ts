import type { BatchContext, RowResult } from '../../src/destinations/contract';
import { classifyFailure } from '../shared/errors';
import { asRecord, HttpClient, retryAfterMs } from '../shared/http';
import { SIGNATURE_HEADER, signatureHeader } from './sign';

/** The header carrying a batch's idempotency key (the run ledger's batch id). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** What a per-row error code may look like to be shown on a run; anything else is summarised. */
const REASON_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** One record of a batch, with the person it belongs to. */
export interface OutgoingRecord {
  personId: string;
  record: unknown;
}

/**
 * The webhook's thin client: one signed POST per batch (`{batchId, audience, action, records}`),
 * read back into one result per row. Statuses map to the error taxonomy (429 with Retry-After,
 * 5xx and timeouts retryable, 401/403 bad credentials); a 409 is the endpoint saying it already
 * processed this idempotency key, so the batch counts as delivered once.
 */
export class WebhookApi {
  readonly #http: HttpClient;
  readonly #secret: string;

  constructor(o: { endpoint: string; secret: string; timeoutMs: number; label: string; fetch?: typeof fetch }) {
    this.#http = new HttpClient({ baseUrl: o.endpoint, timeoutMs: o.timeoutMs, label: o.label, ...(o.fetch ? { fetch: o.fetch } : {}) });
    this.#secret = o.secret;
  }

  /** A signed request with no records (`action: "ping"`): checks the endpoint and the secret. */
  async ping(): Promise<void> {
    await this.#post({ batchId: `ping-${Date.now()}`, action: 'ping', records: [] });
  }

  /** Sends one batch; one result per record, in order. */
  async send(o: { action: 'upsert' | 'remove'; audience: string; records: readonly OutgoingRecord[]; ctx: BatchContext }): Promise<RowResult[]> {
    const body = await this.#post({ batchId: o.ctx.batchId, audience: o.audience, action: o.action, records: o.records.map((r) => r.record) }, o.ctx.signal);
    const failed = rowFailures(body);
    return o.records.map(({ personId }) => {
      const reason = failed.get(personId);
      return reason === undefined ? { personId, ok: true } : { personId, ok: false, reason };
    });
  }

  async #post(payload: { batchId: string; audience?: string; action: string; records: readonly unknown[] }, signal?: AbortSignal): Promise<unknown> {
    const body = Buffer.from(JSON.stringify(payload));
    const headers = {
      [SIGNATURE_HEADER]: signatureHeader(this.#secret, Math.floor(Date.now() / 1000), body),
      [IDEMPOTENCY_HEADER]: payload.batchId,
      'user-agent': 'outflow-webhook/1',
    };
    const res = await this.#http.send({ method: 'POST', path: '', headers, body, ...(signal ? { signal } : {}) });
    // 409: this idempotency key was processed before (a retry after a lost reply); its results, if given, stand.
    if ((res.status >= 200 && res.status < 300) || res.status === 409) return res.body;
    const code = asRecord(res.body)?.error;
    throw classifyFailure(
      { status: res.status, code: typeof code === 'string' && REASON_CODE.test(code) ? code : undefined, retryAfterMs: retryAfterMs(res.headers) },
      {},
      `${this.#http.label}: POST`,
    );
  }
}

/**
 * Per-row failures of a response body `{results: [{id, ok, error?}]}`, by record id. A reason is
 * the endpoint's error code when it is a short code, else a summary: endpoints may echo values.
 */
function rowFailures(body: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const results = asRecord(body)?.results;
  if (!Array.isArray(results)) return out;
  for (const item of results) {
    const r = asRecord(item);
    if (!r || r.ok !== false || typeof r.id !== 'string') continue;
    out.set(r.id, typeof r.error === 'string' && REASON_CODE.test(r.error) ? `endpoint: ${r.error}` : 'rejected by the endpoint');
  }
  return out;
}
