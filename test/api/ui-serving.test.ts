import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiFixture } from './support';

/** The server serves the web UI at `/` beside the API (SPEC §7), and tells the UI who the token is. */
describe('web UI files and GET /me', () => {
  let fx: ApiFixture;
  let bare: ApiFixture;
  const ui = mkdtempSync(path.join(tmpdir(), 'outflow-ui-'));
  beforeAll(async () => {
    mkdirSync(path.join(ui, 'assets'));
    writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>Outflow</title><div id="root"></div>');
    writeFileSync(path.join(ui, 'assets', 'index-abc123.js'), 'console.log(1)');
    fx = await ApiFixture.start('sqlite', { uiDir: ui });
    bare = await ApiFixture.start('sqlite', { uiDir: path.join(ui, 'not-built') });
  });
  afterAll(async () => {
    await fx.close();
    await bare.close();
    rmSync(ui, { recursive: true, force: true });
  });

  const get = (f: ApiFixture, url: string) => f.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });

  it('serves index.html at / and at every page route the UI handles in the browser', async () => {
    for (const url of ['/', '/segments', '/segments/recent-buyers/edit', '/audit?x=1']) {
      const res = await get(fx, url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/text\/html/);
      expect(res.body, url).toContain('<div id="root">');
    }
  });

  it('serves hashed assets with a long cache, and 404s missing files and API routes as JSON', async () => {
    const asset = await get(fx, '/assets/index-abc123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    for (const url of ['/assets/missing.js', '/favicon.ico', '/api/v1/no-such-route', '/api/v1']) {
      const res = await get(fx, url);
      expect(res.statusCode, url).toBe(404);
      expect(JSON.parse(res.body), url).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('says how to build the UI when it is not built, and keeps the API working', async () => {
    const res = await get(bare, '/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('npm run build:ui');
    expect((await bare.request('GET', '/health', { token: null })).status).toBe(200);
  });

  it('GET /me names the token and its role, for every role', async () => {
    for (const role of ['viewer', 'marketer', 'data', 'admin'] as const) {
      const res = await fx.request('GET', '/me', { token: role });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: `${role}-token`, role });
    }
    expect((await fx.request('GET', '/me', { token: null })).status).toBe(401);
  });
});
