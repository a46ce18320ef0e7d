import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiFixture, PERSONS, storeBackends } from './support';

const backends = await storeBackends();

/**
 * Exclusions and priority lists through the API: readable by every role, `ignoreExclusions` on a
 * sync only for the data role, and the run view's excluded count.
 */
describe.each(backends)('exclusions and priority lists through the API (%s store)', (backend) => {
  let fx: ApiFixture;
  beforeAll(async () => {
    // Buyers (every third person) are excluded; the list puts VIPs (even persons) first.
    fx = await ApiFixture.start(backend, {
      extraYaml: `  - {id: vips-meta, segment: vips, destination: meta-main}
exclusions: [buyers]
priorityLists: [{id: waterfall, segments: [vips, buyers]}]
`,
    });
  });
  afterAll(() => fx.close());

  it('reads the exclusions and priority lists with any token', async () => {
    expect((await fx.request('GET', '/exclusions', { token: 'viewer' })).body).toEqual({ exclusions: ['buyers'], managedBy: 'file' });
    expect((await fx.request('GET', '/priority-lists', { token: 'viewer' })).body).toEqual({ priorityLists: [{ id: 'waterfall', segments: ['vips', 'buyers'] }], managedBy: 'file' });
    expect((await fx.request('GET', '/exclusions', { token: null })).status).toBe(401);
    const doc = (await fx.request('GET', '/openapi.json', { token: null })).body as unknown as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/exclusions', '/api/v1/priority-lists']));
  });

  it('lets only the data role set ignoreExclusions on a sync', async () => {
    const body = { id: 'vips-all', segment: 'vips', destination: 'out', ignoreExclusions: true };
    expect((await fx.request('POST', '/syncs', { token: 'marketer', body })).status).toBe(403);
    const made = await fx.request('POST', '/syncs', { token: 'data', body });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ ignoreExclusions: true });
    expect((await fx.request('PATCH', '/syncs/vips-all', { token: 'marketer', body: { ignoreExclusions: false, version: 1 } })).status).toBe(403);
  });

  it("reports in the run view how many members the exclusions kept out", async () => {
    const res = await fx.request('POST', '/syncs/vips-meta/runs', { token: 'marketer', body: {} });
    expect(res.status).toBe(202);
    await fx.warehouse.idle();
    const run = (await fx.request('GET', `/runs/${String(res.body.runId)}`, { token: 'viewer' })).body;
    expect(run.status, String(run.error)).toBe('synced');
    // VIPs are the even persons, buyers every third: VIP buyers are every sixth (p00, p06, ..., p36).
    const vipBuyers = Array.from({ length: PERSONS }, (_, i) => i).filter((i) => i % 6 === 0).length;
    expect(run.excluded).toBe(vipBuyers);
    // Each person sends two keys (email and phone).
    expect(fx.meta.audienceByName('vip-people')!.members.size).toBe(2 * (PERSONS / 2 - vipBuyers));
  });
});
