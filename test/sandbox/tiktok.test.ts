import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseTikTok, TikTokFake } from '../../src/sandbox/tiktok';
import { MARY_SHA256, send, sha256 } from './support';

/** TikTok custom audiences fake, driven as the Business API v1.3 docs describe it: upload a file, then create or update. */

const fake = new TikTokFake();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const api = (path: string) => `${fake.url}/open_api/v1.3/dmp/custom_audience/${path}/`;
const auth = (token = fake.accessToken) => ({ 'Access-Token': token });
const post = (path: string, body: Record<string, unknown>, token?: string) =>
  send(api(path), { method: 'POST', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify({ advertiser_id: fake.advertiserId, ...body }) });
const get = (path: string, query: Record<string, string>) => send(`${api(path)}?${new URLSearchParams({ advertiser_id: fake.advertiserId, ...query })}`, { headers: auth() });

const hashes = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => sha256(`${prefix}${i}@example.com`));

async function upload(lines: string[], options: { name?: string; signature?: string; calculateType?: string } = {}) {
  const text = lines.join('\n');
  const form = new FormData();
  form.set('advertiser_id', fake.advertiserId);
  form.set('calculate_type', options.calculateType ?? 'EMAIL_SHA256');
  form.set('file_signature', options.signature ?? createHash('md5').update(text).digest('hex'));
  form.set('file', new Blob([text], { type: 'text/csv' }), options.name ?? 'members.csv');
  return send(api('file/upload'), { method: 'POST', headers: auth(), body: form });
}
async function filePath(lines: string[]): Promise<string> {
  const r = await upload(lines);
  expect(r.body.code).toBe(0);
  return (r.body.data as { file_path: string }).file_path;
}
async function createAudience(name: string, lines: string[]): Promise<string> {
  const r = await post('create', { custom_audience_name: name, calculate_type: 'EMAIL_SHA256', file_paths: [await filePath(lines)] });
  expect([r.status, r.body.code]).toEqual([200, 0]);
  return (r.body.data as { custom_audience_id: string }).custom_audience_id;
}
const details = async (id: string) => {
  const r = await get('get', { custom_audience_ids: JSON.stringify([id]) });
  return (r.body.data as { list: { audience_details: Record<string, unknown>; audience_history: { action: string; msg: string }[] }[] }).list[0]!;
};
const keys = (list: string[]) => new Set(list.map((h) => `EMAIL_SHA256=${h}`));

describe('TikTok fake: auth and version', () => {
  it('answers an empty, wrong or revoked Access-Token with HTTP 200 and codes 40104 / 40105, another advertiser with 40001', async () => {
    const empty = await send(`${api('list')}?advertiser_id=${fake.advertiserId}`);
    expect([empty.status, empty.body.code]).toEqual([200, 40104]);
    expect((await send(`${api('list')}?advertiser_id=${fake.advertiserId}`, { headers: auth('nope') })).body.code).toBe(40105);
    expect((await send(`${api('list')}?advertiser_id=123`, { headers: auth() })).body.code).toBe(40001);
    const other = new TikTokFake();
    await other.start();
    try {
      other.revokeToken();
      const r = await send(`${other.url}/open_api/v1.3/dmp/custom_audience/list/?advertiser_id=${other.advertiserId}`, { headers: { 'Access-Token': other.accessToken } });
      expect([r.status, r.body.code]).toEqual([200, 40105]);
    } finally {
      await other.stop();
    }
  });

  it('serves v1.3 only', async () => {
    const r = await send(`${fake.url}/open_api/v1.2/dmp/custom_audience/list/?advertiser_id=${fake.advertiserId}`, { headers: auth() });
    expect(r.body.code).toBe(40051);
  });
});

describe('TikTok fake: file upload', () => {
  it('checks the MD5 file_signature, the file type and the size limit', async () => {
    expect((await upload([sha256('a')], { signature: 'f'.repeat(32) })).body.code).toBe(40002);
    expect((await upload([sha256('a')], { name: 'members.xlsx' })).body.code).toBe(40002);
    const small = new TikTokFake({ maxFileBytes: 1_000 });
    await small.start();
    try {
      const text = hashes('big', 20).join('\n');
      const form = new FormData();
      form.set('advertiser_id', small.advertiserId);
      form.set('calculate_type', 'EMAIL_SHA256');
      form.set('file_signature', createHash('md5').update(text).digest('hex'));
      form.set('file', new Blob([text]), 'big.csv');
      const r = await send(`${small.url}/open_api/v1.3/dmp/custom_audience/file/upload/`, { method: 'POST', headers: { 'Access-Token': small.accessToken }, body: form });
      expect(r.body.code).toBe(40002);
    } finally {
      await small.stop();
    }
    const r = await upload([sha256('a')]);
    expect([r.body.code, typeof (r.body.data as { file_path: string }).file_path]).toEqual([0, 'string']);
  });
});

