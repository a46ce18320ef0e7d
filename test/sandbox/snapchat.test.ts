import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseSnapchat, SNAPCHAT_MAX_IDENTIFIERS, SNAPCHAT_PATHS, SnapchatFake } from '../../src/sandbox/snapchat';
import { MARY_SHA256, refreshGrant, send, sha256 } from './support';

/** Snapchat customer lists fake, driven as Snap's Marketing API docs describe it. */

const fake = new SnapchatFake();
let token = '';
beforeAll(async () => {
  await fake.start();
  token = await refreshGrant(`${fake.url}${SNAPCHAT_PATHS.token}`, fake.tokens.client);
});
afterAll(() => fake.stop());

const call = (method: string, path: string, body?: unknown, bearer = token) =>
  send(`${fake.url}/v1/${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function createSegment(name: string): Promise<string> {
  const r = await call('POST', `adaccounts/${fake.adAccountId}/segments`, {
    segments: [{ name, description: 'sandbox', source_type: 'FIRST_PARTY', retention_in_days: 180, ad_account_id: fake.adAccountId }],
  });
  expect([r.status, r.body.request_status]).toEqual([200, 'SUCCESS']);
  const segment = (r.body.segments as { sub_request_status: string; segment: { id: string; status: string; approximate_number_users: number } }[])[0]!;
  expect(segment).toMatchObject({ sub_request_status: 'SUCCESS', segment: { status: 'PENDING', approximate_number_users: 0 } });
  return segment.segment.id;
}
const emails = (hashes: string[]) => ({ users: [{ schema: ['EMAIL_SHA256'], data: hashes.map((h) => [h]) }] });
const uploaded = (r: { body: Record<string, unknown> }) => (r.body.users as { user: { number_uploaded_users: number } }[]).map((u) => u.user.number_uploaded_users);
const readSegment = async (id: string) => ((await call('GET', `segments/${id}`)).body.segments as { segment: Record<string, unknown> }[])[0]!.segment;

describe('Snapchat fake: auth', () => {
  it('answers a missing, unknown, expired or revoked bearer token with 401 and the Snap error envelope', async () => {
    const path = `${fake.url}/v1/adaccounts/${fake.adAccountId}/segments`;
    const none = await send(path);
    expect([none.status, none.body.request_status]).toEqual([401, 'ERROR']);
    expect((await call('GET', `adaccounts/${fake.adAccountId}/segments`, undefined, 'nope')).status).toBe(401);
    const other = new SnapchatFake();
    await other.start();
    try {
      const t1 = await refreshGrant(`${other.url}${SNAPCHAT_PATHS.token}`, other.tokens.client);
      other.expireTokens();
      const expired = await send(`${other.url}/v1/adaccounts/${other.adAccountId}/segments`, { headers: { authorization: `Bearer ${t1}` } });
      expect([expired.status, expired.body.debug_message]).toEqual([401, 'The access token is expired']);
      const t2 = await refreshGrant(`${other.url}${SNAPCHAT_PATHS.token}`, other.tokens.client);
      other.revokeToken();
      const revoked = await send(`${other.url}/v1/adaccounts/${other.adAccountId}/segments`, { headers: { authorization: `Bearer ${t2}` } });
      expect([revoked.status, revoked.body.request_status]).toEqual([401, 'ERROR']);
      await expect(refreshGrant(`${other.url}${SNAPCHAT_PATHS.token}`, other.tokens.client)).rejects.toThrow('400');
    } finally {
      await other.stop();
    }
  });

  it('refuses another ad account with 403 and serves v1 only', async () => {
    expect((await call('GET', 'adaccounts/00000000-0000-0000-0000-000000000000/segments')).status).toBe(403);
    const v2 = await send(`${fake.url}/v2/adaccounts/${fake.adAccountId}/segments`, { headers: { authorization: `Bearer ${token}` } });
    expect(v2.status).toBe(404);
  });
});

describe('Snapchat fake: segments and users', () => {
  it('creates a segment, lists it, adds and removes users, and reads approximate_number_users and statuses back', async () => {
    const id = await createSegment('spring-buyers');
    const listed = await call('GET', `adaccounts/${fake.adAccountId}/segments`);
    expect((listed.body.segments as { segment: { id: string; name: string } }[]).find((s) => s.segment.name === 'spring-buyers')?.segment.id).toBe(id);
    expect(await readSegment(id)).toMatchObject({ upload_status: 'NO_UPLOAD', targetable_status: 'NOT_READY' });

    const a = sha256('a@example.com');
    const b = sha256('b@example.com');
    const add = await call('POST', `segments/${id}/users`, emails([a, b]));
    expect([add.status, add.body.request_status, uploaded(add)]).toEqual([200, 'SUCCESS', [2]]);
    expect(uploaded(await call('DELETE', `segments/${id}/users`, { users: [{ id, schema: ['EMAIL_SHA256'], data: [[b]] }] }))).toEqual([1]);
    expect(fake.members(id)).toEqual(new Set([SnapchatFake.expectedKey('email', ' A@Example.com')]));

    expect((await readSegment(id)).upload_status).toBe('PROCESSING');
    const done = await readSegment(id);
    expect(done).toMatchObject({ upload_status: 'COMPLETE', targetable_status: 'TOO_FEW_USERS' });
    expect(done.approximate_number_users).toBeLessThanOrEqual(1);
  });

  it('shows READY once 1,000 users match', async () => {
    const id = await createSegment('big');
    await call('POST', `segments/${id}/users`, emails(Array.from({ length: 2_000 }, (_, i) => sha256(`p${i}@example.com`))));
    await readSegment(id);
    const ready = await readSegment(id);
    expect(ready.targetable_status).toBe('READY');
    expect(ready.approximate_number_users).toBeGreaterThanOrEqual(1_000);
  });

  it('pages the segment list with limit (50 to 1,000) and next_link', async () => {
    while (fake.segments.size < 60) await createSegment(`filler-${fake.segments.size}`);
    const first = await call('GET', `adaccounts/${fake.adAccountId}/segments?limit=50`);
    const next = (first.body.paging as { next_link?: string }).next_link as string;
    const second = await send(next, { headers: { authorization: `Bearer ${token}` } });
    const ids = [...(first.body.segments as { segment: { id: string } }[]), ...(second.body.segments as { segment: { id: string } }[])].map((s) => s.segment.id);
    expect(new Set(ids)).toEqual(new Set(fake.segments.keys()));
    expect((second.body.paging as { next_link?: string }).next_link).toBeUndefined();
    expect((await call('GET', `adaccounts/${fake.adAccountId}/segments?limit=5`)).status).toBe(400);
  });

  it('refuses more than 100,000 identifiers per request, an unknown schema, and several schemas in one users object', async () => {
    const id = await createSegment('limits');
    const over = await call('POST', `segments/${id}/users`, {
      users: [
        { schema: ['EMAIL_SHA256'], data: Array.from({ length: SNAPCHAT_MAX_IDENTIFIERS }, (_, i) => [sha256(`${i}`)]) },
        { schema: ['PHONE_SHA256'], data: [[sha256('1')]] },
      ],
    });
    expect([over.status, over.body.request_status]).toEqual([400, 'ERROR']);
    expect(fake.members(id).size).toBe(0);
    expect((await call('POST', `segments/${id}/users`, { users: [{ schema: ['EMAIL'], data: [[sha256('a')]] }] })).status).toBe(400);
    expect((await call('POST', `segments/${id}/users`, { users: [{ schema: ['EMAIL_SHA256', 'PHONE_SHA256'], data: [[sha256('a'), sha256('1')]] }] })).status).toBe(400);
  });

  it('does not take identifiers that are not lowercase 64-hex SHA-256, and counts only the ones it took', async () => {
    const id = await createSegment('rows');
    const good = sha256('good@example.com');
    const r = await call('POST', `segments/${id}/users`, emails(['mary@example.com', sha256('x').toUpperCase(), good]));
    expect([r.status, uploaded(r)]).toEqual([200, [1]]);
    expect(JSON.stringify(r.body)).not.toContain('mary@example.com');
    expect(fake.members(id)).toEqual(new Set([`EMAIL_SHA256=${good}`]));
  });

  it('keeps the right members over a sequence of adds and removes across schemas, and empties a segment with all_users', async () => {
    const id = await createSegment('sequence');
    const h = (n: number) => sha256(`m${n}@example.com`);
    const phone = SnapchatFake.expectedKey('phone', '+1 555 987 6543') as string;
    await call('POST', `segments/${id}/users`, { users: [{ schema: ['EMAIL_SHA256'], data: [[h(1)], [h(2)], [h(3)]] }, { schema: ['PHONE_SHA256'], data: [[phone.split('=')[1]]] }] });
    await call('DELETE', `segments/${id}/users`, emails([h(2), h(9)]));
    await call('POST', `segments/${id}/users`, emails([h(4), h(1)]));
    expect(fake.members(id)).toEqual(new Set([...[1, 3, 4].map((n) => `EMAIL_SHA256=${h(n)}`), phone]));
    expect((await call('DELETE', `segments/${id}/all_users`)).status).toBe(200);
    expect(fake.members(id).size).toBe(0);
  });

  it('throttles with HTTP 429 and no Retry-After header, then serves again', async () => {
    const id = await createSegment('throttle');
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: '/users' });
    const r = await call('POST', `segments/${id}/users`, emails([sha256('t')]));
    expect([r.status, r.headers.get('retry-after')]).toEqual([429, null]);
    expect((await call('POST', `segments/${id}/users`, emails([sha256('t')]))).status).toBe(200);
  });
});

describe('normaliseSnapchat', () => {
  it('hashes trimmed lowercase emails, phones as digits with the country code, lowercase mobile ad ids', () => {
    expect(normaliseSnapchat('email', ' Mary@Example.com ')).toBe(`EMAIL_SHA256=${MARY_SHA256}`);
    expect(normaliseSnapchat('phone', '+1 (555) 987-6543')).toBe(`PHONE_SHA256=${sha256('15559876543')}`);
    expect(normaliseSnapchat('phone', '0044 20 7183 8750')).toBe(`PHONE_SHA256=${sha256('442071838750')}`);
    expect(normaliseSnapchat('phone', '020 7183 8750', { countryCode: 'GB' })).toBe(`PHONE_SHA256=${sha256('442071838750')}`);
    expect(normaliseSnapchat('mobileAdId', 'CDDA802E-FB9C-47AD-9866-0794D394C912')).toBe(`MOBILE_AD_ID_SHA256=${sha256('cdda802e-fb9c-47ad-9866-0794d394c912')}`);
  });
});
