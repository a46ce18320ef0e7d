import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiFixture } from './support';

describe('api smoke', () => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await ApiFixture.start('sqlite');
  });
  afterAll(() => fx.close());

  it('answers', async () => {
    console.log((await fx.request('GET', '/health', { token: null })));
    console.log(JSON.stringify((await fx.request('GET', '/segments')).body).slice(0, 500));
    console.log((await fx.request('POST', '/estimate', { body: { entity: 'person', rules: { conditions: [{ kind: 'trait', trait: 'vip', op: '=', value: true }] } } })));
    console.log((await fx.request('POST', '/estimate', { body: { entity: 'person', rules: { conditions: [{ kind: 'event', event: 'x', count: { op: '~', value: 1 } }] } } })));
    console.log(JSON.stringify((await fx.request('GET', '/segments/vips/preview?limit=3', { token: 'viewer' })).body).slice(0, 600));
    console.log(JSON.stringify((await fx.request('GET', '/entities/person/fields')).body).slice(0, 600));
    console.log((await fx.request('PUT', '/segments/vips/destinations/meta-main', { token: 'marketer', body: { enabled: true } })));
    const run = await fx.request('POST', '/syncs/vips-meta-main/runs', { token: 'marketer', body: {} });
    console.log(run);
    await fx.warehouse.idle();
    console.log((await fx.request('GET', `/runs/${String(run.body.runId)}`)));
    console.log((await fx.request('POST', `/segments/vips/refresh`)));
    console.log((await fx.request('GET', `/persons/p02/segments`)));
    const doc = await fx.request('GET', '/openapi.json', { token: null });
    console.log(doc.status, doc.raw.length);
    expect(1).toBe(1);
  });
});
