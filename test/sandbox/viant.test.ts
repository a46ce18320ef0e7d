import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseViant, VIANT_MAX_BODY_BYTES, ViantFake } from '../../src/sandbox/viant';
import { send, sha256 } from './support';

/** Viant VDP Connect fake, driven as Viant's API reference describes the calls (reference §11). */

const fake = new ViantFake({ readsUntilProcessed: 1 });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const call = (method: string, path: string, body?: unknown, token = fake.accessToken) =>
  send(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
const create = (extra: Record<string, unknown> = {}) =>
  call('POST', '/v1/audiences', { name: 'vips', dataType: 'email_sha256', accountId: Number(fake.accountId), advertiserIds: [Number(fake.advertiserIds[0])], externalAudienceId: 'vips', ...extra });
const hashes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => sha256(`m${from + i}@example.com`));

describe('Viant fake: auth and segments', () => {
  it('refuses a missing or wrong JWT with 401, a revoked one too', async () => {
    expect((await call('GET', '/v1/audiences', undefined, 'nope')).body).toEqual({ error: 'Unauthorized - Invalid JWT' });
    const other = new ViantFake();
    await other.start();
    try {
      other.revokeToken();
      expect((await send(`${other.url}/v1/audiences`, { headers: { authorization: `Bearer ${other.accessToken}` } })).status).toBe(401);
    } finally {
      await other.stop();
    }
  });

  it('creates an INACTIVE segment with the default ttl; checks data type, account, advertisers, external id and ttl', async () => {
    const r = await create();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'vips', externalAudienceId: 'vips', viantSegmentId: expect.stringMatching(/^fpsegm/), status: 'INACTIVE', ttl: 32_000_000 });
    expect((await create({ externalAudienceId: undefined })).status).toBe(400);
    expect((await call('GET', '/v1/audiences/fpsegm0')).body).toEqual({ error: 'Audience not found' });
    expect((await create({ dataType: 'email' })).status).toBe(400);
    expect((await create({ accountId: 1 })).status).toBe(403);
    expect((await create({ advertiserIds: ['52001'] })).status).toBe(403);
    expect((await create({ ttl: 3600 })).status).toBe(400);
    const list = await call('GET', '/v1/audiences?page=1&pageSize=10');
    expect((list.body.data as { name: string }[]).map((s) => s.name)).toContain('vips');
  });
});

describe('Viant fake: data', () => {
  it('refuses a payload with a bad record whole, returning the bad records; refuses a mismatched segment id, a bad country and an oversized body', async () => {
    const id = String((await create()).body.viantSegmentId);
    const values = hashes(3);
    const refused = await call('POST', `/v1/audiences/${id}/data`, [{ viantSegmentId: id, countryCode: 'US', values: [...values, 'mary@example.com'] }]);
    expect([refused.status, refused.body]).toEqual([400, { message: 'invalid payload: 1 bad record(s)', published: 0, failed_publishes: 0, bad_records: 1, bad_records_details: '<not a hash>' }]);
    expect(fake.members(id).size).toBe(0);
    const r = await call('POST', `/v1/audiences/${id}/data`, [{ viantSegmentId: id, countryCode: 'US', values }]);
    expect(r.body).toEqual({ message: 'Audience data payload processed.', published: 3, failed_publishes: 0, bad_records: 0, bad_records_details: '' });
    expect(fake.members(id)).toEqual(new Set(values));
    expect((await call('POST', `/v1/audiences/${id}/data`, [{ viantSegmentId: 'fpsegm1', countryCode: 'US', values }])).status).toBe(400);
    expect((await call('POST', `/v1/audiences/${id}/data`, [{ viantSegmentId: id, countryCode: 'usa', values }])).status).toBe(400);
    const big = JSON.stringify([{ viantSegmentId: id, countryCode: 'US', values: [sha256('x').repeat(Math.ceil(VIANT_MAX_BODY_BYTES / 64))] }]);
    expect((await call('POST', `/v1/audiences/${id}/data`, big)).status).toBe(413);
  });

  it('expires values as a job applied at the next processing; dataCount and ACTIVE at 1,000 matches follow it', async () => {
    const id = String((await create()).body.viantSegmentId);
    await call('POST', `/v1/audiences/${id}/data`, [{ viantSegmentId: id, countryCode: 'US', values: hashes(2_000) }]);
    expect((await call('GET', `/v1/audiences/${id}`)).body).toMatchObject({ status: 'INACTIVE', dataCount: 0 }); // still processing
    expect((await call('GET', `/v1/audiences/${id}`)).body).toMatchObject({ status: 'ACTIVE', dataCount: 2_000 });
    const job = await call('PUT', `/v1/audiences/${id}/data?action=expireSpecificAudience`, { segmentId: id, dataType: 'email_sha256', values: hashes(1_500) });
    expect(job.body).toMatchObject({ status: 'REQUESTED' });
    expect(fake.members(id).size).toBe(2_000);
    await call('GET', `/v1/audiences/${id}`);
    const after = await call('GET', `/v1/audiences/${id}`);
    expect(after.body).toMatchObject({ status: 'INACTIVE', dataCount: 500 });
    expect((await call('PUT', `/v1/audiences/${id}/data?action=expireSpecificAudience`, { segmentId: id, dataType: 'phonenumber_sha256', values: hashes(1) })).status).toBe(400);
  });

  it('archives a segment for good: data is refused after', async () => {
    const id = String((await create()).body.viantSegmentId);
    expect((await call('PUT', `/v1/audiences/${id}?action=expireSegment`)).body).toMatchObject({ status: 'ARCHIVED' });
    expect((await call('POST', `/v1/audiences/${id}/data`, [{ viantSegmentId: id, countryCode: 'US', values: hashes(1) }])).status).toBe(400);
  });

  it('throttles with 429, then serves again', async () => {
    fake.inject({ kind: 'throttle', times: 1 });
    expect((await call('GET', '/v1/audiences')).status).toBe(429);
    expect((await call('GET', '/v1/audiences')).status).toBe(200);
  });
});

describe('normaliseViant', () => {
  it('hashes the trimmed, lowercased email and the E.164 phone with its +', () => {
    expect(normaliseViant('email', ' Mary@Example.COM ')).toBe(sha256('mary@example.com'));
    expect(normaliseViant('phone', '+1 (212) 555-0100')).toBe(sha256('+12125550100'));
    expect(normaliseViant('email', 'not an email')).toBeUndefined();
  });
});
