import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { googleAdsConnector, googleAdsSettingsSchema } from '../../connectors/google-ads';
import type { Destination, MemberRow } from '../../src/destinations/contract';
import { GoogleAdsFake } from '../../src/sandbox/google-ads';
import { connectWith, sendingRaw, useContractFake } from './contract-kit';
import { expectError } from './expect-error';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ctx = { batchId: 'run-1/add/0' };
const fake = new GoogleAdsFake();

useContractFake(fake, () => fake.invalidHashes.clear());

const connect = (extra: Record<string, unknown> = {}, fetchImpl?: typeof fetch): Destination =>
  sendingRaw(connectWith(googleAdsConnector, fake.settings(extra), { sleep: async () => {}, ...(fetchImpl ? { fetch: fetchImpl } : {}) }));

const person = (i: number, extra: MemberRow['identifiers'] = {}): MemberRow => ({
  personId: `p${i}`,
  identifiers: { email: `Person${i}@Example.com`, phone: `+1 212 555 ${String(1000 + i)}`, ...extra },
});
/** The keys of person(i) the list holds: Customer Match matches on any identifier, so a list is a set of keys. */
const keys = (i: number) => [`email:${sha(`person${i}@example.com`)}`, `phone:${sha(`+1212555${1000 + i}`)}`];

