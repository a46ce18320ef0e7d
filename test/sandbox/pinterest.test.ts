import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalisePinterest, PINTEREST_PATHS, PinterestFake } from '../../src/sandbox/pinterest';
import { MARY_SHA256, send, sha256 } from './support';

/** Pinterest customer lists fake, driven as Pinterest's v5 SDK docs describe the API. */

const fake = new PinterestFake({ maxRecordsPerRequest: 1_000 });
let token = '';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
async function grant(f: PinterestFake, secret = f.tokens.client.clientSecret) {
  return send(`${f.url}${PINTEREST_PATHS.token}`, {
    method: 'POST',
    headers: { authorization: basic(f.tokens.client.clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: f.tokens.client.refreshToken }),
  });
}

beforeAll(async () => {
  await fake.start();
  token = (await grant(fake)).body.access_token as string;
});
afterAll(() => fake.stop());

const api = (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
  send(`${fake.url}/v5/ad_accounts/${fake.adAccountId}/${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

async function createList(name: string, records: string[], listType = 'EMAIL'): Promise<string> {
  const r = await api('customer_lists', { method: 'POST', body: { name, records: records.join(','), list_type: listType } });
  expect(r.status).toBe(200);
  return r.body.id as string;
}
const patch = (id: string, operation: string, records: string[]) =>
  api(`customer_lists/${id}`, { method: 'PATCH', body: { records: records.join(','), operation_type: operation } });

describe('Pinterest fake: auth', () => {
  it('issues tokens to a client in HTTP Basic and refuses a wrong secret', async () => {
    expect(token).toMatch(/^pina-sandbox-/);
    const wrong = await grant(fake, 'nope');
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client']);
    const inForm = await send(`${fake.url}${PINTEREST_PATHS.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: fake.tokens.client.refreshToken }),
    });
    expect(inForm.status).toBe(401);
  });

  it('answers a missing or revoked token with 401, a missing scope or another ad account with 403, another version with 404', async () => {
    expect((await api('customer_lists', { token: '' })).status).toBe(401);
    const other = new PinterestFake({ scopes: ['ads:read'] });
    await other.start();
    try {
      const t = other.tokens.issue();
      const post = await send(`${other.url}/v5/ad_accounts/${other.adAccountId}/customer_lists`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x', records: sha256('x') }),
      });
      expect(post.status).toBe(403);
      other.revokeToken();
      const revoked = await send(`${other.url}/v5/ad_accounts/${other.adAccountId}/customer_lists`, { headers: { authorization: `Bearer ${t}` } });
      expect([revoked.status, revoked.body.code]).toEqual([401, 2]);
      expect((await grant(other)).body.error).toBe('invalid_grant');
    } finally {
      await other.stop();
    }
    expect((await send(`${fake.url}/v5/ad_accounts/1/customer_lists`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    expect((await send(`${fake.url}/v4/ad_accounts/${fake.adAccountId}/customer_lists`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });
});

describe('Pinterest fake: customer lists', () => {
  it('keeps a plain lowercase email and its SHA-256 as the same member, and recomputes the expected key', async () => {
    const id = await createList('spring', ['mary@example.com', MARY_SHA256]);
    expect(fake.members(id)).toEqual(new Set([PinterestFake.expectedKey('email', '  Mary@Example.COM ')]));
    expect(fake.members(id)).toEqual(new Set([`EMAIL_SHA256=${MARY_SHA256}`]));
  });

  it('does not take an uppercase plain email, uppercase hex, or a plain MAID on a MAID list', async () => {
    const id = await createList('strict', ['Mary@Example.com', sha256('a').toUpperCase(), 'not-an-email', sha256('b')]);
    expect(fake.members(id)).toEqual(new Set([`EMAIL_SHA256=${sha256('b')}`]));
    expect(fake.uploads.at(-1)).toMatchObject({ operation: 'CREATE', records: 4, taken: 1 });
    const maid = await createList('devices', ['cdda802e-fb9c-47ad-9866-0794d394c912', sha256('cdda802e-fb9c-47ad-9866-0794d394c912')], 'MAID');
    expect(fake.members(maid)).toEqual(new Set([PinterestFake.expectedKey('mobileAdId', 'CDDA802E-FB9C-47AD-9866-0794D394C912')]));
  });

  it('adds and removes with PATCH operation_type, counting duplicates and absent users in the counters', async () => {
    const h = (n: number) => sha256(`m${n}@example.com`);
    const id = await createList('churn', [h(1), h(2), h(3)]);
    await patch(id, 'ADD', [h(3), h(4)]);
    const removed = await patch(id, 'REMOVE', [h(2), h(9)]);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ id, num_batches: 3, num_uploaded_user_records: 5, num_removed_user_records: 2, type: 'customerlist' });
    expect(fake.members(id)).toEqual(new Set([1, 3, 4].map((n) => `EMAIL_SHA256=${h(n)}`)));
    expect((await patch(id, 'UPSERT', [h(5)])).status).toBe(400);
  });

  it('takes records only as a comma-separated string, at most maxRecordsPerRequest of them, and exactly one of records and records_v2', async () => {
    const id = await createList('limits', [sha256('x')]);
    const asArray = await api(`customer_lists/${id}`, { method: 'PATCH', body: { records: [sha256('y')], operation_type: 'ADD' } });
    expect(asArray.status).toBe(400);
    const over = await patch(id, 'ADD', Array.from({ length: 1_001 }, (_, i) => sha256(`${i}`)));
    expect(over.status).toBe(400);
    expect(fake.members(id).size).toBe(1);
    const both = await api('customer_lists', { method: 'POST', body: { name: 'b', records: sha256('x'), records_v2: [{ email: sha256('x') }] } });
    expect(both.status).toBe(400);
    const v2 = await api('customer_lists', { method: 'POST', body: { name: 'v2', records_v2: [{ email: MARY_SHA256 }] } });
    expect(fake.members(v2.body.id as string)).toEqual(new Set([`EMAIL_SHA256=${MARY_SHA256}`]));
  });

  it('throttles with 429, code 8 and x-ratelimit headers, then serves again', async () => {
    const id = await createList('throttle', [sha256('t')]);
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: '/customer_lists/' });
    const r = await patch(id, 'ADD', [sha256('u')]);
    expect([r.status, r.body.code]).toEqual([429, 8]);
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await patch(id, 'ADD', [sha256('u')])).status).toBe(200);
  });
});

