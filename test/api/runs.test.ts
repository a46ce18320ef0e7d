import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunCountsError, runRecordPatch } from '../../src/scheduler/run-record';
import { syncRunInput } from '../../src/scheduler/runs';
import type { SyncRunResult } from '../../src/sync/orchestrate';
import { ApiFixture, PERSONS, storeBackends } from './support';

const backends = await storeBackends();

/** Waits for the jobs queued so far, then reads the run back through the API. */
async function settled(fx: ApiFixture, runId: string) {
  await fx.warehouse.idle();
  const res = await fx.request('GET', `/runs/${runId}`, { token: 'viewer' });
  expect(res.status).toBe(200);
  return res.body;
}

describe.each(backends)('runs and one-click toggles through the API (%s store)', (backend) => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await ApiFixture.start(backend);
  });
  afterAll(() => fx.close());

  it('toggles a platform on with the SPEC §4 defaults, pauses it, resumes the same sync', async () => {
    const before = await fx.request('GET', '/segments/buyers/destinations', { token: 'viewer' });
    expect(before.body).toEqual([
      { destinationId: 'meta-main', type: 'meta', title: 'Meta Custom Audiences', enabled: false, syncId: null, status: null, lastRun: null, matchRate: null },
    ]);
    const on = await fx.request('PUT', '/segments/buyers/destinations/meta-main', { token: 'marketer', body: { enabled: true } });
    expect(on.body).toMatchObject({ destinationId: 'meta-main', enabled: true, syncId: 'buyers-meta-main', status: 'scheduled' });
    const sync = await fx.request('GET', '/syncs/buyers-meta-main', { token: 'viewer' });
    expect(sync.body).toMatchObject({
      segment: 'buyers',
      destination: 'meta-main',
      mode: 'mirror',
      schedule: '0 6 * * *',
      maxRemovalShare: 0.5,
      identifiers: ['email', 'phone'],
      enabled: true,
      managedBy: 'ui',
      version: 1,
    });
    const off = await fx.request('PUT', '/segments/buyers/destinations/meta-main', { token: 'marketer', body: { enabled: false } });
    expect(off.body).toMatchObject({ enabled: false, syncId: 'buyers-meta-main', status: 'paused' });
    const again = await fx.request('PUT', '/segments/buyers/destinations/meta-main', { token: 'marketer', body: { enabled: true } });
    expect(again.body).toMatchObject({ enabled: true, syncId: 'buyers-meta-main' });
    expect((await fx.request('GET', '/syncs/buyers-meta-main')).body).toMatchObject({ enabled: true, version: 3 });
    // The toggles are in the audit log under the token's name.
    const audit = (await fx.request('GET', '/audit?objectType=sync&objectId=buyers-meta-main')).body as unknown as { actor: string; action: string }[];
    expect(audit.map((a) => `${a.actor} ${a.action}`)).toEqual(['marketer-token update', 'marketer-token update', 'marketer-token create']);
    // A file destination has no toggle.
    const file = await fx.request('PUT', '/segments/buyers/destinations/out', { token: 'marketer', body: { enabled: true } });
    expect(file.status).toBe(400);
    expect(file.body.error).toMatchObject({ path: 'destinationId' });
  });

  it('answers 202 at once, runs through the orchestration and lock, and records planned/sent/accepted/rejected by reason', async () => {
    // One member's email is one the sandbox platform rejects.
    fx.meta.invalidValues.add(createHash('sha256').update('user2@example.com').digest('hex'));
    await fx.request('PUT', '/segments/vips/destinations/meta-main', { token: 'marketer', body: { enabled: true } });
    const res = await fx.request('POST', '/syncs/vips-meta-main/runs', { token: 'marketer', body: {} });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ runId: expect.any(String) as unknown, status: 'queued' });
    const run = await settled(fx, String(res.body.runId));
    expect(run).toMatchObject({ syncId: 'vips-meta-main', status: 'synced', requestedBy: 'marketer-token', planned: PERSONS / 2, sent: PERSONS / 2, batches: 1, error: null });
    expect(run.rejected).toBe(1);
    expect(run.rejectedByReason).toEqual([{ reason: expect.any(String) as unknown, count: 1 }]);
    expect(Number(run.planned)).toBe(Number(run.accepted) + Number(run.rejected) + Number(run.deferred));
    expect(Object.keys(run.timings as object)).toEqual(expect.arrayContaining(['evaluate', 'upload', 'commit', 'total']));
    expect(typeof run.matchRate).toBe('number');
    // The platform holds the segment.
    const audience = fx.meta.audienceByName('vip-people')!;
    expect(audience.members.size).toBeGreaterThanOrEqual(PERSONS / 2 - 1);
    // The warehouse's run (same steps, same state schema) and the lock released.
    const rows = await fx.warehouse.reads.query<{ n: number }>(`select count(*)::integer as n from outflow.sync_runs where sync_id = 'vips-meta-main' and status = 'synced'`);
    expect(rows[0]!.n).toBe(1);
    const locks = await fx.warehouse.reads.query<{ n: number }>(`select count(*)::integer as n from outflow.sync_locks where sync_id = 'vips-meta-main'`);
    expect(locks[0]!.n).toBe(0);
    const audit = (await fx.request('GET', '/audit?objectType=sync&objectId=vips-meta-main&limit=1')).body as unknown as { actor: string; action: string; diff: unknown }[];
    expect(audit[0]).toMatchObject({ actor: 'marketer-token', action: 'run', diff: { after: { runId: res.body.runId } } });
    fx.meta.invalidValues.clear();
  });

  it('refuses a second run while one is open (409 with its id), and a run of a paused segment still runs when asked', async () => {
    const first = await fx.request('POST', '/syncs/vips-meta-main/runs', { token: 'marketer', body: { dryRun: true } });
    const second = await fx.request('POST', '/syncs/vips-meta-main/runs', { token: 'marketer', body: {} });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'conflict', openRunId: first.body.runId });
    expect(await settled(fx, String(first.body.runId))).toMatchObject({ status: 'dry_run', planned: 0, deferred: 0 });
  });

  it('stops a run that would remove most of the audience for confirmation, and continues it on POST /runs/{id}/confirm', async () => {
    await fx.warehouse.reads.execute(`update main.persons set vip = false where person_id not in ('p00', 'p04')`);
    try {
      const res = await fx.request('POST', '/syncs/vips-meta-main/runs', { token: 'marketer', body: {} });
      const stopped = await settled(fx, String(res.body.runId));
      expect(stopped).toMatchObject({ status: 'needs_confirmation', planned: PERSONS / 2 - 2, accepted: 0, deferred: PERSONS / 2 - 2 });
      expect(String(stopped.error)).toMatch(/more than maxRemovalShare 0.5/);
      const viewer = await fx.request('POST', `/runs/${String(res.body.runId)}/confirm`, { token: 'viewer' });
      expect(viewer.status).toBe(403);
      const confirmed = await fx.request('POST', `/runs/${String(res.body.runId)}/confirm`, { token: 'marketer' });
      expect(confirmed.status).toBe(202);
      expect(confirmed.body).toEqual({ runId: res.body.runId, status: 'queued' });
      const done = await settled(fx, String(res.body.runId));
      expect(done).toMatchObject({ status: 'synced', options: { confirmRemovals: true }, planned: PERSONS / 2 - 2 });
      // Two members, an email and a phone each: the audience holds their four keys.
      expect(fx.meta.audienceByName('vip-people')!.members.size).toBe(4);
      // Confirming it again: it is no longer waiting.
      expect((await fx.request('POST', `/runs/${String(res.body.runId)}/confirm`, { token: 'marketer' })).status).toBe(409);
    } finally {
      await fx.warehouse.reads.execute(`update main.persons set vip = (cast(substr(person_id, 2) as integer) % 2 = 0)`);
    }
  });
});

