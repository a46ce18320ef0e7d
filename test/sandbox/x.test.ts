import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacSha1Signature, parseOAuthHeader, signatureBaseString } from '../../src/sandbox/oauth1-signature';
import { normaliseX, normaliseXHandle, X_MAX_BODY_BYTES, XFake } from '../../src/sandbox/x';
import { MARY_SHA256, send, sha256 } from './support';

/**
 * X Ads custom audiences fake, driven as X's Audience API docs describe it. Requests are signed
 * with the `oauth-1.0a` library; the fake recomputes the signature on its own (RFC 5849).
 */

const fake = new XFake();
const { consumerKey, consumerSecret, accessToken, accessTokenSecret } = fake.credentials;
const signer = (secret = consumerSecret) =>
  new OAuth({ consumer: { key: consumerKey, secret }, signature_method: 'HMAC-SHA1', hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64') });

function authorization(method: string, url: string, opts: { secret?: string; tokenSecret?: string; data?: Record<string, string> } = {}): string {
  const o = signer(opts.secret);
  return o.toHeader(o.authorize({ url, method, ...(opts.data ? { data: opts.data } : {}) }, { key: accessToken, secret: opts.tokenSecret ?? accessTokenSecret })).Authorization;
}

beforeAll(() => fake.start());
afterAll(() => fake.stop());

const accountUrl = (path = '') => `${fake.url}/12/accounts/${fake.accountId}/custom_audiences${path}`;
async function call(method: string, url: string, body?: unknown) {
  return send(url, {
    method,
    headers: { authorization: authorization(method, url), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
async function createAudience(name: string): Promise<string> {
  const r = await call('POST', accountUrl(`?name=${encodeURIComponent(name)}&description=${encodeURIComponent('from Outflow, v1')}`));
  expect(r.status).toBe(200);
  return (r.body.data as { id: string }).id;
}
const op = (type: 'Update' | 'Delete', users: Record<string, string[]>[]) => ({ operation_type: type, params: { users } });
const users = (id: string, ops: unknown[]) => call('POST', accountUrl(`/${id}/users`), ops);
const view = async (id: string) => (await call('GET', accountUrl(`/${id}`))).body.data as Record<string, unknown>;

describe('OAuth 1.0a signature (RFC 5849)', () => {
  it("reproduces the signature of X's documented example request", () => {
    const params: [string, string][] = [
      ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
      ['include_entities', 'true'],
      ['oauth_consumer_key', 'xvz1evFS4wEEPTGEFPHBog'],
      ['oauth_nonce', 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '1318622958'],
      ['oauth_token', '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb'],
      ['oauth_version', '1.0'],
    ];
    const base = signatureBaseString('post', 'https://api.twitter.com/1.1/statuses/update.json', params);
    expect(base.startsWith('POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key')).toBe(true);
    expect(hmacSha1Signature(base, 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw', 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE')).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });

  it('parses an OAuth header and refuses anything else', () => {
    expect(parseOAuthHeader('OAuth oauth_nonce="a%2Bb", oauth_token="t"')).toEqual({ oauth_nonce: 'a+b', oauth_token: 't' });
    expect(parseOAuthHeader('Bearer abc')).toBeUndefined();
  });
});

describe('X fake: auth', () => {
  const list = () => accountUrl();

  it('accepts a request signed by an independent library, and refuses a missing header or a bearer token', async () => {
    expect((await call('GET', list())).status).toBe(200);
    const none = await send(list());
    expect([none.status, (none.body.errors as { code: string }[])[0]?.code]).toEqual([401, 'UNAUTHORIZED_ACCESS']);
    expect((await send(list(), { headers: { authorization: 'Bearer abc' } })).status).toBe(401);
  });

  it('refuses a wrong consumer or token secret, a signature for another URL or other parameters, a stale timestamp and a replayed nonce', async () => {
    expect((await send(list(), { headers: { authorization: authorization('GET', list(), { secret: 'wrong' }) } })).status).toBe(401);
    expect((await send(list(), { headers: { authorization: authorization('GET', list(), { tokenSecret: 'wrong' }) } })).status).toBe(401);
    const signedForOther = authorization('GET', accountUrl('/abc'));
    expect((await send(list(), { headers: { authorization: signedForOther } })).status).toBe(401);
    const create = accountUrl('?name=a');
    expect((await send(accountUrl('?name=b'), { method: 'POST', headers: { authorization: authorization('POST', create) } })).status).toBe(401);
    // Form parameters are signed: the same form with a changed value fails.
    const formAuth = authorization('POST', list(), { data: { name: 'form-made' } });
    const tampered = await send(list(), { method: 'POST', headers: { authorization: formAuth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name: 'other' }) });
    expect(tampered.status).toBe(401);
    const form = await send(list(), { method: 'POST', headers: { authorization: formAuth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name: 'form-made' }) });
    expect(form.status).toBe(200);
    const replay = await send(list(), { method: 'POST', headers: { authorization: formAuth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name: 'form-made' }) });
    expect(replay.status).toBe(401);

    const o = signer();
    const stale = o.toHeader(o.authorize({ url: list(), method: 'GET' }, { key: accessToken, secret: accessTokenSecret }));
    const old = stale.Authorization.replace(/oauth_timestamp="\d+"/, `oauth_timestamp="${Math.floor(Date.now() / 1000) - 3600}"`);
    expect((await send(list(), { headers: { authorization: old } })).status).toBe(401);
  });

  it('refuses a revoked token, another ad account (403) and another version (404)', async () => {
    const other = new XFake();
    await other.start();
    try {
      const url = `${other.url}/12/accounts/${other.accountId}/custom_audiences`;
      other.revokeToken();
      const r = await send(url, { headers: { authorization: authorization('GET', url) } });
      expect([r.status, (r.body.errors as { code: string }[])[0]?.code]).toEqual([401, 'UNAUTHORIZED_ACCESS']);
    } finally {
      await other.stop();
    }
    const elsewhere = `${fake.url}/12/accounts/someoneelse/custom_audiences`;
    expect((await call('GET', elsewhere)).status).toBe(403);
    expect((await call('GET', `${fake.url}/11/accounts/${fake.accountId}/custom_audiences`)).status).toBe(404);
  });
});

describe('X fake: audience users', () => {
  it('updates and deletes users; the members equal the independently normalised cells; success_count = total_count', async () => {
    const id = await createAudience('churn');
    const email = (s: string) => (normaliseX('email', s) as string).split('=')[1] as string;
    const r = await users(id, [
      op('Update', [{ email: [email('Mary@Example.com')] }, { email: [email('bob@example.com')], device_id: [sha256('cdda802e-fb9c-47ad-9866-0794d394c912')] }]),
      op('Update', [{ partner_user_id: ['crm-42'] }, { handle: [normaliseXHandle('@Outflow').split('=')[1] as string] }]),
    ]);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ success_count: 4, total_count: 4 });
    expect(r.headers.get('x-rate-limit-limit')).toBe('1500');
    expect(Number(r.headers.get('x-rate-limit-remaining'))).toBeLessThan(1500);
    await users(id, [op('Delete', [{ email: [email('bob@example.com')] }, { email: [sha256('absent@example.com')] }])]);
    expect(fake.members(id)).toEqual(
      new Set([
        `email=${MARY_SHA256}`,
        XFake.expectedKey('mobileAdId', 'CDDA802E-FB9C-47AD-9866-0794D394C912'),
        XFake.expectedKey('externalId', ' crm-42 '),
        normaliseXHandle('outflow'),
      ]),
    );
  });

  it('fails the whole batch on one bad operation, with operation_errors indexed like the request, and applies nothing', async () => {
    const id = await createAudience('strict');
    const r = await users(id, [
      op('Update', [{ email: [sha256('ok')] }]),
      op('Update', [{ email: [sha256('x').toUpperCase()] }]),
      { operation_type: 'Upsert', params: { users: [{ email: [sha256('y')] }] } },
      op('Update', [{ email: ['mary@example.com'] }, { fax: [sha256('z')] }]),
    ]);
    expect(r.status).toBe(400);
    const errors = r.body.operation_errors as { parameter?: string }[][];
    expect(errors.map((e) => e.length)).toEqual([0, 1, 1, 2]);
    expect(errors[3]?.map((e) => e.parameter)).toEqual(['users[0].email', 'users[1].fax']);
    expect(JSON.stringify(r.body)).not.toContain('mary@example.com');
    expect(fake.members(id).size).toBe(0);
  });

  it('enforces 2,500 operations, 5,000,000 bytes and a JSON content type', async () => {
    const id = await createAudience('limits');
    const many = Array.from({ length: 2_501 }, (_, i) => op('Update', [{ email: [sha256(`${i}`)] }]));
    expect((await users(id, many)).status).toBe(400);
    expect((await users(id, many.slice(0, 2_500))).body.data).toEqual({ success_count: 2_500, total_count: 2_500 });
    const hashes = Array.from({ length: 80_000 }, (_, i) => sha256(`big${i}`));
    const big = [op('Update', [{ email: hashes }])];
    expect(JSON.stringify(big).length).toBeGreaterThan(X_MAX_BODY_BYTES);
    const tooBig = await users(id, big);
    expect([tooBig.status, (tooBig.body.errors as { code: string }[])[0]?.code]).toEqual([413, 'REQUEST_ENTITY_TOO_LARGE']);
    const url = accountUrl(`/${id}/users`);
    const asForm = await send(url, { method: 'POST', headers: { authorization: authorization('POST', url), 'content-type': 'text/plain' }, body: JSON.stringify([op('Update', [{ email: [sha256('f')] }])]) });
    expect(asForm.status).toBe(400);
    expect(fake.members(id).size).toBe(2_500);
  });

  it('reports fewer successes than records when the platform drops some (a connector must retry)', async () => {
    const id = await createAudience('short');
    fake.dropUsersOnNextUpload = 1;
    const r = await users(id, [op('Update', [{ email: [sha256('a')] }, { email: [sha256('b')] }])]);
    expect(r.body.data).toEqual({ success_count: 1, total_count: 2 });
    expect(fake.members(id)).toEqual(new Set([`email=${sha256('a')}`]));
  });

  it('throttles with 429 TOO_MANY_REQUESTS and x-rate-limit headers, then serves again', async () => {
    const id = await createAudience('throttle');
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: '/users', retryAfterMs: 30_000 });
    const r = await users(id, [op('Update', [{ email: [sha256('t')] }])]);
    expect([r.status, (r.body.errors as { code: string }[])[0]?.code, r.headers.get('x-rate-limit-remaining')]).toEqual([429, 'TOO_MANY_REQUESTS', '0']);
    expect(Number(r.headers.get('x-rate-limit-reset')) - Date.now() / 1000).toBeGreaterThan(20);
    expect((await users(id, [op('Update', [{ email: [sha256('t')] }])])).status).toBe(200);
  });

  it('reads back audience_size and targetable: TOO_SMALL under 100 matched, targetable from there', async () => {
    const id = await createAudience('read-back');
    expect(await view(id)).toMatchObject({ audience_size: null, targetable: false, reasons_not_targetable: ['PROCESSING'] });
    await users(id, [op('Update', Array.from({ length: 50 }, (_, i) => ({ email: [sha256(`s${i}`)] })))]);
    expect(await view(id)).toMatchObject({ processing: true, targetable: false });
    const small = await view(id);
    expect(small).toMatchObject({ targetable: false, reasons_not_targetable: ['TOO_SMALL'] });
    expect(small.audience_size).toBeLessThanOrEqual(50);
    await users(id, [op('Update', Array.from({ length: 400 }, (_, i) => ({ email: [sha256(`l${i}`)] })))]);
    await view(id);
    const ready = await view(id);
    expect(ready).toMatchObject({ targetable: true, reasons_not_targetable: [] });
    expect(ready.audience_size).toBeGreaterThanOrEqual(100);
  });
});

describe('normaliseX', () => {
  it('hashes a trimmed lowercase email, a lowercased device id, an E.164 phone, and keeps partner_user_id plain', () => {
    expect(normaliseX('email', ' MARY@example.com ')).toBe(`email=${MARY_SHA256}`);
    expect(normaliseX('mobileAdId', 'AB-CD')).toBe(`device_id=${sha256('ab-cd')}`);
    expect(normaliseX('phone', '(212) 565-0000', { countryCode: 'US' })).toBe(`phone_number=${sha256('+12125650000')}`);
    expect(normaliseX('externalId', 'crm-1')).toBe('partner_user_id=crm-1');
  });
});
