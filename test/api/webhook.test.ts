import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiFixture } from './support';

/** A webhook destination through the API: its signing secret is never returned, and it has no one-click toggle. */
describe('webhook destinations in the API', () => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await ApiFixture.start('sqlite');
  });
  afterAll(() => fx.close());

  const settings = { url: 'https://hooks.example.com/outflow', signingSecret: 'ui-webhook-secret-0123456789', mode: 'upsert', fields: { vip: 'vip', source: { value: 'outflow' } } };

  it('is created with its mapping; the secret reads back as {"set": true}', async () => {
    const created = await fx.request('POST', '/destinations', { token: 'data', body: { id: 'hook-ui', type: 'webhook', settings } });
    expect(created.status, created.raw).toBe(201);
    expect(created.raw).not.toContain(settings.signingSecret);
    const read = await fx.request('GET', '/destinations/hook-ui', { token: 'viewer' });
    expect(read.body.settings).toMatchObject({ signingSecret: { set: true }, fields: settings.fields, mode: 'upsert' });
    expect((await fx.request('GET', '/audit?limit=50', { token: 'admin' })).raw).not.toContain(settings.signingSecret);
  });

  it('a bad mapping is a 400 with the path of the field', async () => {
    const bad = await fx.request('POST', '/destinations', { token: 'data', body: { id: 'hook-bad', type: 'webhook', settings: { ...settings, fields: { industry: 'a.b.c' } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_input', path: expect.stringContaining('fields.industry') });
  });

  it('has no one-click toggle and is not listed among a segment\'s ad platforms', async () => {
    const toggle = await fx.request('PUT', '/segments/vips/destinations/hook-ui', { token: 'marketer', body: { enabled: true } });
    expect(toggle.status).toBe(400);
    expect(toggle.raw).toContain('not an ad platform');
    const listed = await fx.request('GET', '/segments/vips/destinations', { token: 'viewer' });
    expect(listed.raw).not.toContain('hook-ui');
  });
});
