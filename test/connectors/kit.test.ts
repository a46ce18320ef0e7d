import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { findInPages, findOrCreateAudience } from '../../connectors/shared/audience';
import { sendInBatches } from '../../connectors/shared/batches';
import { PlatformClient, statusFailure } from '../../connectors/shared/client';
import { checkConnection } from '../../connectors/shared/connection';
import { KitDestination, type KitDestinationOptions } from '../../connectors/shared/destination';
import { EncodePool } from '../../connectors/shared/encode-pool';
import { classifyFailure, type ErrorCodes } from '../../connectors/shared/errors';
import { RequestGate } from '../../connectors/shared/gate';
import { asRecord } from '../../connectors/shared/http';
import { prepareKeysOnPool } from '../../connectors/shared/keys';
import { OAuthRefresher } from '../../connectors/shared/oauth';
import { belowMinimum, countOf, sizeReadBack } from '../../connectors/shared/readback';
import { type AudienceRef, DestinationError, type MatchRate, type MemberRow, type RowResult } from '../../src/destinations/contract';
import { expectError } from './expect-error';

/** The connector kit (connectors/shared/), one piece at a time, without a platform. */

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const rows = (n: number, f: (i: number) => MemberRow['identifiers'] = (i) => ({ email: `h${i}` })): MemberRow[] =>
  Array.from({ length: n }, (_, i) => ({ personId: `p${i}`, identifiers: f(i) }));
const tick = () => new Promise((r) => setImmediate(r));

describe('classifyFailure: by status and code, never by message', () => {
  const codes: ErrorCodes = { rateLimited: [117, 40100], rateLimitWaitMs: 60_000, invalidAuth: [105, 'REVOKED'], retryable: [0], invalidPayload: ['BAD_VERSION'], authHint: 'reconnect' };
  const at = 'X destination "x": POST /p';
  it.each([
    [{ status: 429 }, 'rate_limited', undefined],
    [{ status: 429, retryAfterMs: 12_000 }, 'rate_limited', 12_000],
    [{ status: 400, code: 117 }, 'rate_limited', 60_000],
    [{ status: 200, code: 40100 }, 'rate_limited', 60_000],
    [{ status: 400, code: 105 }, 'invalid_auth', undefined],
    [{ status: 401, code: 'REVOKED' }, 'invalid_auth', undefined],
    [{ status: 401 }, 'invalid_auth', undefined],
    [{ status: 403 }, 'invalid_auth', undefined],
    [{ status: 400, code: 0 }, 'retryable', undefined],
    [{ status: 500 }, 'retryable', undefined],
    [{ status: 503, code: 'whatever' }, 'retryable', undefined],
    [{ status: 408 }, 'retryable', undefined],
    [{ status: 400 }, 'invalid_payload', undefined],
    [{ status: 426, code: 'BAD_VERSION' }, 'invalid_payload', undefined],
    [{ status: 200, code: 40002 }, 'invalid_payload', undefined],
  ] as const)('%o -> %s', (failure, kind, wait) => {
    const err = classifyFailure(failure, codes, at);
    expect(err.kind).toBe(kind);
    expect(err.retryAfterMs).toBe(wait);
    expect(err.message.startsWith(at)).toBe(true);
    expect(err.code).toBe(String('code' in failure ? failure.code : failure.status));
  });
  it('a transient mark is retryable whatever the code; a subcode is reported, never matched', () => {
    const transient = classifyFailure({ status: 400, code: 105, transient: true }, codes, at);
    expect([transient.kind, transient.code]).toEqual(['retryable', '105']);
    expect(classifyFailure({ status: 400, code: 77, transient: true }, codes, at).kind).toBe('retryable');
    expect(classifyFailure({ status: 400, code: 117, transient: true }, codes, at).kind).toBe('rate_limited');
    const sub = classifyFailure({ status: 400, code: 117, subcode: 2446079, retryAfterMs: 5_000 }, codes, at);
    expect([sub.kind, sub.code, sub.retryAfterMs]).toEqual(['rate_limited', '117/2446079', 5_000]);
    expect(sub.message).toBe(`${at}: rate limited (HTTP 400, code 117/2446079)`);
    expect(classifyFailure({ status: 400, code: 2446079 }, codes, at).kind).toBe('invalid_payload');
  });
  it('says what to do about bad credentials', () => {
    expect(classifyFailure({ status: 401 }, codes, at).message).toBe(`${at}: access denied (HTTP 401); reconnect`);
  });
});

