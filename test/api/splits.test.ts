import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupOfBucket, layoutOf, splitBucket } from '../../src/segments/splits';
import { ApiFixture, PERSONS } from './support';

describe('split segments through the API', () => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await ApiFixture.start('sqlite');
  });
  afterAll(() => fx.close());

  it('stores each group with its buckets, rebalances them on a change of percentages, and rejects shares that do not add up', async () => {
    const body = { id: 'exp', entity: 'person', name: 'Experiment', type: 'everyone', splits: [{ name: 'a', percent: 50 }, { name: 'b', percent: 50 }] };
    const created = await fx.request('POST', '/segments', { token: 'marketer', body });
    expect(created.status).toBe(201);
    expect((created.body.splits as { buckets: unknown }[]).map((g) => g.buckets)).toEqual([[[0, 4999]], [[5000, 9999]]]);

    const grown = await fx.request('PATCH', '/segments/exp', {
      token: 'marketer',
      body: { version: 1, splits: [{ name: 'a', percent: 40 }, { name: 'b', percent: 40 }, { name: 'c', percent: 20 }] },
    });
    expect(grown.status).toBe(200);
    // a and b shrink from their highest buckets; c takes them.
    expect((grown.body.splits as { buckets: unknown }[]).map((g) => g.buckets)).toEqual([[[0, 3999]], [[5000, 8999]], [[4000, 4999], [9000, 9999]]]);

    const bad = await fx.request('POST', '/segments', { token: 'marketer', body: { ...body, id: 'exp-bad', splits: [{ name: 'a', percent: 50 }, { name: 'b', percent: 40 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'invalid_input', path: 'splits' } });
    const stale = await fx.request('PATCH', '/segments/exp', { token: 'marketer', body: { splits: [{ name: 'a', percent: 60, buckets: [[0, 3999]] }, { name: 'b', percent: 40, buckets: [[5000, 8999]] }] } });
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ error: { path: 'splits[0].buckets' } });
  });

  it('switches a destination on for a split segment, then a group names the new sync', async () => {
    const on = await fx.request('PUT', '/segments/exp/destinations/meta-main', { token: 'marketer', body: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, syncId: 'exp-meta-main' });
    const current = (await fx.request('GET', '/segments/exp', { token: 'viewer' })).body as unknown as { version: number; splits: { name: string; percent: number }[] };
    const named = await fx.request('PATCH', '/segments/exp', {
      token: 'marketer',
      body: { version: current.version, splits: current.splits.map(({ name, percent }) => ({ name, percent, ...(name === 'a' ? { syncs: ['exp-meta-main'] } : {}) })) },
    });
    expect(named.status).toBe(200);
    expect((named.body.splits as { syncs: string[] }[]).map((g) => g.syncs)).toEqual([['exp-meta-main'], [], []]);
    const typo = await fx.request('PATCH', '/segments/exp', {
      token: 'marketer',
      body: { splits: current.splits.map(({ name, percent }) => ({ name, percent, ...(name === 'b' ? { syncs: ['exp-meta'] } : {}) })) },
    });
    expect(typo.body).toMatchObject({ error: { code: 'invalid_input', path: 'splits[1].syncs[0]' } });
  });

  it('answers the membership lookup with the person’s group, and documents it in OpenAPI', async () => {
    expect((await fx.request('POST', '/segments/exp/refresh', { token: 'marketer' })).status).toBe(200);
    const stored = (await fx.request('GET', '/segments/exp', { token: 'viewer' })).body as unknown as { splits: { name: string; percent: number; buckets: [number, number][] }[] };
    const layout = layoutOf(stored.splits);
    for (let n = 0; n < PERSONS; n += 7) {
      const id = `p${String(n).padStart(2, '0')}`;
      const res = await fx.request('GET', `/persons/${id}/segments`, { token: 'viewer' });
      expect(res.body).toMatchObject({ personId: id, groups: { exp: groupOfBucket(layout, splitBucket('exp', undefined, id)) } });
      expect(res.body.segments).toContain('exp');
    }
    const doc = (await fx.request('GET', '/openapi.json', { token: null })).body as unknown as { paths: Record<string, { get?: unknown }> };
    expect(JSON.stringify(doc.paths['/api/v1/persons/{personId}/segments']!.get)).toContain('"groups"');
    expect(JSON.stringify(doc)).toContain('"splits"');
  });
});
