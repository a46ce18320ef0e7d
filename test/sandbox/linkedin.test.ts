import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINKEDIN_PATHS, LinkedInFake, linkedInTuple, normaliseLinkedIn } from '../../src/sandbox/linkedin';
import { MARY_SHA256, refreshGrant, send, sha256 } from './support';

/** LinkedIn DMP segments fake, driven as LinkedIn's Matched Audiences docs describe the API. */

const fake = new LinkedInFake({ activeVersions: ['202605', '202606'] });
const account = () => `urn:li:sponsoredAccount:${fake.adAccountId}`;
let token = '';

beforeAll(async () => {
  await fake.start();
  token = await refreshGrant(`${fake.url}${LINKEDIN_PATHS.token}`, fake.tokens.client);
});
afterAll(() => fake.stop());

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'linkedin-version': '202606', 'x-restli-protocol-version': '2.0.0', 'content-type': 'application/json', ...extra };
}
const rest = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  send(`${fake.url}/rest/${path}`, { method: init.method ?? 'GET', headers: init.headers ?? headers(), body: init.body === undefined ? undefined : JSON.stringify(init.body) });

async function createSegment(name: string, sourceSegmentId?: string): Promise<string> {
  const r = await rest('dmpSegments', {
    method: 'POST',
    body: { name, account: account(), accessPolicy: 'PRIVATE', type: 'USER', sourcePlatform: fake.sourcePlatform, destinations: [{ destination: 'LINKEDIN' }], ...(sourceSegmentId ? { sourceSegmentId } : {}) },
  });
  expect(r.status).toBe(201);
  return r.headers.get('x-restli-id') as string;
}
const email = (h: string, action = 'ADD') => ({ action, userIds: [{ idType: 'SHA256_EMAIL', idValue: h }] });
const users = (id: string, elements: unknown[], extra: Record<string, string> = {}) =>
  rest(`dmpSegments/${id}/users`, { method: 'POST', body: { elements }, headers: headers({ 'x-restli-method': 'BATCH_CREATE', ...extra }) });
const destination = (r: { body: Record<string, unknown> }) => (r.body.destinations as Record<string, unknown>[])[0] as Record<string, unknown>;

