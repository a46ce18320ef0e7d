import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DestinationError } from '../../src/destinations/contract';

/** What a connector's HTTP call returns: status, headers and the parsed JSON body (or text). */
export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path below the base URL, e.g. `/v26/customers/123/userLists:mutate`. Appears in error messages. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /**
   * Already serialised JSON as UTF-8 bytes, sent as `application/json` as it is (lets callers
   * serialise off the critical path); another body type when `headers` give its content-type.
   */
  body?: Buffer;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * A small JSON-over-HTTP client for connectors: base URL (the `apiBaseUrl` override), a per-call
 * timeout, and `node:http`/`node:https` with a keep-alive agent per client (cheaper per request
 * than fetch, which matters for large uploads); an injected fetch (tests) is used instead when
 * given. Network failures and timeouts become retryable DestinationErrors; HTTP statuses are left
 * to the connector, which knows its platform's error codes.
 *
 * Error messages carry the method and path only, never the query string or body: tokens and
 * personal data travel there.
 *
 * @example
 * const http = new HttpClient({ baseUrl: 'https://graph.facebook.com', timeoutMs: 60_000, label: 'Meta' });
 * const res = await http.send({ method: 'GET', path: '/v25.0/me', query: { access_token } });
 */
export class HttpClient {
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch | undefined;
  readonly #timeoutMs: number;
  readonly label: string;
  #agent: HttpAgent | HttpsAgent | undefined;

  constructor(options: { baseUrl: string; timeoutMs: number; label: string; fetch?: typeof fetch }) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch;
    this.#timeoutMs = options.timeoutMs;
    this.label = options.label;
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(this.#baseUrl + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | Buffer | undefined;
    if (req.body !== undefined) {
      // Already-serialised bodies are JSON unless the caller says otherwise (a multipart file upload).
      headers['content-type'] ??= 'application/json';
      body = req.body;
    } else if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const where = `${this.label}: ${req.method} ${req.path}`;
    let reply: { status: number; headers: Headers; text: string };
    try {
      reply = this.#fetch ? await viaFetch(this.#fetch, url, req.method, headers, body, signal) : await this.#viaNode(url, req.method, headers, body, signal);
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? err;
      if (timeout.aborted)
        throw new DestinationError('retryable', `${where} timed out after ${this.#timeoutMs} ms`, { code: 'timeout' });
      const code = networkCode(err);
      // No `cause`: run reports show the innermost message, and this one names the destination.
      throw new DestinationError('retryable', `${where} failed: network error${code ? ` ${code}` : ''}`, { code: code ?? 'network' });
    }
    return { status: reply.status, headers: reply.headers, body: parseBody(reply.text) };
  }

  #viaNode(url: URL, method: string, headers: Record<string, string>, body: string | Buffer | undefined, signal: AbortSignal) {
    const https = url.protocol === 'https:';
    const agent = (this.#agent ??= https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true }));
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    if (payload !== undefined) headers['content-length'] = String(payload.length);
    return new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(url, { method, headers, agent, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: headersOf(res.headers), text: Buffer.concat(chunks).toString('utf8') }));
      });
      request.on('error', reject);
      request.end(payload);
    });
  }
}

async function viaFetch(f: typeof fetch, url: URL, method: string, headers: Record<string, string>, body: string | Buffer | undefined, signal: AbortSignal) {
  // Bodies reach an injected fetch as text, the way callers' spies read them.
  const res = await f(url, { method, headers, body: Buffer.isBuffer(body) ? body.toString('utf8') : body, signal });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** node:http's header object as fetch `Headers` (what connectors read retry hints from). */
function headersOf(raw: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) out.append(k, item);
    else out.set(k, v);
  }
  return out;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** ECONNREFUSED, ECONNRESET, ... from node:http's error or undici's `cause`, for the message (no hosts or URLs). */
function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return undefined;
}

/** `Retry-After` as milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A plain object, for walking untyped JSON error bodies. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping result order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Yields to the event loop so in-flight sockets progress during long CPU work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How errors name a destination: `Meta destination "meta-main" (ad account 42)`, or without the id when unknown. */
export function destinationLabel(platform: string, destinationId: string | undefined, account: string): string {
  return `${platform}${destinationId ? ` destination "${destinationId}"` : ''} (${account})`;
}

/**
 * The wait a "seconds until the window resets" header announces (Pinterest's and Reddit's
 * `x-ratelimit-reset`), else Retry-After.
 */
export function resetSecondsMs(headers: Headers, name: string): number | undefined {
  const reset = headers.get(name);
  if (reset !== null && /^\d+(\.\d+)?$/.test(reset.trim())) return Math.ceil(Number(reset)) * 1000;
  return retryAfterMs(headers);
}