describe('RequestGate', () => {
  it('lets at most `concurrency` calls through at once, first come first served', async () => {
    const gate = new RequestGate(2);
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const calls = [0, 1, 2, 3].map((i) =>
      gate.run(async () => {
        order.push(i);
        await new Promise<void>((r) => releases.push(r));
        return i;
      }),
    );
    await tick();
    expect(order).toEqual([0, 1]);
    expect(gate.waiting).toBe(2);
    releases.shift()!();
    await tick();
    await tick();
    expect(order).toEqual([0, 1, 2]);
    while (releases.length > 0 || order.length < 4) {
      releases.shift()?.();
      await tick();
    }
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3]);
    expect(gate.peak).toBe(2);
  });
  it('refuses a concurrency below one', () => {
    expect(() => new RequestGate(0)).toThrow(RangeError);
  });
});

describe('sendInBatches', () => {
  it('cuts to the limit, keeps order, and puts per-row rejections back at their rows', async () => {
    const input = rows(7, (i) => (i === 3 ? {} : { email: `h${i}` }));
    const sizes: number[] = [];
    const results = await sendInBatches(input, { limit: 2, gate: new RequestGate(3) }, async (chunk) => {
      sizes.push(chunk.length);
      return new Map(chunk.flatMap((r, k) => (r.personId === 'p5' ? [[k, 'platform said no']] : [])) as [number, string][]);
    });
    expect(sizes).toEqual([2, 2, 2]);
    expect(results.map((r) => (r.ok ? r.personId : `${r.personId}:${r.reason}`))).toEqual([
      'p0',
      'p1',
      'p2',
      'p3:no usable identifier',
      'p4',
      'p5:platform said no',
      'p6',
    ]);
  });
  it('with a size per row, cuts where the summed size would pass the limit, in order and one request after another', async () => {
    const input = rows(6, (i) => (i === 2 ? {} : { email: `h${i}`, ...(i % 2 === 0 ? { phone: `t${i}` } : {}) }));
    const size = (r: MemberRow) => Object.keys(r.identifiers).length;
    const sent: [number, string[]][] = [];
    let inFlight = 0;
    const results = await sendInBatches(input, { limit: 3, size }, async (chunk, from) => {
      expect(++inFlight).toBe(1);
      await tick();
      inFlight--;
      sent.push([from, chunk.map((r) => r.personId)]);
      return undefined;
    });
    // Sizes 2, 1, -, 1, 2, 1 (p2 has no key): [p0 p1] 3, [p3 p4] 3, [p5] 1.
    expect(sent).toEqual([
      [0, ['p0', 'p1']],
      [2, ['p3', 'p4']],
      [4, ['p5']],
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true, true]);
  });
  it('sends nothing for rows without keys, and throws the first failure', async () => {
    let calls = 0;
    expect(await sendInBatches(rows(2, () => ({})), { limit: 5 }, async () => void calls++)).toHaveLength(2);
    expect(calls).toBe(0);
    const err = new DestinationError('invalid_auth', 'revoked');
    await expect(sendInBatches(rows(4), { limit: 1, gate: new RequestGate(2) }, async () => Promise.reject(err))).rejects.toBe(err);
  });
});

