import { PlatformClient } from '../shared/client';
import type { ErrorCodes, Failure } from '../shared/errors';
import { asRecord, type HttpRequest, type HttpResponse, retryAfterMs } from '../shared/http';

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
  fetch?: typeof fetch | undefined;
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
  readonly #client: PlatformClient;
  readonly #o: MetaApiOptions;

  constructor(options: MetaApiOptions) {
    this.#o = options;
    // The token travels in the query (GET) or the body (writes), never in a header.
    this.#client = new PlatformClient({
      baseUrl: options.apiBaseUrl,
      timeoutMs: options.timeoutMs,
      label: options.label,
      codes: META_ERRORS,
      fetch: options.fetch,
      headers: async () => ({}),
      failure: metaFailure,
    });
  }

  async get(path: string, query: Record<string, string> = {}, signal?: AbortSignal): Promise<Record<string, unknown>> {
    // GET takes the token as a query parameter (never shown in messages: those carry the path only).
    return this.#call({ method: 'GET', path, query: { ...query, access_token: this.#o.accessToken }, ...(signal ? { signal } : {}) });
  }

  async post(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    // Writes carry the token in the body, out of URLs that proxies log.
    return this.#call({ method: 'POST', path, json: { ...body, access_token: this.#o.accessToken } });
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
    const body = await this.#call({ method, path: `/${audienceId}/users`, body: Buffer.concat([head, payload, tail]), ...(signal ? { signal } : {}) });
    const samples = asRecord(body.invalid_entry_samples) ?? {};
    return {
      num_received: Number(body.num_received ?? 0),
      num_invalid_entries: Number(body.num_invalid_entries ?? 0),
      invalid_entry_samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, String(v)])),
    };
  }

  async #call(req: HttpRequest): Promise<Record<string, unknown>> {
    const res = await this.#client.call({ ...req, path: `/${this.#o.apiVersion}${req.path}` });
    return asRecord(res.body) ?? {};
  }
}

/**
 * Throttling codes: 4 (app), 17 (user), 613 (ad account), 80003 (custom audience business use
 * case), 80004 (ads management); Meta sends them as HTTP 400, not 429. 1 and 2 are passing
 * faults (as are errors marked is_transient); 190 invalid/expired/revoked token, 102 session,
 * 10 and 200-299 permissions.
 * https://developers.facebook.com/docs/marketing-api/overview/rate-limiting
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference
 */
export const META_ERRORS: ErrorCodes = {
  rateLimited: [4, 17, 613, 80003, 80004],
  retryable: [1, 2],
  invalidAuth: [190, 102, 10, ...Array.from({ length: 100 }, (_, i) => 200 + i)],
  authHint: 'the access token is invalid, expired or revoked, or lacks ads_management on the ad account',
};

/** A Graph API reply's failure: `error.code` / `error_subcode`, is_transient, and the regain-access time. */
function metaFailure(res: HttpResponse): Failure | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const error = asRecord(asRecord(res.body)?.error);
  const number = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const code = number(error?.code);
  return { status: res.status, code, subcode: code === undefined ? undefined : number(error?.error_subcode), transient: error?.is_transient === true, retryAfterMs: regainAccessMs(res.headers) ?? retryAfterMs(res.headers) };
}

/**
 * `X-Business-Use-Case-Usage` carries, per business, `estimated_time_to_regain_access` in minutes.
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting#headers
 */
function regainAccessMs(headers: Headers): number | undefined {
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