describe('TikTok fake: audiences', () => {
  it('creates from a file, stays invalid while calculating, appends and removes, lists by name, and reads cover_num back', async () => {
    const base = hashes('base', 1_200);
    const id = await createAudience('spring-buyers', base);
    const calculating = await details(id);
    expect(calculating.audience_details).toMatchObject({ is_valid: false, cover_num: 0, calculate_type: 'EMAIL_SHA256', audience_type: 'Customer File Audience' });
    const early = await post('update', { custom_audience_id: id, file_paths: [await filePath(hashes('x', 5))], action: 'APPEND' });
    expect(early.body.code).toBe(40002);
    const ready = await details(id);
    expect(ready.audience_details.is_valid).toBe(true);
    expect(ready.audience_details.cover_num).toBeGreaterThan(600);

    const extra = hashes('extra', 10);
    expect((await post('update', { custom_audience_id: id, file_paths: [await filePath(extra)], action: 'APPEND' })).body.code).toBe(0);
    expect((await post('update', { custom_audience_id: id, file_paths: [await filePath(base.slice(0, 50))], action: 'REMOVE' })).body.code).toBe(0);
    expect(fake.members(id)).toEqual(keys([...base.slice(50), ...extra]));
    expect(fake.members(id).has(TikTokFake.expectedKey('email', ' extra3@Example.com') as string)).toBe(true);

    const listed = await get('list', { page: '1', page_size: '100' });
    const list = (listed.body.data as { list: { audience_id: string; name: string }[]; page_info: { total_number: number } }).list;
    expect(list.find((a) => a.name === 'spring-buyers')?.audience_id).toBe(id);
  });

  it('replaces the whole audience when update/ has files but no action (REPLACE is the default)', async () => {
    fake.readsUntilProcessed = 0;
    try {
      const original = hashes('orig', 1_500);
      const id = await createAudience('default-replace', original);
      const fresh = hashes('fresh', 1_000);
      const r = await post('update', { custom_audience_id: id, file_paths: [await filePath(fresh)] });
      expect(r.body.code).toBe(0);
      expect(fake.members(id)).toEqual(keys(fresh));
      expect(fake.updates.at(-1)).toEqual({ requested: undefined, applied: 'REPLACE' });
      const appendForgotten = await post('update', { custom_audience_id: id, file_paths: [await filePath(hashes('more', 20))] });
      expect(appendForgotten.body.code).toBe(40002);
      expect(fake.members(id)).toEqual(keys(fresh));
    } finally {
      fake.readsUntilProcessed = 1;
    }
  });

  it('refuses any operation that would leave fewer than 1,000 entries, and a create below 1,000', async () => {
    expect((await post('create', { custom_audience_name: 'tiny', calculate_type: 'EMAIL_SHA256', file_paths: [await filePath(hashes('tiny', 999))] })).body.code).toBe(40002);
    const base = hashes('edge', 1_001);
    const id = await createAudience('edge', base);
    fake.settle();
    const r = await post('update', { custom_audience_id: id, file_paths: [await filePath(base.slice(0, 2))], action: 'REMOVE' });
    expect(r.body.code).toBe(40002);
    expect(fake.members(id).size).toBe(1_001);
    expect((await post('update', { custom_audience_id: id, file_paths: [await filePath(base.slice(0, 1))], action: 'REMOVE' })).body.code).toBe(0);
    expect(fake.members(id).size).toBe(1_000);
  });

  it('skips lines that are not lowercase 64-hex hashes and says how many in audience_history, without the values', async () => {
    const good = hashes('rows', 1_000);
    const id = await createAudience('rows', [...good, 'mary@example.com', sha256('x').toUpperCase()]);
    const d = await details(id);
    expect(d.audience_history[0]?.msg).toMatch(/2 lines/);
    expect(JSON.stringify(d)).not.toContain('mary@example.com');
    expect(fake.members(id)).toEqual(keys(good));
  });

  it('keeps the right members over a sequence of appends, removes and a replace', async () => {
    fake.readsUntilProcessed = 0;
    try {
      const base = hashes('seq', 1_000);
      const id = await createAudience('sequence', base);
      const update = async (lines: string[], action: string) => (await post('update', { custom_audience_id: id, file_paths: [await filePath(lines)], action })).body.code;
      expect(await update(hashes('a', 3), 'APPEND')).toBe(0);
      expect(await update([...hashes('a', 2), ...hashes('never', 2)], 'REMOVE')).toBe(0);
      expect(await update(hashes('a', 3), 'APPEND')).toBe(0);
      expect(fake.members(id)).toEqual(keys([...base, ...hashes('a', 3)]));
      expect(await update(hashes('r', 1_000), 'REPLACE')).toBe(0);
      expect(fake.members(id)).toEqual(keys(hashes('r', 1_000)));
    } finally {
      fake.readsUntilProcessed = 1;
    }
  });

  it('throttles with code 40100 in an HTTP 200 reply, then serves again', async () => {
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: '/list' });
    const r = await get('list', {});
    expect([r.status, r.body.code]).toEqual([200, 40100]);
    expect((await get('list', {})).body.code).toBe(0);
  });
});

describe('normaliseTikTok', () => {
  it('removes spaces from emails, keeps the + of E.164 phones, lowercases mobile ad ids', () => {
    expect(normaliseTikTok('email', ' Mary@Exam ple.com ')).toBe(`EMAIL_SHA256=${MARY_SHA256}`);
    expect(normaliseTikTok('phone', '+44 20 7183 8750')).toBe(`PHONE_SHA256=${sha256('+442071838750')}`);
    expect(normaliseTikTok('phone', '020 7183 8750', { countryCode: 'gb' })).toBe(`PHONE_SHA256=${sha256('+442071838750')}`);
    expect(normaliseTikTok('mobileAdId', ' CDDA802E-FB9C-47AD-9866-0794D394C912 ')).toBe(`MAID_SHA256=${sha256('cdda802e-fb9c-47ad-9866-0794d394c912')}`);
    expect(normaliseTikTok('phone', 'not a phone')).toBeUndefined();
  });
});
