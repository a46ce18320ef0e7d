import { DestinationError } from '../../src/destinations/contract';
import { asRecord, HttpClient, type HttpResponse, retryAfterMs } from '../shared/http';

/**
 * Thin client of the Meta Marketing API (Graph API) endpoints for customer-file custom audiences.
 * Changelog (versions live about two years): https://developers.facebook.com/docs/graph-api/changelog
 * Endpoints: https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/custom-audience/users
 */

export interface MetaApiOptions {
  apiBaseUrl: string;
  apiVersion: string;
  accessToken: string;
  timeoutMs: number;
  label: string;
  fetch?: typeof fetch;
}

/** The columns of a multi-key upload, in Meta's names. */
export type MetaKey = 'EMAIL' | 'PHONE' | 'FN' | 'LN' | 'ZIP' | 'COUNTRY' | 'MADID' | 'EXTERN_ID';

export interface UsersPayload {
  schema: MetaKey[];
  /** One row per person, cells in schema order, '' where a value is missing. */
  data: string[][];
}

/** https://developers.facebook.com/docs/marketing-api/reference/custom-audience-session */
export interface UploadSession {
  session_id: number;
  batch_seq: number;
  last_batch_flag: boolean;
  estimated_num_total?: number;
}

export interface UsersResponse {
  num_received: number;
  num_invalid_entries: number;
  /** Up to 100 invalid values and why they are invalid. */
  invalid_entry_samples: Record<string, string>;
}

export interface AudienceSummary {
  id: string;
  name: string;
  subtype?: string;
}

export class MetaApi {
  readonly #http: HttpClient;
  readonly #o: MetaApiOptions;

  constructor(options: MetaApiOptions) {
    this.#o = options;
    this.#http = new HttpClient({ baseUrl: options.apiBaseUrl, timeoutMs: options.timeoutMs, label: options.label, fetch: options.fetch });
  }

  async get(path: string, query: Record<string, string> = {}, signal?: AbortSignal): Promise<Record<string, unknown>> {
    // GET takes the token as a query parameter (never shown in messages: those carry the path only).
    const res = await this.#http.send({ method: 'GET', path: this.#path(path), query: { ...query, access_token: this.#o.accessToken }, signal });
    return this.#ok(res, 'GET', path);
  }

  async post(path: string, body: Record<string, unknown>, signal?: AbortSignal, method: 'POST' | 'DELETE' = 'POST'): Promise<Record<string, unknown>> {
    // Writes carry the token in the body, out of URLs that proxies log.
    const res = await this.#http.send({ method, path: this.#path(path), json: { ...body, access_token: this.#o.accessToken }, signal });
    return this.#ok(res, method, path);
  }

  /** Every customer audience of the ad account (paged with `after` cursors). */
  async listAudiences(adAccountId: string): Promise<AudienceSummary[]> {
    const out: AudienceSummary[] = [];
    let after: string | undefined;
    do {
      const page = await this.get(`/act_${adAccountId}/customaudiences`, { fields: 'id,name,subtype', limit: '500', ...(after ? { after } : {}) });
      for (const a of Array.isArray(page.data) ? page.data : []) {
        const r = asRecord(a);
        if (r && typeof r.id === 'string' && typeof r.name === 'string')
          out.push({ id: r.id, name: r.name, ...(typeof r.subtype === 'string' ? { subtype: r.subtype } : {}) });
      }
      const paging = asRecord(page.paging);
      const next = asRecord(paging?.cursors)?.after;
      after = typeof paging?.next === 'string' && typeof next === 'string' ? next : undefined;
    } while (after);
    return out;
  }

