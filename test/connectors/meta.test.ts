import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { metaConnector, metaSettingsSchema } from '../../connectors/meta';
import { EncodePool } from '../../connectors/shared/encode-pool';
import type { Destination, MemberRow } from '../../src/destinations/contract';
import { MetaFake } from '../../src/sandbox/meta';
import { connectWith, sendingRaw, useContractFake } from './contract-kit';
import { expectError } from './expect-error';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ctx = { batchId: 'run-1/add/0' };
const fake = new MetaFake();
const logs: [string, Record<string, unknown> | undefined][] = [];

useContractFake(fake, () => {
  fake.invalidValues.clear();
  logs.length = 0;
});

const connect = (extra: Record<string, unknown> = {}, fetchImpl?: typeof fetch): Destination =>
  sendingRaw(connectWithMeta(extra, fetchImpl));
const connectWithMeta = (extra: Record<string, unknown> = {}, fetchImpl?: typeof fetch): Destination =>
  connectWith(metaConnector, fake.settings(extra), { log: (e, f) => logs.push([e, f]), ...(fetchImpl ? { fetch: fetchImpl } : {}) });

const person = (i: number): MemberRow => ({ personId: `p${i}`, identifiers: { email: `Person${i}@Example.com`, phone: `+1 212 555 ${1000 + i}` } });
/** The keys of person(i) the audience holds: Meta matches on any key, so the audience is a set of keys. */
const keys = (i: number) => [`EMAIL=${sha(`person${i}@example.com`)}`, `PHONE=${sha(`1212555${1000 + i}`)}`];

