import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorDefinition, ConnectorDeps, Destination, DestinationErrorKind, MemberRow, RowResult } from '../../src/destinations/contract';
import type { FakeServerBase } from '../../src/sandbox/fake-server';
import { expectError } from './expect-error';

/**
 * The connector contract-test kit: every connector to an HTTP platform describes itself once as a
 * ConnectorCase, and `connectorContract` checks the same things of each, with no network — the
 * one call `testConnection` makes, pinned (method, path, query, body, headers), and the
 * platform's own 200/400/401/429/5xx replies replayed and mapped to the error taxonomy, with no
 * secret in any message. A new connector adds its case to test/connectors/contract.test.ts.
 */

/**
 * The lifecycle of a connector test file's contract fake: started before its tests, stopped
 * after, its injected faults (and whatever `reset` clears) gone after each test.
 */
export function useContractFake(fake: FakeServerBase, reset: () => void = () => undefined): void {
  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  afterEach(() => {
    fake.faults.length = 0;
    reset();
  });
}

/** A Destination of `connector` with `settings` parsed by its own schema (tests add deps: fetch, log, sleep). */
export function connectWith<S>(connector: ConnectorDefinition<S>, settings: Record<string, unknown>, deps: Partial<ConnectorDeps> = {}): Destination {
  return connector.create(connector.settingsSchema.parse(settings), { baseDir: '.', ...deps });
}

/**
 * The destination as the sync engine drives it, for tests that hand it raw values: each add or
 * remove first prepares the rows' keys (prepareKeys), then sends the keys; rows prepareKeys
 * rejects are reported in place, with its reason, and not sent.
 */
export function sendingRaw(d: Destination): Destination {
  const viaKeys =
    (send: Destination['addMembers']): Destination['addMembers'] =>
    async (audience, rows, ctx) => {
      const prepared = await d.prepareKeys(rows);
      const usable: MemberRow[] = prepared.filter((p) => p.rejected === undefined).map((p) => ({ personId: p.personId, identifiers: p.keys }));
      const sent = usable.length > 0 ? await send.call(d, audience, usable, ctx) : [];
      let next = 0;
      return prepared.map((p): RowResult => (p.rejected !== undefined ? { personId: p.personId, ok: false, reason: p.rejected } : sent[next++]!));
    };
  return new Proxy(d, {
    get(target, key) {
      if (key === 'addMembers') return viaKeys(target.addMembers);
      if (key === 'removeMembers') return viaKeys(target.removeMembers);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A request as the connector sent it. */
export interface SentRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

/** One of the platform's error replies and what the connector must make of it. */
export interface ReplayedError {
  name: string;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  kind: DestinationErrorKind;
  retryAfterMs?: number;
}

export interface ConnectorCase {
  name: string;
  connector: ConnectorDefinition;
  /** Settings pointing the connector at a base URL no request ever reaches (the replay answers). */
  settings: Record<string, unknown>;
  /** Settings values no error message may contain. */
  secrets: readonly string[];
  /** Replies of endpoints outside the call under test (an OAuth token endpoint), or undefined. */
  around?(req: SentRequest): Response | undefined;
  /** The one call testConnection makes, as pinned: what the request must carry (a subset). */
  testCall: { method: string; path: string; query?: Record<string, string>; body?: unknown; headers?: Record<string, string> };
  /** A 200 reply of that call. */
  ok(): Response;
  /** The platform's error replies, mapped. Must include a 400, a 401, a 429 and a 5xx. */
  errors: readonly ReplayedError[];
}

/** A fetch that answers every request with `reply` (after `around`), recording what was sent. */
function replay(c: ConnectorCase, reply: () => Response): { fetch: typeof fetch; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const text = init?.body === undefined || init.body === null ? undefined : String(init.body);
    const req: SentRequest = {
      method: String(init?.method ?? 'GET'),
      url: new URL(String(input)),
      headers: { ...(init?.headers as Record<string, string> | undefined) },
      body: text === undefined ? undefined : text.startsWith('{') ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text)),
    };
    const around = c.around?.(req);
    if (around) return around;
    sent.push(req);
    return reply();
  };
  return { fetch: fetchImpl, sent };
}

const connect = (c: ConnectorCase, fetchImpl: typeof fetch): Destination => connectWith(c.connector, c.settings, { sleep: async () => undefined, fetch: fetchImpl });

export function connectorContract(c: ConnectorCase): void {
  describe(`${c.name}: testConnection`, () => {
    it('makes one cheap call, as pinned, and resolves on its 200 reply', async () => {
      const r = replay(c, () => c.ok());
      await expect(connect(c, r.fetch).testConnection()).resolves.toBeUndefined();
      expect(r.sent).toHaveLength(1);
      const [call] = r.sent;
      expect([call!.method, call!.url.pathname]).toEqual([c.testCall.method, c.testCall.path]);
      if (c.testCall.query) expect(Object.fromEntries(call!.url.searchParams)).toMatchObject(c.testCall.query);
      if (c.testCall.body !== undefined) expect(call!.body).toMatchObject(c.testCall.body as object);
      if (c.testCall.headers) expect(call!.headers).toMatchObject(c.testCall.headers);
    });
  });

  describe(`${c.name}: the platform's replies, replayed`, () => {
    it('cover a 400, a 401, a 429 and a 5xx', () => {
      const statuses = c.errors.map((e) => e.status);
      for (const s of [400, 401, 429]) expect(statuses).toContain(s);
      expect(statuses.some((s) => s >= 500)).toBe(true);
    });

    it.each(c.errors)('$name -> $kind', async (e) => {
      const r = replay(c, () => new Response(e.body === undefined ? '' : JSON.stringify(e.body), { status: e.status, headers: e.headers ?? {} }));
      const err = await expectError(connect(c, r.fetch).testConnection());
      expect(err.kind).toBe(e.kind);
      expect(err.retryAfterMs).toBe(e.retryAfterMs);
      expect(err.retryable).toBe(e.kind === 'retryable' || e.kind === 'rate_limited');
      for (const secret of c.secrets) expect(err.message).not.toContain(secret);
    });
  });
}
