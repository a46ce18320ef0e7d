import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleAdsFake } from '../../src/sandbox/google-ads';
import { MetaFake } from '../../src/sandbox/meta';

/** The fakes themselves refuse what the platforms document as refused (raw HTTP, no connector). */

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('Google Ads fake', () => {
  const fake = new GoogleAdsFake();
  let token = '';
  let list = '';
  beforeAll(async () => {
    await fake.start();
    const t = await fetch(`${fake.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: fake.refreshToken }),
    });
    token = ((await t.json()) as { access_token: string }).access_token;
    list = ((await call('userLists:mutate', { operations: [{ create: { name: 'l', crmBasedUserList: { uploadKeyType: 'CONTACT_INFO' } } }] })).body as { results: { resourceName: string }[] }).results[0]!.resourceName;
  });
  afterAll(() => fake.stop());

  async function call(path: string, body: unknown, headers: Record<string, string> = {}) {
    const url = path.startsWith('customers/') ? `${fake.url}/v26/${path}` : `${fake.url}/v26/customers/${fake.customerId}/${path}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'developer-token': fake.developerToken, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const code = (r: { body: Record<string, unknown> }) => JSON.stringify(r.body).match(/"(\w+Error)":"(\w+)"/)?.[2];
  const job = async () => ((await call('offlineUserDataJobs:create', { job: { type: 'CUSTOMER_MATCH_USER_LIST', customerMatchUserListMetadata: { userList: list } } })).body.resourceName as string);
  const create = (h: string) => ({ create: { userIdentifiers: [{ hashedEmail: h }] } });

  it('refuses calls without the developer token or with an unknown bearer token', async () => {
    expect((await call('googleAds:search', { query: 'SELECT customer.id FROM customer' }, { 'developer-token': 'x' })).status).toBe(401);
    expect((await call('googleAds:search', { query: 'SELECT customer.id FROM customer' }, { authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('refuses a duplicate list name', async () => {
    const r = await call('userLists:mutate', { operations: [{ create: { name: 'l', crmBasedUserList: { uploadKeyType: 'CONTACT_INFO' } } }] });
    expect([r.status, code(r)]).toEqual([400, 'INVALID_NAME']);
  });

  it('refuses create and remove in one job, and removeAll after other operations', async () => {
    const j = await job();
    expect(code(await call(`${j}:addOperations`, { operations: [create(sha('a')), { remove: { userIdentifiers: [{ hashedEmail: sha('b') }] } }] }))).toBe('CONFLICTING_OPERATION');
    await call(`${j}:addOperations`, { operations: [create(sha('a'))] });
    expect(code(await call(`${j}:addOperations`, { operations: [{ remove: { userIdentifiers: [{ hashedEmail: sha('b') }] } }] }))).toBe('CONFLICTING_OPERATION');
    expect(code(await call(`${j}:addOperations`, { operations: [{ removeAll: true }] }))).toBe('INVALID_REMOVE_ALL_OPERATION');
  });

  it('refuses more than 100,000 identifiers per request and more than 20 per user', async () => {
    const j = await job();
    const many = Array.from({ length: 50_001 }, (_, i) => ({ create: { userIdentifiers: [{ hashedEmail: sha(`${i}`) }, { hashedPhoneNumber: sha(`p${i}`) }] } }));
    const r = await call(`${j}:addOperations`, { operations: many, enablePartialFailure: true });
    expect([r.status, code(r)]).toEqual([400, 'TOO_MANY_USER_IDENTIFIERS']);
    const wide = { create: { userIdentifiers: Array.from({ length: 21 }, (_, i) => ({ hashedEmail: sha(`w${i}`) })) } };
    const p = await call(`${j}:addOperations`, { operations: [create(sha('ok')), wide], enablePartialFailure: true });
    expect(p.status).toBe(200);
    expect(JSON.stringify(p.body.partialFailureError)).toMatch(/TOO_MANY_USER_IDENTIFIERS.*"index":1/);
  });

  it('refuses non-hex or upper-case hashes and hashed country codes, per operation', async () => {
    const j = await job();
    const ops = [
      create(sha('x').toUpperCase()),
      create('not-a-hash'),
      { create: { userIdentifiers: [{ addressInfo: { hashedFirstName: sha('a'), hashedLastName: sha('b'), countryCode: sha('us'), postalCode: '1' } }] } },
      create(sha('fine')),
    ];
    const r = await call(`${j}:addOperations`, { operations: ops, enablePartialFailure: true });
    const text = JSON.stringify(r.body.partialFailureError);
    expect(text.match(/"index":\d/g)).toEqual(['"index":0', '"index":1', '"index":2']);
    expect(text).toContain('INVALID_COUNTRY_CODE');
  });

  it('moves a job PENDING -> RUNNING -> SUCCESS, applies it only then, and refuses operations after run', async () => {
    const j = await job();
    await call(`${j}:addOperations`, { operations: [create(sha('member'))] });
    expect(fake.listByName('l')?.members.has(`email:${sha('member')}`)).toBe(false);
    await call(`${j}:run`, {});
    expect(code(await call(`${j}:addOperations`, { operations: [create(sha('late'))] }))).toBe('INVALID_JOB_STATUS');
    expect(code(await call(`${j}:run`, {}))).toBe('INVALID_JOB_STATUS');
    const q = `SELECT offline_user_data_job.status FROM offline_user_data_job WHERE offline_user_data_job.resource_name = '${j}'`;
    const polled = await call('googleAds:search', { query: q });
    expect(JSON.stringify(polled.body)).toContain('"status":"SUCCESS"');
    expect(fake.listByName('l')?.members.has(`email:${sha('member')}`)).toBe(true);
  });
});

describe('Meta fake', () => {
  const fake = new MetaFake();
  let audience = '';
  beforeAll(async () => {
    await fake.start();
    audience = (await (await post(`act_${fake.adAccountId}/customaudiences`, { name: 'a', subtype: 'CUSTOM', customer_file_source: 'USER_PROVIDED_ONLY' })).json() as { id: string }).id;
  });
  afterAll(() => fake.stop());

  function post(path: string, body: Record<string, unknown>, method = 'POST') {
    return fetch(`${fake.url}/v25.0/${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: fake.accessToken, ...body }) });
  }
  const upload = async (data: string[][], session: Record<string, unknown>, schema: string[] = ['EMAIL']) => {
    const res = await post(`${audience}/users`, { payload: { schema, data }, session });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const errorOf = (r: { body: Record<string, unknown> }) => r.body.error as { code: number; error_subcode?: number } | undefined;

  it('refuses a wrong token with code 190', async () => {
    const res = await fetch(`${fake.url}/v25.0/act_${fake.adAccountId}?access_token=nope`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(190);
  });

  it('refuses more than 10,000 rows in one request', async () => {
    const rows = Array.from({ length: 10_001 }, (_, i) => [sha(`${i}`)]);
    const r = await upload(rows, { session_id: 1, batch_seq: 1, last_batch_flag: true });
    expect([r.status, errorOf(r)?.code]).toEqual([400, 100]);
  });

  it('enforces the session: batch_seq starts at 1 and increases, nothing after last_batch_flag; num_received is cumulative', async () => {
    expect(errorOf(await upload([[sha('a')]], { session_id: 7, batch_seq: 2, last_batch_flag: false }))).toMatchObject({ code: 2650, error_subcode: 1870147 });
    expect((await upload([[sha('a')]], { session_id: 8, batch_seq: 1, last_batch_flag: false })).body.num_received).toBe(1);
    expect(errorOf(await upload([[sha('b')]], { session_id: 8, batch_seq: 1, last_batch_flag: false }))?.code).toBe(100);
    expect((await upload([[sha('b')], [sha('c')]], { session_id: 8, batch_seq: 2, last_batch_flag: true })).body.num_received).toBe(3);
    expect(errorOf(await upload([[sha('d')]], { session_id: 8, batch_seq: 3, last_batch_flag: true }))).toMatchObject({ code: 2650, error_subcode: 1870159 });
    expect(errorOf(await upload([[sha('d')]], { session_id: 9, batch_seq: 1 }))?.code).toBe(100);
  });

  it('counts rows with bad hashes or hashed MADIDs as invalid entries, with samples', async () => {
    const r = await upload(
      [
        [sha('ok'), ''],
        [sha('x').toUpperCase(), ''],
        ['', sha('madid')],
        ['', 'ab0c5f2e-1b4d-4c8a-9e1f-0123456789ab'],
      ],
      { session_id: 20, batch_seq: 1, last_batch_flag: true },
      ['EMAIL', 'MADID'],
    );
    expect(r.body).toMatchObject({ num_received: 4, num_invalid_entries: 2 });
    expect(Object.keys(r.body.invalid_entry_samples as object)).toEqual([sha('x').toUpperCase(), sha('madid')]);
    const members = fake.members('a');
    expect(members).toContain(`EMAIL=${sha('ok')}`);
    expect(members).toContain('MADID=ab0c5f2e-1b4d-4c8a-9e1f-0123456789ab');
    expect(members).not.toContain(`MADID=${sha('madid')}`);
    expect([...members].some((m) => m.includes(sha('x').toUpperCase()))).toBe(false);
  });

  it('refuses audiences that are not customer-file CUSTOM ones', async () => {
    const r = await post(`act_${fake.adAccountId}/customaudiences`, { name: 'b', subtype: 'LOOKALIKE', customer_file_source: 'USER_PROVIDED_ONLY' });
    expect(r.status).toBe(400);
  });
});
