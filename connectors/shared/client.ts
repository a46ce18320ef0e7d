import { classifyFailure, type ErrorCodes, type Failure } from './errors';
import { HttpClient, type HttpRequest, type HttpResponse } from './http';

/**
 * One platform's API as the kit sees it: the HttpClient with the platform's auth headers on every
 * call, one token refresh and retry after a 401 (for OAuth platforms), and every failed reply
 * mapped through the platform's ErrorCodes. A connector's api.ts is this plus its endpoints.
 *
 * @example
 * const client = new PlatformClient({ baseUrl, timeoutMs, label, codes: SNAP_ERRORS,
 *   headers: async (force) => ({ authorization: `Bearer ${await oauth.token(force)}` }), failure: snapFailure });
 * const body = await client.call({ method: 'GET', path: '/v1/segments/1' });
 */
export interface PlatformClientOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Names the destination in errors. */
  label: string;
  codes: ErrorCodes;
  /** Auth headers of a call; `refreshed` is true on the retry after a 401; `req` for signatures over the request (X's OAuth 1.0a). */
  headers(refreshed: boolean, req: HttpRequest): Promise<Record<string, string>>;
  /** Whether a 401 is worth one retry with fresh headers (a refreshable token). */
  refreshOn401?: boolean;
  /** The failure a reply carries (status, platform code, retry hint), or undefined when it succeeded. */
  failure(res: HttpResponse): Failure | undefined;
  fetch?: typeof fetch | undefined;
}

export class PlatformClient {
  readonly #o: PlatformClientOptions;
  readonly #http: HttpClient;

  constructor(options: PlatformClientOptions) {
    this.#o = options;
    this.#http = new HttpClient({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, label: options.label, fetch: options.fetch });
  }

  get label(): string {
    return this.#o.label;
  }

  /** Sends `req` with auth headers; returns the successful reply or throws the mapped DestinationError. */
  async call(req: HttpRequest): Promise<HttpResponse> {
    const send = async (refreshed: boolean) => this.#http.send({ ...req, headers: { ...req.headers, ...(await this.#o.headers(refreshed, req)) } });
    let res = await send(false);
    if (res.status === 401 && this.#o.refreshOn401) res = await send(true);
    const failure = this.#o.failure(res);
    if (!failure) return res;
    throw classifyFailure(failure, this.#o.codes, `${this.#o.label}: ${req.method} ${req.path}`);
  }
}

/** The usual failure test: a non-2xx status, with the code read by `code` and Retry-After. */
export function statusFailure(res: HttpResponse, code: (body: unknown) => string | number | undefined, retryAfter?: number): Failure | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  return { status: res.status, code: code(res.body), retryAfterMs: retryAfter };
}