  /**
   * `POST /{audience_id}/users` (add) or `DELETE /{audience_id}/users` (remove). The payload comes
   * serialised (`UsersPayload` as UTF-8 JSON), prepared while the previous request was in flight.
   */
  async users(method: 'POST' | 'DELETE', audienceId: string, payload: Buffer, session: UploadSession, signal?: AbortSignal): Promise<UsersResponse> {
    const head = Buffer.from('{"payload":');
    const tail = Buffer.from(`,"session":${JSON.stringify(session)},"access_token":${JSON.stringify(this.#o.accessToken)}}`);
    const path = `/${audienceId}/users`;
    const res = await this.#http.send({ method, path: this.#path(path), body: Buffer.concat([head, payload, tail]), signal });
    const body = this.#ok(res, method, path);
    const samples = asRecord(body.invalid_entry_samples) ?? {};
    return {
      num_received: Number(body.num_received ?? 0),
      num_invalid_entries: Number(body.num_invalid_entries ?? 0),
      invalid_entry_samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, String(v)])),
    };
  }

  #path(path: string): string {
    return `/${this.#o.apiVersion}${path}`;
  }

  #ok(res: HttpResponse, method: string, path: string): Record<string, unknown> {
    if (res.status >= 200 && res.status < 300) return asRecord(res.body) ?? {};
    throw classifyMetaError(res, `${this.#o.label}: ${method} ${path}`);
  }
}

/**
 * Throttling codes: 4 (app), 17 (user), 613 (ad account), 80003 (custom audience business use
 * case), 80004 (ads management). Meta sends them as HTTP 400, not 429.
 * https://developers.facebook.com/docs/marketing-api/overview/rate-limiting
 */
export const META_THROTTLE_CODES: ReadonlySet<number> = new Set([4, 17, 613, 80003, 80004]);
/** 190 invalid/expired/revoked token, 102 session, 10 and 200-299 permissions. */
function isAuthCode(code: number): boolean {
  return code === 190 || code === 102 || code === 10 || (code >= 200 && code <= 299);
}

/**
 * Maps a failed Graph API reply to the destination error taxonomy by HTTP status and
 * `error.code` / `error_subcode`. https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference
 */
export function classifyMetaError(res: HttpResponse, where: string): DestinationError {
  const error = asRecord(asRecord(res.body)?.error);
  const code = typeof error?.code === 'number' ? error.code : undefined;
  const subcode = typeof error?.error_subcode === 'number' ? error.error_subcode : undefined;
  const codeText = code === undefined ? `HTTP ${res.status}` : subcode === undefined ? String(code) : `${code}/${subcode}`;
  if (res.status === 429 || (code !== undefined && META_THROTTLE_CODES.has(code))) {
    const wait = regainAccessMs(res.headers) ?? retryAfterMs(res.headers);
    return new DestinationError('rate_limited', `${where}: rate limited (code ${codeText})`, {
      code: codeText,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    });
  }
  if (res.status >= 500 || error?.is_transient === true || code === 1 || code === 2)
    return new DestinationError('retryable', `${where}: HTTP ${res.status} (code ${codeText})`, { code: codeText });
  if ((code !== undefined && isAuthCode(code)) || res.status === 401 || res.status === 403)
    return new DestinationError(
      'invalid_auth',
      `${where}: access denied (code ${codeText}); the access token is invalid, expired or revoked, or lacks ads_management on the ad account`,
      { code: codeText },
    );
  return new DestinationError('invalid_payload', `${where}: rejected (HTTP ${res.status}, code ${codeText})`, { code: codeText });
}

/**
 * `X-Business-Use-Case-Usage` carries, per business, `estimated_time_to_regain_access` in minutes.
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting#headers
 */
export function regainAccessMs(headers: Headers): number | undefined {
  const raw = headers.get('x-business-use-case-usage');
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  let minutes: number | undefined;
  for (const entries of Object.values(asRecord(parsed) ?? {}))
    for (const e of Array.isArray(entries) ? entries : []) {
      const m = asRecord(e)?.estimated_time_to_regain_access;
      if (typeof m === 'number' && (minutes === undefined || m > minutes)) minutes = m;
    }
  return minutes === undefined ? undefined : minutes * 60_000;
}