describe('google_ads connector against the contract fake', () => {
  it('creates a CONTACT_INFO list once and finds it by name afterwards', async () => {
    const dest = connect();
    const a = await dest.createAudience({ name: 'aud-create-1' });
    const b = await connect().createAudience({ name: 'aud-create-1' });
    expect(b.id).toBe(a.id);
    expect([...fake.lists.values()].filter((l) => l.name === 'aud-create-1')).toHaveLength(1);
    expect(fake.listByName('aud-create-1')?.uploadKeyType).toBe('CONTACT_INFO');
  });

  it('adds and removes in separate jobs; the list holds exactly the hashed keys', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-members' });
    const rows = [1, 2, 3, 4].map((i) => person(i));
    const jobsBefore = fake.jobs.size;
    const added = await dest.addMembers(aud, rows, ctx);
    expect(added.every((r) => r.ok)).toBe(true);
    expect(fake.members('aud-members')).toEqual(new Set([1, 2, 3, 4].flatMap(keys)));
    await dest.removeMembers(aud, [person(2), person(4)], { batchId: 'run-1/remove/0' });
    expect(fake.members('aud-members')).toEqual(new Set([...keys(1), ...keys(3)]));
    const jobs = [...fake.jobs.values()].slice(jobsBefore);
    expect(jobs.map((j) => [j.kind, j.status])).toEqual([
      ['create', 'SUCCESS'],
      ['remove', 'SUCCESS'],
    ]);
  });

  it('sends addresses with plain country and postal code', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-address' });
    await dest.addMembers(aud, [{ personId: 'a', identifiers: { firstName: 'Mary', lastName: 'Smith', countryCode: 'us', postalCode: '10011' } }], ctx);
    expect(fake.members('aud-address')).toEqual(new Set([`address:${sha('mary')}|${sha('smith')}|US|10011`]));
  });

  it('keeps each request within identifiersPerRequest', async () => {
    const dest = connect({ identifiersPerRequest: 5 });
    const aud = await dest.createAudience({ name: 'aud-chunks' });
    fake.maxIdentifiersSeen = 0;
    const before = fake.requests.filter((r) => r.path.endsWith(':addOperations')).length;
    await dest.addMembers(aud, Array.from({ length: 12 }, (_, i) => person(i)), ctx);
    const after = fake.requests.filter((r) => r.path.endsWith(':addOperations')).length;
    expect(fake.maxIdentifiersSeen).toBeLessThanOrEqual(5);
    expect(after - before).toBe(6); // 2 identifiers per user, 2 users per request
    expect(fake.members('aud-chunks').size).toBe(24);
  });

  it('rejects rows without a usable identifier locally, and rows Google refuses per row', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-partial' });
    fake.invalidHashes.add(sha('person2@example.com'));
    const results = await dest.addMembers(
      aud,
      [person(1), person(2), { personId: 'bad', identifiers: { email: 'not-an-email', phone: null } }, person(3)],
      ctx,
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(results[1]).toMatchObject({ personId: 'p2', reason: expect.stringContaining('INVALID_USER_IDENTIFIER') });
    expect(results[2]).toMatchObject({ personId: 'bad', reason: expect.stringContaining('email: not an email address') });
    expect(fake.members('aud-partial')).toEqual(new Set([...keys(1), ...keys(3)]));
  });

  it('reads size and match rate back: processing before the first job, ready after', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-rate' });
    expect(await dest.readMatchRate(aud)).toEqual({ status: 'processing' });
    await dest.addMembers(aud, Array.from({ length: 50 }, (_, i) => person(i)), ctx);
    const rate = await dest.readMatchRate(aud);
    const list = fake.listByName('aud-rate');
    expect(rate).toEqual({ status: 'ready', audienceSize: list?.sizeForSearch, matchRate: (list?.matchRatePercentage ?? -1) / 100 });
    expect(rate.audienceSize).toBeGreaterThan(0);
  });

  it('polls a running job until it succeeds', async () => {
    fake.pollsUntilDone = 3;
    try {
      const dest = connect();
      const aud = await dest.createAudience({ name: 'aud-poll' });
      await dest.addMembers(aud, [person(1)], ctx);
      expect(fake.members('aud-poll').size).toBe(2);
    } finally {
      fake.pollsUntilDone = 1;
    }
  });

  it('leaves a slow job running, and starts the next job on the list only once it has finished', async () => {
    fake.pollsUntilDone = 4;
    try {
      const logs: string[] = [];
      const settings = googleAdsSettingsSchema.parse(fake.settings({ jobWaitTimeoutMs: 0 }));
      const dest = sendingRaw(googleAdsConnector.create(settings, { baseDir: '.', log: (e) => logs.push(e), sleep: async () => {} }));
      const aud = await dest.createAudience({ name: 'aud-slow' });
      await dest.removeMembers(aud, [person(1)], ctx);
      expect(logs).toContain('google_ads.job_still_running');
      const [first] = [...fake.jobs.values()].filter((j) => j.userList === aud.id);
      expect(first?.status).toBe('RUNNING');
      // jobWaitTimeoutMs 0: one look, still busy -> retryable, and no second job created.
      const busy = await expectError(dest.addMembers(aud, [person(1)], ctx));
      expect([busy.kind, busy.code]).toEqual(['retryable', 'LIST_BUSY']);
      expect([...fake.jobs.values()].filter((j) => j.userList === aud.id)).toHaveLength(1);
      // With time to wait, the add job starts after the remove job finished.
      const patient = sendingRaw(googleAdsConnector.create(googleAdsSettingsSchema.parse(fake.settings()), { baseDir: '.', sleep: async () => {} }));
      await patient.addMembers(aud, [person(1)], ctx);
      expect(first?.status).toBe('SUCCESS');
      expect(fake.members('aud-slow')).toEqual(new Set(keys(1)));
    } finally {
      fake.pollsUntilDone = 1;
    }
  });

  it('a failed job is a retryable error', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-failjob' });
    fake.failNextJobs = 1;
    const err = await expectError(dest.addMembers(aud, [person(1)], ctx));
    expect(err.kind).toBe('retryable');
  });

  it('quota errors are rate_limited with Google\'s retry delay', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-quota' });
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: 'offlineUserDataJobs:create', retryAfterMs: 7500 });
    const err = await expectError(dest.addMembers(aud, [person(1)], ctx));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(7500);
    expect(err.code).toBe('quotaError.RESOURCE_TEMPORARILY_EXHAUSTED');
  });

  it('5xx is retryable; a hung request times out as retryable', async () => {
    const dest = connect({ requestTimeoutMs: 1_500 });
    const aud = await dest.createAudience({ name: 'aud-5xx' });
    fake.inject({ kind: 'server_error', times: 1, status: 503 });
    expect((await expectError(dest.addMembers(aud, [person(1)], ctx))).kind).toBe('retryable');
    fake.inject({ kind: 'hang', times: 1, ms: 4_000 });
    const err = await expectError(dest.addMembers(aud, [person(1)], ctx));
    expect(err.kind).toBe('retryable');
    expect(err.code).toBe('timeout');
  });

  it('refreshes an expired access token transparently', async () => {
    const dest = connect();
    const aud = await dest.createAudience({ name: 'aud-expire' });
    fake.expireAccessTokens();
    await dest.addMembers(aud, [person(1)], ctx);
    expect(fake.members('aud-expire').size).toBe(2);
  });

  it('a revoked refresh token fails fast as invalid_auth without leaking the token', async () => {
    const revoked = new GoogleAdsFake();
    await revoked.start();
    try {
      const settings = googleAdsSettingsSchema.parse(revoked.settings());
      const dest = googleAdsConnector.create(settings, { baseDir: '.' });
      await dest.testConnection();
      revoked.revokeRefreshToken();
      const err = await expectError(dest.createAudience({ name: 'x' }));
      expect(err.kind).toBe('invalid_auth');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('refresh token');
      expect(err.message).not.toContain(revoked.refreshToken);
    } finally {
      await revoked.stop();
    }
  });

  it('sends the pinned version, developer-token and login-customer-id headers', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const spy: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } });
      return fetch(input, init);
    };
    const mcc = new GoogleAdsFake({ loginCustomerId: '9998887776' });
    await mcc.start();
    try {
      const settings = googleAdsSettingsSchema.parse(mcc.settings({ loginCustomerId: '999-888-7776' }));
      await googleAdsConnector.create(settings, { baseDir: '.', fetch: spy }).testConnection();
      const api = seen.find((s) => s.url.includes('googleAds:search'));
      expect(api?.url).toBe(`${mcc.url}/v26/customers/${mcc.customerId}/googleAds:search`);
      expect(api?.headers).toMatchObject({
        'developer-token': mcc.developerToken,
        'login-customer-id': '9998887776',
        authorization: expect.stringMatching(/^Bearer ya29\.fake-/),
      });
    } finally {
      await mcc.stop();
    }
  });
});

describe('google_ads OAuth (replayed replies)', () => {
  it('OAuth invalid_grant is invalid_auth; a token endpoint 5xx is retryable', async () => {
    const grant: typeof fetch = async () => Response.json({ error: 'invalid_grant' }, { status: 400 });
    expect((await expectError(connect({}, grant).testConnection())).kind).toBe('invalid_auth');
    const down: typeof fetch = async () => new Response('', { status: 502 });
    expect((await expectError(connect({}, down).testConnection())).kind).toBe('retryable');
  });
});

describe('google_ads settings', () => {
  it('marks secrets and strips dashes from customer ids', () => {
    expect(googleAdsConnector.secretSettings).toEqual(['developerToken', 'clientSecret', 'refreshToken']);
    const s = googleAdsSettingsSchema.parse({ customerId: '123-456-7890', developerToken: 'd', clientId: 'c', clientSecret: 's', refreshToken: 'r' });
    expect(s.customerId).toBe('1234567890');
    expect(s.apiVersion).toBe('v26');
    expect(() => googleAdsSettingsSchema.parse({ ...s, identifiersPerRequest: 100_001 })).toThrow();
    expect(() => googleAdsSettingsSchema.parse({ ...s, typo: 1 })).toThrow();
  });
});