describe('Pinterest fake: audiences and read-back', () => {
  it('makes a list targetable as a CUSTOMER_LIST audience whose size and status follow the list (INITIALIZING, TOO_SMALL, READY)', async () => {
    const hashes = Array.from({ length: 400 }, (_, i) => sha256(`p${i}@example.com`));
    const id = await createList('big', hashes.slice(0, 50));
    const created = await api('audiences', { method: 'POST', body: { name: 'big', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: id } } });
    expect(created.status).toBe(200);
    const audienceId = created.body.id as string;
    expect(created.body.status).toBe('INITIALIZING');
    const small = await api(`audiences/${audienceId}`);
    expect(small.body.status).toBe('TOO_SMALL');
    expect(small.body.size).toBeLessThanOrEqual(50);
    await patch(id, 'ADD', hashes.slice(50));
    expect((await api(`customer_lists/${id}`)).body.status).toBe('PROCESSING');
    const ready = await api(`audiences/${audienceId}`);
    expect(ready.body.status).toBe('READY');
    expect(ready.body.size).toBeGreaterThanOrEqual(100);
    expect(ready.body.size).toBeLessThan(400);
    expect((await api('audiences', { method: 'POST', body: { name: 'x', audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: '1' } } })).status).toBe(400);
  });

  it('lists customer lists in pages with a bookmark', async () => {
    const first = await api('customer_lists?page_size=2');
    expect((first.body.items as unknown[]).length).toBe(2);
    expect(typeof first.body.bookmark).toBe('string');
    const next = await api(`customer_lists?page_size=2&bookmark=${String(first.body.bookmark)}`);
    expect((next.body.items as { id: string }[])[0]?.id).not.toBe((first.body.items as { id: string }[])[0]?.id);
  });
});

describe('normalisePinterest', () => {
  it('hashes a trimmed, lowercased email', () => {
    expect(normalisePinterest('email', ' MARY@example.com')).toBe(`EMAIL_SHA256=${MARY_SHA256}`);
    expect(normalisePinterest('email', '  ')).toBeUndefined();
  });
});