describe('findOrCreateAudience', () => {
  it('finds before creating, and never creates a second one', async () => {
    let created = 0;
    const ref = await findOrCreateAudience('a', { find: async () => ({ id: '1', name: 'a' }), create: async () => ({ id: String(++created), name: 'a' }) });
    expect(ref).toEqual({ id: '1', name: 'a' });
    expect(created).toBe(0);
  });
  it('creates when absent; after losing a create race (a duplicate-name code) takes the winner', async () => {
    expect(await findOrCreateAudience('a', { find: async () => undefined, create: async () => ({ id: '9', name: 'a' }) })).toEqual({ id: '9', name: 'a' });
    let finds = 0;
    const raced = await findOrCreateAudience('a', {
      find: async () => (finds++ === 0 ? undefined : { id: '7', name: 'a' }),
      create: async () => Promise.reject(new DestinationError('invalid_payload', 'taken', { code: 4853 })),
      duplicateCodes: [4853],
    });
    expect(raced).toEqual({ id: '7', name: 'a' });
    const other = new DestinationError('invalid_payload', 'bad name', { code: 4838 });
    await expect(findOrCreateAudience('a', { find: async () => undefined, create: async () => Promise.reject(other), duplicateCodes: [4853] })).rejects.toBe(other);
  });
  it('findInPages stops at the first hit or the last page', async () => {
    const pages: number[] = [];
    const hit = await findInPages(async (i) => (pages.push(i), { items: [i * 10, i * 10 + 1], more: i < 5 }), (x) => x === 21);
    expect([hit, pages]).toEqual([21, [0, 1, 2]]);
    expect(await findInPages(async (i) => ({ items: [i], more: i < 1 }), () => false)).toBeUndefined();
  });
});

describe('prepareKeysOnPool: the platform rules, on the hashing threads for large inputs', () => {
  const pools: EncodePool[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));
  const input = rows(2_500, (i) =>
    i % 5 === 0 ? { email: 'not-an-email' } : i % 5 === 1 ? { firstName: 'Ann' } : { email: ` Person${i}@Example.com `, firstName: 'Ann', lastName: 'Lee', countryCode: 'de' },
  );
  it('gives one result per row, in order, the same on a thread as on the main thread', async () => {
    const threaded = new EncodePool({ threads: 1, minRows: 100 });
    const main = new EncodePool({ threads: 0 });
    pools.push(threaded, main);
    const [a, b] = await Promise.all([prepareKeysOnPool(threaded, 'linkedin_keys', input), prepareKeysOnPool(main, 'linkedin_keys', input)]);
    expect(threaded.started).toBe(1);
    expect(a).toEqual(b);
    expect(a).toHaveLength(input.length);
    expect(a[0]).toEqual({ personId: 'p0', keys: {}, rejected: 'no usable identifier (email: not an email address)' });
    expect(a[1]).toEqual({ personId: 'p1', keys: {}, rejected: 'no usable identifier' });
    expect(a[2]).toEqual({ personId: 'p2', keys: { email: sha('person2@example.com'), firstName: 'Ann', lastName: 'Lee', countryCode: 'DE' } });
    expect(a.map((r) => r.personId)).toEqual(input.map((r) => r.personId));
  });
  it('Google Ads keys a whole address only, and says why a partial one is not used', async () => {
    const main = new EncodePool({ threads: 0 });
    pools.push(main);
    const address = { firstName: 'Mary', lastName: 'Smith', countryCode: 'us', postalCode: '10011' };
    const [whole, partial, both] = await prepareKeysOnPool(main, 'google_ads_keys', [
      { personId: 'a', identifiers: address },
      { personId: 'b', identifiers: { firstName: 'Mary', lastName: 'Smith' } },
      { personId: 'c', identifiers: { email: 'M@x.io', firstName: 'Mary' } },
    ]);
    expect(whole?.keys).toEqual({ firstName: sha('mary'), lastName: sha('smith'), countryCode: 'US', postalCode: '10011' });
    expect(partial).toMatchObject({ keys: {}, rejected: expect.stringContaining('address: needs firstName, lastName, countryCode and postalCode together') });
    expect(both?.keys).toEqual({ email: sha('m@x.io') });
  });
  it('is deterministic: the same value always gives the same key', async () => {
    const main = new EncodePool({ threads: 0 });
    pools.push(main);
    const one = await prepareKeysOnPool(main, 'snapchat_keys', [{ personId: 'x', identifiers: { phone: '+1 (212) 555-1000' } }]);
    const two = await prepareKeysOnPool(main, 'snapchat_keys', [{ personId: 'y', identifiers: { phone: '+12125551000' } }]);
    expect(one[0]?.keys).toEqual(two[0]?.keys);
    expect(await prepareKeysOnPool(main, 'snapchat_keys', [])).toEqual([]);
  });
});