describe('a run result becomes a run record in one place', () => {
  const counts = { planned: 10, sent: 10, accepted: 8, rejected: 2, deferred: 0, added: 7, removed: 3 };
  const result: SyncRunResult = { runId: 'r1', syncId: 's', asOf: '2026-02-01T00:00:00.000Z', status: 'synced', memberCount: 10, plannedAdded: 7, plannedRemoved: 3, ...counts, batches: 2 };

  it('takes the counts the result carries, with rejections by reason', () => {
    const reasons = [{ reason: 'invalid email', count: 2 }];
    expect(runRecordPatch(result, { reasons, timings: {}, finishedAt: 'now' })).toMatchObject({ planned: 10, sent: 10, accepted: 8, rejected: 2, deferred: 0, rejectedByReason: { 'invalid email': 2 } });
    const stopped = { ...result, status: 'needs_confirmation' as const, sent: 0, accepted: 0, rejected: 0, deferred: 10, added: 0, removed: 0 };
    expect(runRecordPatch(stopped, { timings: {}, finishedAt: 'now' })).toMatchObject({ planned: 10, sent: 0, accepted: 0, deferred: 10 });
  });

  it('fails loudly when the counts do not add up', () => {
    expect(() => runRecordPatch({ ...result, accepted: 7 }, { timings: {}, finishedAt: 'now' })).toThrow(RunCountsError);
    // A synced run that left planned rows unsent is not synced.
    const short = { ...result, sent: 9, accepted: 7, deferred: 1, added: 6 };
    expect(() => runRecordPatch(short, { timings: {}, finishedAt: 'now' })).toThrow(/a synced run left 1 planned rows unsent/);
    expect(runRecordPatch({ ...short, status: 'failed' }, { timings: {}, finishedAt: 'now' })).toMatchObject({ deferred: 1 });
  });

  it('passes full: true through to the sync engine', () => {
    const run = { runId: 'r', syncId: 's', options: { full: true } };
    expect(syncRunInput(run, new Date('2026-02-01T00:00:00Z'))).toEqual({ syncId: 's', asOf: '2026-02-01T00:00:00.000Z', dryRun: false, confirmRemovals: false, full: true });
    expect(syncRunInput({ ...run, options: {} }, new Date('2026-02-01T00:00:00Z'))).not.toHaveProperty('full');
  });
});
