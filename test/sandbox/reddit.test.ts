import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseReddit, REDDIT_PATHS, RedditFake } from '../../src/sandbox/reddit';
import { send, sha256 } from './support';

/** Reddit custom audiences fake, driven as the third-party connectors describe Ads API v3. */

const UA = 'outflow-sandbox-test/1.0';
const fake = new RedditFake();
let token = '';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
function grant(f: RedditFake, headers: Record<string, string> = {}) {
  return send(`${f.url}${REDDIT_PATHS.token}`, {
    method: 'POST',
    headers: { authorization: basic(f.tokens.client.clientId, f.tokens.client.clientSecret), 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA, ...headers },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: f.tokens.client.refreshToken }),
  });
}

beforeAll(async () => {
  await fake.start();
  token = (await grant(fake)).body.access_token as string;
});
afterAll(() => fake.stop());

const v3 = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  send(`${fake.url}/api/v3/${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'user-agent': UA, ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

async function createAudience(name: string): Promise<string> {
  const r = await v3(`ad_accounts/${fake.adAccountId}/custom_audiences`, { method: 'POST', body: { data: { name, type: 'CUSTOMER_LIST' } } });
  expect(r.status).toBe(200);
  return (r.body.data as { id: string }).id;
}
const users = (id: string, action: string, rows: unknown[][], columns = ['EMAIL_SHA256']) =>
  v3(`custom_audiences/${id}/users`, { method: 'PATCH', body: { data: { action_type: action, column_order: columns, user_data: rows } } });
const fields = (r: { body: Record<string, unknown> }) => ((r.body.error as { fields?: { field: string }[] }).fields ?? []).map((f) => f.field);

describe('Reddit fake: auth', () => {
  it('issues tokens to a client in HTTP Basic with space-separated scopes, and needs a User-Agent of the app', async () => {
    const r = await grant(fake);
    expect(r.body).toMatchObject({ token_type: 'Bearer', scope: 'adsread adsedit' });
    expect((await grant(fake, { authorization: basic('x', 'y') })).status).toBe(401);
    expect((await grant(fake, { 'user-agent': 'node' })).status).toBe(403);
    const noUa = await v3(`ad_accounts/${fake.adAccountId}/custom_audiences`, { headers: { 'user-agent': '' } });
    expect(noUa.status).toBe(403);
  });

  it('answers a bad or revoked token with 401 UNAUTHORIZED, a missing adsedit or another ad account with 403, another version with 404', async () => {
    const bad = await v3(`ad_accounts/${fake.adAccountId}/custom_audiences`, { headers: { authorization: 'Bearer nope' } });
    expect([bad.status, (bad.body.error as { reason: string }).reason]).toEqual([401, 'UNAUTHORIZED']);
    const readOnly = new RedditFake({ scopes: ['adsread'] });
    await readOnly.start();
    try {
      const t = readOnly.tokens.issue();
      const h = { authorization: `Bearer ${t}`, 'content-type': 'application/json', 'user-agent': UA };
      const url = `${readOnly.url}/api/v3/ad_accounts/${readOnly.adAccountId}/custom_audiences`;
      expect((await send(url, { headers: h })).status).toBe(200);
      expect((await send(url, { method: 'POST', headers: h, body: JSON.stringify({ data: { name: 'x', type: 'CUSTOMER_LIST' } }) })).status).toBe(403);
      readOnly.revokeToken();
      expect((await send(url, { headers: h })).status).toBe(401);
    } finally {
      await readOnly.stop();
    }
    expect((await v3('ad_accounts/a2_other/custom_audiences')).status).toBe(403);
    expect((await send(`${fake.url}/api/v2.0/ad_accounts/${fake.adAccountId}/custom_audiences`, { headers: { authorization: `Bearer ${token}`, 'user-agent': UA } })).status).toBe(404);
  });
});

describe('Reddit fake: audience users', () => {
  it('adds and removes per identifier (204, no body), and the members equal the independently normalised keys', async () => {
    const id = await createAudience('churn');
    const emails = ['Al.ice$+Apple@Example.Com', 'bob@example.com', 'c.a.r.l+x@gmail.com'];
    const hashed = emails.map((e) => (normaliseReddit('email', e) as string).split('=')[1] as string);
    const add = await users(id, 'ADD', hashed.map((h) => [h]));
    expect([add.status, add.body]).toEqual([204, {}]);
    const idfa = sha256('CDDA802E-FB9C-47AD-9866-0794D394C912');
    await users(id, 'ADD', [[sha256('dan@example.com'), idfa], ['', sha256('aaid-like-lowercase')]], ['EMAIL_SHA256', 'MAID_SHA256']);
    await users(id, 'REMOVE', [[hashed[1]], [sha256('absent@example.com')]]);
    expect(fake.members(id)).toEqual(
      new Set([
        RedditFake.expectedKey('email', 'alice@example.com'),
        RedditFake.expectedKey('email', 'carl@gmail.com'),
        RedditFake.expectedKey('email', 'dan@example.com'),
        RedditFake.expectedKey('mobileAdId', 'cdda802e-fb9c-47ad-9866-0794d394c912', { maidType: 'IDFA' }),
        `MAID_SHA256=${sha256('aaid-like-lowercase')}`,
      ]),
    );
  });

  it('fails a request with a bad row (400 naming the cell, never its value) and applies nothing', async () => {
    const id = await createAudience('strict');
    const good = sha256('good@example.com');
    const upper = await users(id, 'ADD', [[good], [sha256('x').toUpperCase()]]);
    expect([upper.status, fields(upper)]).toEqual([400, ['data.user_data[1][0]']]);
    const raw = await users(id, 'ADD', [['mary@example.com']]);
    expect(raw.status).toBe(400);
    expect(JSON.stringify(raw.body)).not.toContain('mary@example.com');
    expect(fields(await users(id, 'ADD', [[good, good]]))).toEqual(['data.user_data[0]']);
    expect(fields(await users(id, 'ADD', [['']]))).toEqual(['data.user_data[0]']);
    expect(fields(await users(id, 'ADD', [[good]], ['EMAIL']))).toEqual(['data.column_order']);
    expect(fields(await users(id, 'UPSERT', [[good]]))).toEqual(['data.action_type']);
    expect(fake.members(id).size).toBe(0);
  });

  it('refuses more than 2,500 rows in a request', async () => {
    const id = await createAudience('limits');
    const rows = Array.from({ length: 2_501 }, (_, i) => [sha256(`${i}`)]);
    expect((await users(id, 'ADD', rows)).status).toBe(400);
    expect((await users(id, 'ADD', rows.slice(0, 2_500))).status).toBe(204);
    expect(fake.members(id).size).toBe(2_500);
  });

  it('throttles with 429 and x-ratelimit headers, then serves again', async () => {
    const id = await createAudience('throttle');
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: '/users', retryAfterMs: 5_000 });
    const r = await users(id, 'ADD', [[sha256('t')]]);
    expect(r.status).toBe(429);
    expect([r.headers.get('x-ratelimit-remaining'), r.headers.get('x-ratelimit-reset')]).toEqual(['0', '5']);
    expect((await users(id, 'ADD', [[sha256('t')]])).status).toBe(204);
  });

  it('reads an audience back: PROCESSING after a change, then TOO_SMALL under 1,000 matched, VALID from there', async () => {
    const id = await createAudience('read-back');
    expect(((await v3(`custom_audiences/${id}`)).body.data as { status: string }).status).toBe('VALID');
    await users(id, 'ADD', Array.from({ length: 100 }, (_, i) => [sha256(`r${i}`)]));
    const processing = (await v3(`custom_audiences/${id}`)).body.data as { status: string; size: number | null };
    expect(processing).toMatchObject({ status: 'PROCESSING', size: null });
    const small = (await v3(`custom_audiences/${id}`)).body.data as { status: string; size: number };
    expect(small.status).toBe('TOO_SMALL');
    expect(small.size).toBeLessThanOrEqual(100);
    for (let i = 0; i < 2; i++) await users(id, 'ADD', Array.from({ length: 2_000 }, (_, j) => [sha256(`r${i}-${j}`)]));
    await v3(`custom_audiences/${id}`);
    const valid = (await v3(`custom_audiences/${id}`)).body.data as { status: string; size: number };
    expect(valid.status).toBe('VALID');
    expect(valid.size).toBeGreaterThanOrEqual(1_000);
  });
});

describe('normaliseReddit', () => {
  it("strips the +tag and every non-alphanumeric character of the local part, for any domain (the reference's example)", () => {
    expect(normaliseReddit('email', 'Al.ice$+Apple@Example.Com')).toBe(`EMAIL_SHA256=${sha256('alice@example.com')}`);
    expect(normaliseReddit('email', ' first.last@Sub.Example.co.uk ')).toBe(`EMAIL_SHA256=${sha256('firstlast@sub.example.co.uk')}`);
    expect(normaliseReddit('email', '+tag@example.com')).toBeUndefined();
  });

  it('upper-cases an IDFA and lower-cases an AAID before hashing', () => {
    const id = 'cdda802e-FB9C-47ad-9866-0794d394c912';
    expect(normaliseReddit('mobileAdId', id, { maidType: 'IDFA' })).toBe(`MAID_SHA256=${sha256(id.toUpperCase())}`);
    expect(normaliseReddit('mobileAdId', id, { maidType: 'AAID' })).toBe(`MAID_SHA256=${sha256(id.toLowerCase())}`);
    expect(normaliseReddit('mobileAdId', ' CDDA802E-FB9C-47AD-9866-0794D394C912 ')).toBe(`MAID_SHA256=${sha256('CDDA802E-FB9C-47AD-9866-0794D394C912')}`);
  });
});