/** A kit destination with no platform behind it: what the base class alone does. */
class BareDestination extends KitDestination {
  constructor(o: Partial<KitDestinationOptions>, pool: EncodePool) {
    super({ label: 'bare', requestsInFlight: 3, rowsPerRequest: 10, encoder: 'pinterest_keys', acceptedIdentifiers: ['email', 'mobileAdId'], deps: { baseDir: '.', encodePool: pool }, ...o });
  }
  protected probe(): Promise<unknown> {
    return Promise.resolve();
  }
  protected send(_kind: 'add' | 'remove', _audience: AudienceRef, rows: readonly MemberRow[]): Promise<RowResult[]> {
    return Promise.resolve(rows.map((r) => ({ personId: r.personId, ok: true as const })));
  }
  createAudience(input: { name: string }): Promise<AudienceRef> {
    return Promise.resolve({ id: input.name, name: input.name });
  }
  readMatchRate(): Promise<MatchRate> {
    return Promise.resolve({ status: 'ready' });
  }
}

describe('KitDestination', () => {
  const pool = new EncodePool({ threads: 0 });
  afterAll(() => pool.close());
  const input: MemberRow[] = [
    { personId: 'both', identifiers: { email: 'A@x.io', mobileAdId: 'AEBE52E7-03EE-455A-B3C4-E57283966239' } },
    { personId: 'email-only', identifiers: { email: 'b@x.io' } },
  ];
  it('calls: two requests a call and one call more than requests in flight, unless set', () => {
    const d = new BareDestination({}, pool);
    expect([d.batchLimit, d.concurrency]).toEqual([20, 4]);
    const set = new BareDestination({ batchLimit: 30, concurrency: 3 }, pool);
    expect([set.batchLimit, set.concurrency]).toEqual([30, 3]);
  });
  it('keys every identifier the encoder takes, or with keyedBy only that one', async () => {
    const all = await new BareDestination({}, pool).prepareKeys(input);
    expect(Object.keys(all[0]?.keys ?? {}).sort()).toEqual(['email', 'mobileAdId']);
    expect(all[1]?.keys).toEqual({ email: sha('b@x.io') });
    const maid = await new BareDestination({ keyedBy: 'mobileAdId' }, pool).prepareKeys(input);
    expect(Object.keys(maid[0]?.keys ?? {})).toEqual(['mobileAdId']);
    expect(maid[0]?.keys.mobileAdId).toBe(all[0]?.keys.mobileAdId);
    expect(maid[1]).toMatchObject({ personId: 'email-only', keys: {}, rejected: expect.stringContaining('no usable identifier') });
  });
});

describe('read-back', () => {
  it('reports size and match rate, and a warning (not a failure) below the minimum', () => {
    expect(sizeReadBack({ platform: 'LinkedIn', ready: true, size: 120, received: 200, matched: 120, minimum: 300 })).toEqual({
      status: 'ready',
      audienceSize: 120,
      matchRate: 0.6,
      warnings: ["audience below LinkedIn's minimum size: 120 matched, campaigns need at least 300"],
    });
    expect(sizeReadBack({ platform: 'Snapchat', ready: true, size: 5_000, minimum: 1_000 })).toEqual({ status: 'ready', audienceSize: 5_000 });
    // Still processing: no verdict on the size yet.
    expect(sizeReadBack({ platform: 'TikTok', ready: false, size: 0, minimum: 1_000 })).toEqual({ status: 'processing', audienceSize: 0 });
    expect(belowMinimum({ platform: 'TikTok', ready: true, size: 999, minimum: 1_000 })).toContain('at least 1,000');
  });
  it('reads counts from numbers and numeric strings only', () => {
    expect([countOf(3), countOf('42'), countOf(null), countOf(-1), countOf(''), countOf('x')]).toEqual([3, 42, undefined, undefined, undefined, undefined]);
  });
});