describe('meta connector against the contract fake', () => {
  it('creates a customer-file audience once and reuses it by name', async () => {
    const a = await connect().createAudience({ name: 'aud-a' });
    const b = await connect().createAudience({ name: 'aud-a' });
    expect(b.id).toBe(a.id);
    const aud = fake.audienceByName('aud-a');
    expect(aud).toMatchObject({ subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' });
    expect([...fake.audiences.values()].filter((x) => x.name === 'aud-a')).toHaveLength(1);
  });

  it('finds an existing audience past the first page of the listing', async () => {
    const dest = connect();
    for (let i = 0; i < 3; i++) await dest.createAudience({ name: `filler-${i}` });
    const target = await dest.createAudience({ name: 'aud-late' });
    // The fake pages at `limit`; 500 per page still finds it, so shrink the page through a spy.
    const spy: typeof fetch = async (input, init) => fetch(String(input).replace('limit=500', 'limit=2'), init);
    expect((await connect({}, spy).createAudience({ name: 'aud-late' })).id).toBe(target.id);
  });

  it('adds and removes with a multi-key schema; the audience holds exactly the hashed keys', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-members' });
    const added = await dest.addMembers(aud, [1, 2, 3].map(person), ctx);
    expect(added.every((r) => r.ok)).toBe(true);
    expect(fake.members('aud-members')).toEqual(new Set([1, 2, 3].flatMap(keys)));
    await dest.removeMembers(aud, [person(2)], ctx);
    expect(fake.members('aud-members')).toEqual(new Set([...keys(1), ...keys(3)]));
    expect(fake.uploads.slice(-2).map((u) => u.method)).toEqual(['POST', 'DELETE']);
  });

  it('splits a call into one session of <= rowsPerRequest rows with batch_seq and last_batch_flag', async () => {
    const dest = connect({ rowsPerRequest: 4, requestsPerSession: 3 });
    expect(dest.batchLimit).toBe(12);
    const aud = await dest.createAudience({ name: 'aud-session' });
    const before = fake.uploads.length;
    await dest.addMembers(aud, Array.from({ length: 10 }, (_, i) => person(i)), ctx);
    const ups = fake.uploads.slice(before);
    expect(ups.map((u) => [u.rows, u.batchSeq, u.last])).toEqual([
      [4, 1, false],
      [4, 2, false],
      [2, 3, true],
    ]);
    expect(new Set(ups.map((u) => u.sessionId)).size).toBe(1);
    expect(fake.members('aud-session').size).toBe(20);
  });

  it('keeps at most `concurrency` requests in flight, and takes one more call than that so a free slot never waits', async () => {
    const dest = connect({ rowsPerRequest: 4, requestsPerSession: 3, concurrency: 2 });
    expect(dest.concurrency).toBe(3);
    const aud = await dest.createAudience({ name: 'aud-gate' });
    fake.latencyMs = 25;
    fake.peakConcurrentRequests = 0;
    try {
      const calls = [0, 1, 2].map((c) => dest.addMembers(aud, Array.from({ length: 12 }, (_, i) => person(c * 12 + i)), ctx));
      expect((await Promise.all(calls)).flat().every((r) => r.ok)).toBe(true);
    } finally {
      fake.latencyMs = 0;
    }
    expect(fake.peakConcurrentRequests).toBe(2);
    expect(fake.members('aud-gate').size).toBe(72);
  });

  it('builds large requests on a worker thread with the same result', async () => {
    const encodePool = new EncodePool({ threads: 1, minRows: 1 });
    try {
      const settings = metaSettingsSchema.parse(fake.settings({ rowsPerRequest: 3 }));
      const dest = sendingRaw(metaConnector.create(settings, { baseDir: '.', encodePool }));
      const aud = await dest.createAudience({ name: 'aud-worker' });
      fake.invalidValues.add(sha('person2@example.com'));
      const rows = [person(1), person(2), { personId: 'z', identifiers: { email: 'nope', countryCode: 'US' } }, person(3), { personId: 'q', identifiers: { externalId: 'crm "7" \\ zoë' } }];
      const results = await dest.addMembers(aud, rows, ctx);
      expect(encodePool.started).toBe(1);
      expect(results.map((r) => r.ok)).toEqual([true, false, false, true, true]);
      expect(results[2]).toMatchObject({ reason: expect.stringContaining('email: not an email address') });
      expect(fake.members('aud-worker')).toEqual(new Set([...keys(1), ...keys(3), 'EXTERN_ID=crm "7" \\ zoë']));
    } finally {
      await encodePool.close();
    }
  });

  it('sends kinds by Meta rules: hashed country and zip, plain lowercase MADID', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-keys' });
    await dest.addMembers(
      aud,
      [{ personId: 'x', identifiers: { firstName: 'Mary', lastName: 'Smith', postalCode: '10011-1234', countryCode: 'US', mobileAdId: 'AB0C5F2E-1B4D-4C8A-9E1F-0123456789AB' } }],
      ctx,
    );
    expect(fake.members('aud-keys')).toEqual(
      new Set([`COUNTRY=${sha('us')}`, `FN=${sha('mary')}`, `LN=${sha('smith')}`, 'MADID=ab0c5f2e-1b4d-4c8a-9e1f-0123456789ab', `ZIP=${sha('10011')}`]),
    );
  });

  it('escapes plain values that JSON needs escaped', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-escape' });
    await dest.addMembers(aud, [{ personId: 'q', identifiers: { externalId: 'crm "7" \\ zoë' } }], ctx);
    expect(fake.members('aud-escape')).toEqual(new Set(['EXTERN_ID=crm "7" \\ zoë']));
  });

  it('reports locally unusable rows and rows Meta counts as invalid entries', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-invalid' });
    fake.invalidValues.add(sha('person2@example.com'));
    const results = await dest.addMembers(aud, [person(1), person(2), { personId: 'z', identifiers: { email: 'nope', countryCode: 'US' } }, person(3)], ctx);
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(results[1]).toMatchObject({ reason: 'Meta: invalid entry (Invalid format)' });
    expect(results[2]).toMatchObject({ reason: expect.stringContaining('email: not an email address') });
    expect(fake.members('aud-invalid')).toEqual(new Set([...keys(1), ...keys(3)]));
  });

  it('reads approximate counts, status and the latest session match rate', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-rate' });
    await dest.addMembers(aud, Array.from({ length: 40 }, (_, i) => person(i)), ctx);
    const rate = await dest.readMatchRate(aud);
    expect(rate.status).toBe('ready');
    expect(rate.audienceSize).toBeGreaterThan(0);
    expect(rate.audienceSizeUpper).toBeGreaterThanOrEqual(rate.audienceSize ?? 0);
    expect(rate.matchRate).toBeGreaterThan(0);
    expect(rate.matchRate).toBeLessThanOrEqual(1);
    const audience = fake.audienceByName('aud-rate');
    if (audience) audience.operationStatus = 471;
    expect((await expectError(dest.readMatchRate(aud))).code).toBe('471');
  });

  it('a throttle reply (HTTP 400, code 80003) is rate_limited with the regain-access time', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-throttle' });
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: '/users', retryAfterMs: 120_000 });
    const err = await expectError(dest.addMembers(aud, [person(1)], ctx));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(120_000);
  });

  it('5xx and timeouts are retryable', async () => {
    const dest = connect({ requestTimeoutMs: 1_500 });
    const aud = await dest.createAudience({ name: 'aud-5xx' });
    fake.inject({ kind: 'server_error', times: 1, status: 500 });
    expect((await expectError(dest.addMembers(aud, [person(1)], ctx))).kind).toBe('retryable');
    fake.inject({ kind: 'hang', times: 1, ms: 4_000 });
    const err = await expectError(dest.addMembers(aud, [person(1)], ctx));
    expect([err.kind, err.code]).toEqual(['retryable', 'timeout']);
  });

  it('a revoked token is invalid_auth and the message holds no token', async () => {
    const own = new MetaFake();
    await own.start();
    try {
      const dest = metaConnector.create(metaSettingsSchema.parse(own.settings()), { baseDir: '.' });
      await dest.testConnection();
      own.revokeToken();
      const err = await expectError(dest.createAudience({ name: 'x' }));
      expect([err.kind, err.code, err.retryable]).toEqual(['invalid_auth', '190/460', false]);
      expect(err.message).not.toContain(own.accessToken);
    } finally {
      await own.stop();
    }
  });

  it('pins the request: version, token in the body of writes, session fields', async () => {
    const seen: { url: string; method: string; body: unknown }[] = [];
    const spy: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), method: String(init?.method), body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return fetch(input, init);
    };
    const dest = connect({}, spy);
    const aud = await dest.createAudience({ name: 'aud-pinned' });
    await dest.removeMembers(aud, [{ personId: 'p', identifiers: { email: 'mary@example.com' } }], ctx);
    const del = seen.find((s) => s.method === 'DELETE');
    expect(del?.url).toBe(`${fake.url}/v25.0/${aud.id}/users`);
    expect(del?.body).toEqual({
      payload: { schema: ['EMAIL'], data: [['f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79']] },
      session: { session_id: expect.any(Number), batch_seq: 1, last_batch_flag: true, estimated_num_total: 1 },
      access_token: fake.accessToken,
    });
    const create = seen.find((s) => s.url.endsWith('/customaudiences') && s.method === 'POST');
    expect(create?.body).toMatchObject({ name: 'aud-pinned', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' });
  });
});

describe('meta settings', () => {
  it('marks the token secret, strips act_, bounds rows per request', () => {
    expect(metaConnector.secretSettings).toEqual(['accessToken']);
    const s = metaSettingsSchema.parse({ adAccountId: 'act_42', accessToken: 't' });
    expect([s.adAccountId, s.apiVersion, s.rowsPerRequest]).toEqual(['42', 'v25.0', 10_000]);
    expect(() => metaSettingsSchema.parse({ ...s, rowsPerRequest: 10_001 })).toThrow();
  });
});
