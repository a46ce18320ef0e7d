import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { ApiFixture, PERSONS } from './support';

/** With `orchestrator: temporal`, the worker's refresh activity feeds the store's membership lookup too. */
describe('the refresh activity feeds the membership lookup', () => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await ApiFixture.start('sqlite');
  });
  afterAll(() => fx.close());

  it('takes in the refresh’s changes', async () => {
    const workspace = await fx.store.workspace(fx.settings);
    const activities = createActivities({
      warehouse: fx.warehouse.reads,
      workspace,
      destinations: () => Promise.reject(new Error('no destination in a refresh')),
      onChanges: async (c) => void (await fx.store.membership.take(c)),
    });
    const env = new MockActivityEnvironment({}, { logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });
    const result = await env.run(activities.refreshSegment, { segmentId: 'vips', asOf: '2026-02-01T00:00:00.000Z' });
    expect(result).toMatchObject({ segmentId: 'vips', memberCount: PERSONS / 2, added: PERSONS / 2 });
    expect(await fx.store.membership.segmentsOf('p04')).toEqual({ personId: 'p04', segments: ['vips'], groups: {}, asOf: '2026-02-01T00:00:00.000Z' });
    expect((await fx.store.membership.segmentsOf('p05')).segments).toEqual([]);
  });
});