describe('testConnection and the platform client', () => {
  const codes: ErrorCodes = { invalidAuth: [190] };
  const client = (f: typeof fetch, refreshOn401 = false, tokens: boolean[] = []) =>
    new PlatformClient({
      baseUrl: 'https://api.replay.invalid',
      timeoutMs: 1_000,
      label: 'X destination "x"',
      codes,
      refreshOn401,
      fetch: f,
      headers: async (refreshed) => (tokens.push(refreshed), { authorization: `Bearer ${refreshed ? 'new' : 'old'}` }),
      failure: (res) => statusFailure(res, (b) => asRecord(b)?.code as number | undefined),
    });
  it('resolves on the one call succeeding and maps its failure, naming the destination', async () => {
    await expect(checkConnection('X destination "x"', () => client(async () => Response.json({})).call({ method: 'GET', path: '/me' }))).resolves.toBeUndefined();
    const err = await expectError(checkConnection('X destination "x"', () => client(async () => Response.json({ code: 190 }, { status: 400 })).call({ method: 'GET', path: '/me' })));
    expect([err.kind, err.message]).toEqual(['invalid_auth', 'X destination "x": GET /me: access denied (HTTP 400, code 190)']);
    const odd = await expectError(checkConnection('X destination "x"', async () => Promise.reject(new TypeError('boom'))));
    expect([odd.kind, odd.message]).toEqual(['retryable', 'X destination "x": connection test: TypeError']);
  });
  it('retries a 401 once with fresh headers, then believes it', async () => {
    const tokens: boolean[] = [];
    let n = 0;
    const f: typeof fetch = async () => (n++ === 0 ? new Response('', { status: 401 }) : Response.json({ ok: true }));
    expect((await client(f, true, tokens).call({ method: 'GET', path: '/me' })).body).toEqual({ ok: true });
    expect(tokens).toEqual([false, true]);
    const always: typeof fetch = async () => new Response('', { status: 401 });
    const t2: boolean[] = [];
    expect((await expectError(client(always, true, t2).call({ method: 'GET', path: '/me' }))).kind).toBe('invalid_auth');
    expect(t2).toEqual([false, true]);
  });
});

describe('OAuthRefresher', () => {
  const make = (f: typeof fetch, now = () => 0) =>
    new OAuthRefresher({ tokenUrl: 'https://auth.replay.invalid/token', clientId: 'c', clientSecret: 'secret-value', refreshToken: 'refresh-value', label: 'X destination "x"', platform: 'X', timeoutMs: 1_000, fetch: f, now });
  it('refreshes once, shares the refresh between callers, keeps the token until a minute before expiry', async () => {
    let calls = 0;
    let time = 0;
    const o = make(async (_u, init) => {
      calls++;
      expect(String(init?.body)).toContain('grant_type=refresh_token');
      return Response.json({ access_token: `t${calls}`, expires_in: 3600 });
    }, () => time);
    expect(await Promise.all([o.token(), o.token()])).toEqual(['t1', 't1']);
    time = 3_539_000;
    expect(await o.token()).toBe('t1');
    time = 3_541_000;
    expect(await o.token()).toBe('t2');
    expect(await o.token(true)).toBe('t3');
  });
  it('maps a refused refresh token to invalid_auth without secrets, and 5xx / 429 to retryable kinds', async () => {
    const err = await expectError(make(async () => Response.json({ error: 'invalid_grant' }, { status: 400 })).token());
    expect(err.kind).toBe('invalid_auth');
    expect(err.message).toContain('invalid_grant');
    expect(err.message).not.toMatch(/secret-value|refresh-value/);
    expect((await expectError(make(async () => new Response('', { status: 503 })).token())).kind).toBe('retryable');
    const throttled = await expectError(make(async () => new Response('', { status: 429, headers: { 'retry-after': '7' } })).token());
    expect([throttled.kind, throttled.retryAfterMs]).toEqual(['rate_limited', 7_000]);
  });
});