describe('LinkedIn fake: auth', () => {
  it('issues tokens by refresh grant and refuses a wrong client or a revoked refresh token', async () => {
    const tokenUrl = `${fake.url}${LINKEDIN_PATHS.token}`;
    const form = (secret: string) => new URLSearchParams({ grant_type: 'refresh_token', client_id: fake.tokens.client.clientId, client_secret: secret, refresh_token: fake.tokens.client.refreshToken });
    const wrong = await send(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form('nope') });
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client']);
    const other = new LinkedInFake();
    await other.start();
    try {
      other.revokeToken();
      const revoked = await send(`${other.url}${LINKEDIN_PATHS.token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: other.tokens.client.clientId, client_secret: other.tokens.client.clientSecret, refresh_token: other.tokens.client.refreshToken }),
      });
      expect([revoked.status, revoked.body.error]).toEqual([400, 'invalid_grant']);
    } finally {
      await other.stop();
    }
  });

  it('answers a missing, unknown, expired or revoked bearer token with 401 and LinkedIn service error codes', async () => {
    const finder = `dmpSegments?q=account&account=${encodeURIComponent(account())}`;
    const codeOf = async (h: Record<string, string>) => {
      const r = await rest(finder, { headers: h });
      return [r.status, r.body.serviceErrorCode, r.body.code];
    };
    const noAuth = headers();
    delete noAuth.authorization;
    expect(await codeOf(noAuth)).toEqual([401, 65604, 'EMPTY_ACCESS_TOKEN']);
    expect(await codeOf(headers({ authorization: 'Bearer not-a-token' }))).toEqual([401, 65600, 'INVALID_ACCESS_TOKEN']);
    const other = new LinkedInFake({ activeVersions: ['202606'] });
    await other.start();
    try {
      const t1 = other.tokens.issue();
      other.expireTokens();
      const expired = await send(`${other.url}/rest/${finder.replace(fake.adAccountId, other.adAccountId)}`, { headers: headers({ authorization: `Bearer ${t1}` }) });
      expect([expired.status, expired.body.code]).toEqual([401, 'EXPIRED_ACCESS_TOKEN']);
      const t2 = other.tokens.issue();
      other.revokeToken();
      const revoked = await send(`${other.url}/rest/${finder.replace(fake.adAccountId, other.adAccountId)}`, { headers: headers({ authorization: `Bearer ${t2}` }) });
      expect([revoked.status, revoked.body.serviceErrorCode, revoked.body.code]).toEqual([401, 65601, 'REVOKED_ACCESS_TOKEN']);
    } finally {
      await other.stop();
    }
  });

  it('refuses a token without rw_dmp_segments, and another ad account, with 403', async () => {
    const narrow = new LinkedInFake({ activeVersions: ['202606'], scopes: ['r_ads'] });
    await narrow.start();
    try {
      const t = narrow.tokens.issue();
      const r = await send(`${narrow.url}/rest/dmpSegments?q=account&account=${encodeURIComponent(`urn:li:sponsoredAccount:${narrow.adAccountId}`)}`, { headers: headers({ authorization: `Bearer ${t}` }) });
      expect([r.status, r.body.code]).toEqual([403, 'ACCESS_DENIED']);
    } finally {
      await narrow.stop();
    }
    const r = await rest(`dmpSegments?q=account&account=${encodeURIComponent('urn:li:sponsoredAccount:999')}`);
    expect(r.status).toBe(403);
  });
});

describe('LinkedIn fake: versions', () => {
  const finder = () => `dmpSegments?q=account&account=${encodeURIComponent(account())}`;
  it('answers a missing LinkedIn-Version with 400 and an inactive one with 426 NONEXISTENT_VERSION', async () => {
    const h = headers();
    delete h['linkedin-version'];
    const missing = await rest(finder(), { headers: h });
    expect([missing.status, missing.body.code]).toEqual([400, 'VERSION_MISSING']);
    const old = await rest(finder(), { headers: headers({ 'linkedin-version': '202301' }) });
    expect([old.status, old.body.code, old.body.message]).toEqual([426, 'NONEXISTENT_VERSION', 'Requested version 202301 is not active']);
    expect((await rest(finder(), { headers: headers({ 'linkedin-version': '202605' }) })).status).toBe(200);
    expect((await rest(finder(), { headers: headers({ 'linkedin-version': '202605.01' }) })).status).toBe(200);
  });

  it('requires X-Restli-Protocol-Version 2.0.0', async () => {
    const h = headers();
    delete h['x-restli-protocol-version'];
    expect((await rest(finder(), { headers: h })).status).toBe(400);
  });
});

describe('LinkedIn fake: segments and users', () => {
  it('creates a segment (201, id in x-restli-id), finds it with the account finder, adds and removes users, and reads status and audienceSize back', async () => {
    const id = await createSegment('spring-buyers', 'seg-42');
    const found = await rest(`dmpSegments?q=account&account=${encodeURIComponent(account())}&sourceSegmentId=seg-42&start=0&count=10`);
    expect(found.status).toBe(200);
    expect((found.body.elements as { id: number; name: string }[]).map((e) => [String(e.id), e.name])).toEqual([[id, 'spring-buyers']]);

    const a = sha256('a@example.com');
    const b = sha256('b@example.com');
    const add = await users(id, [email(a), email(b), { action: 'ADD', userIds: [{ idType: 'SHA256_EMAIL', idValue: sha256('c@example.com') }], firstName: 'Mary', lastName: 'Smith', country: 'US' }]);
    expect(add.status).toBe(200);
    expect(add.body.elements).toEqual([{ status: 201 }, { status: 201 }, { status: 201 }]);
    expect((await users(id, [email(b, 'REMOVE')])).body.elements).toEqual([{ status: 201 }]);

    const expected = new Set([
      LinkedInFake.expectedTuple({ email: 'a@example.com' }),
      LinkedInFake.expectedTuple({ email: 'C@Example.com ', firstName: 'Mary', lastName: 'Smith', countryCode: 'us' }),
    ]);
    expect(fake.members(id)).toEqual(expected);

    const first = await rest(`dmpSegments/${id}`);
    expect(destination(first).status).toBe('BUILDING');
    const second = await rest(`dmpSegments/${id}`);
    expect(destination(second)).toMatchObject({ destination: 'LINKEDIN', status: 'BUILDING', inputCount: 4 });
    expect(destination(second).audienceSize).toBeLessThanOrEqual(2);
  });

  it('shows READY once 300 members match, UPDATING while a change is processed', async () => {
    const id = await createSegment('big');
    const hashes = Array.from({ length: 600 }, (_, i) => sha256(`person${i}@example.com`));
    for (let i = 0; i < hashes.length; i += 200) await users(id, hashes.slice(i, i + 200).map((h) => email(h)));
    await rest(`dmpSegments/${id}`);
    const ready = destination(await rest(`dmpSegments/${id}`));
    expect(ready.status).toBe('READY');
    expect(ready.audienceSize).toBeGreaterThanOrEqual(300);
    await users(id, [email(sha256('late@example.com'))]);
    expect(destination(await rest(`dmpSegments/${id}`)).status).toBe('UPDATING');
  });

  it('needs X-RestLi-Method: BATCH_CREATE and refuses a batch over the element cap', async () => {
    const id = await createSegment('limits');
    const noMethod = await rest(`dmpSegments/${id}/users`, { method: 'POST', body: { elements: [email(sha256('x'))] } });
    expect(noMethod.status).toBe(400);
    const over = await users(id, Array.from({ length: fake.maxElementsPerRequest + 1 }, (_, i) => email(sha256(`${i}`))));
    expect([over.status, over.body.code]).toEqual([400, 'BATCH_SIZE_EXCEEDED']);
    expect(fake.members(id).size).toBe(0);
  });

  it('rejects bad elements one by one (status 400 in their slot) and applies the rest', async () => {
    const id = await createSegment('rows');
    const good = sha256('good@example.com');
    const r = await users(id, [
      email(sha256('x').toUpperCase()),
      email('not-a-hash'),
      { action: 'ADD', userIds: [{ idType: 'APPLE_IDFA', idValue: 'x' }] },
      { action: 'ADD', firstName: sha256('mary'), lastName: 'Smith' },
      { action: 'ADD', userIds: [{ idType: 'SHA256_EMAIL', idValue: sha256('y') }], country: 'us' },
      { action: 'ADD' },
      { action: 'UPSERT', userIds: [{ idType: 'SHA256_EMAIL', idValue: good }] },
      email(good),
    ]);
    expect(r.status).toBe(200);
    expect((r.body.elements as { status: number }[]).map((e) => e.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 201]);
    expect(JSON.stringify(r.body)).not.toContain(sha256('mary'));
    expect(fake.members(id)).toEqual(new Set([`SHA256_EMAIL=${good}`]));
  });

  it('keeps the right members over a sequence of adds and removes (repeated add and absent remove still answer 201)', async () => {
    const id = await createSegment('sequence');
    const h = (n: number) => sha256(`m${n}@example.com`);
    await users(id, [1, 2, 3, 4].map((n) => email(h(n))));
    await users(id, [email(h(2), 'REMOVE'), email(h(9), 'REMOVE'), email(h(1))]);
    const again = await users(id, [email(h(5)), email(h(3), 'REMOVE'), { action: 'ADD', firstName: 'Ann', lastName: 'Lee' }]);
    expect(again.body.elements).toEqual([{ status: 201 }, { status: 201 }, { status: 201 }]);
    await users(id, [{ action: 'REMOVE', firstName: 'Ann', lastName: 'Lee' }]);
    expect(fake.members(id)).toEqual(new Set([1, 4, 5].map((n) => linkedInTuple([`SHA256_EMAIL=${h(n)}`]))));
  });

  it('throttles with HTTP 429 and no Retry-After header, then serves again', async () => {
    const id = await createSegment('throttle');
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: '/users' });
    const r = await users(id, [email(sha256('t'))]);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeNull();
    expect((await users(id, [email(sha256('t'))])).status).toBe(200);
  });
});

describe('normaliseLinkedIn', () => {
  it('hashes a trimmed, lowercased email and keeps names and country plain', () => {
    expect(normaliseLinkedIn('email', '  Mary@Example.COM ')).toBe(`SHA256_EMAIL=${MARY_SHA256}`);
    expect(normaliseLinkedIn('firstName', ' Mary ')).toBe('firstName=Mary');
    expect(normaliseLinkedIn('lastName', 'x'.repeat(36))).toBeUndefined();
    expect(normaliseLinkedIn('countryCode', 'gb')).toBe('country=GB');
    expect(normaliseLinkedIn('mobileAdId', 'CDDA802E-FB9C-47AD-9866-0794D394C912')).toBe('GOOGLE_AID=cdda802e-fb9c-47ad-9866-0794d394c912');
  });
});
