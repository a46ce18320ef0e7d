import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The plumbing the contract fakes share: a node:http server on 127.0.0.1 with an ephemeral port,
 * body parsing, a request log and fault injection (throttle storms, 5xx, hung requests, latency).
 * Platform rules live in each fake.
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON or form body (form values are strings); undefined when empty. */
  body: unknown;
  rawLength: number;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A fault applied to the next `times` requests whose path matches.
 * - `throttle`: the platform's own throttling reply.
 * - `server_error`: HTTP `status` (default 503).
 * - `hang`: no reply for `ms` (default 30 s), then the socket is destroyed: the client's timeout fires first.
 */
export interface Fault {
  kind: 'throttle' | 'server_error' | 'hang';
  times: number;
  /** Only requests whose path contains this text; default every request except the OAuth endpoint. */
  pathIncludes?: string;
  status?: number;
  ms?: number;
  /** For `throttle`: the retry delay the platform announces, in ms. */
  retryAfterMs?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  bytes: number;
}

export abstract class FakeServerBase {
  #server: Server | undefined;
  #url = '';
  /** Added to every reply (the upload benchmark uses 50 ms). */
  latencyMs = 0;
  readonly faults: Fault[] = [];
  readonly requests: LoggedRequest[] = [];
  /** Set false to stop keeping the request log (long benchmarks). */
  logRequests = true;
  /** Requests being served now, and the most at once since the last reset (tests set it to 0). */
  concurrentRequests = 0;
  peakConcurrentRequests = 0;

  get url(): string {
    if (!this.#url) throw new Error('fake not started');
    return this.#url;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      void this.#serve(req, res);
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Queues a fault. */
  inject(fault: Fault): this {
    this.faults.push(fault);
    return this;
  }

  protected abstract handle(req: FakeRequest): FakeReply | Promise<FakeReply>;
  protected abstract throttleReply(fault: Fault): FakeReply;
  /**
   * Parses a request body: JSON or form fields by default. A fake whose platform takes other
   * bodies (TikTok's multipart file upload) overrides it; a throw answers 400 "malformed body".
   */
  protected parseBody(raw: string, contentType: string | undefined): unknown {
    return parseBody(raw, contentType);
  }
  /** Paths faults never apply to unless they name them (the OAuth token endpoint). */
  protected exemptFromFaults(_path: string): boolean {
    return false;
  }

  #takeFault(path: string): Fault | undefined {
    const i = this.faults.findIndex((f) =>
      f.times > 0 && (f.pathIncludes !== undefined ? path.includes(f.pathIncludes) : !this.exemptFromFaults(path)),
    );
    if (i < 0) return undefined;
    const fault = this.faults[i] as Fault;
    fault.times--;
    if (fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.peakConcurrentRequests = Math.max(this.peakConcurrentRequests, ++this.concurrentRequests);
    res.once('close', () => this.concurrentRequests--);
    // The added latency runs from the request's arrival, alongside the fake's own work: a reply
    // takes max(latency, processing), the way a platform's response time includes its processing.
    const latency = this.latencyMs > 0 ? new Promise((r) => setTimeout(r, this.latencyMs)) : undefined;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const fault = this.#takeFault(url.pathname);
    let reply: FakeReply;
    if (fault?.kind === 'hang') {
      await new Promise((r) => setTimeout(r, fault.ms ?? 30_000));
      req.socket.destroy();
      return;
    } else if (fault?.kind === 'server_error') {
      const status = fault.status ?? 503;
      reply = { status, body: { error: { code: status, message: 'injected server error' } } };
    } else if (fault?.kind === 'throttle') {
      reply = this.throttleReply(fault);
    } else {
      let body: unknown;
      try {
        body = await this.parseBody(raw, req.headers['content-type']);
      } catch {
        reply = { status: 400, body: { error: { code: 400, message: 'malformed body' } } };
        await latency;
        return this.#send(req, res, url.pathname, reply, raw.length);
      }
      try {
        reply = await this.handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, rawLength: raw.length });
      } catch (err) {
        reply = { status: 500, body: { error: { code: 500, message: err instanceof Error ? err.message : 'fake failure' } } };
      }
    }
    await latency;
    this.#send(req, res, url.pathname, reply, raw.length);
  }

  #send(req: IncomingMessage, res: ServerResponse, path: string, reply: FakeReply, bytes: number) {
    if (this.logRequests) this.requests.push({ method: req.method ?? 'GET', path, status: reply.status, bytes });
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(text);
  }
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return JSON.parse(raw) as unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** 1 for the character codes of 0-9 and a-f. */
const LOWER_HEX = new Uint8Array(128);
for (const c of '0123456789abcdef') LOWER_HEX[c.charCodeAt(0)] = 1;

/**
 * SHA-256 lowercase hex (`/^[0-9a-f]{64}$/`), the only hash format the platforms accept. Written
 * out rather than as that regex: the fakes check every cell of every upload, and this is about
 * twice as fast.
 */
export function isLowerHexHash(value: string): boolean {
  if (value.length !== 64) return false;
  for (let i = 0; i < 64; i++) if (LOWER_HEX[value.charCodeAt(i)] !== 1) return false;
  return true;
}

/**
 * A deterministic stand-in for "the platform found this person": about 70% of hashes match.
 * Tests read sizes and match rates computed with it.
 */
export function matches(hash: string): boolean {
  // parseInt(hash.slice(0, 2), 16) < 180, without the slice (this runs for every uploaded row).
  return hexDigit(hash.charCodeAt(0)) * 16 + hexDigit(hash.charCodeAt(1)) < 180;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return Number.NaN;
}
