import { afterEach, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { rejectionReasons } from '../../src/state/run-tables';
import { ensureStateSchema } from '../../src/state/state-sql';
import { destinationFactory } from '../../src/destinations/registry';
import { runSync } from '../../src/sync/steps';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { GoogleAdsFake } from '../../src/sandbox/google-ads';
import { MetaFake } from '../../src/sandbox/meta';
import { expectedAudience, googleKeys, initialPeople, metaKeys, type Person, sha, writePeople, writeWorkspace } from './e2e-support';

/**
 * Fault injection through a whole sync run (the exported runSync, with an instant sleep so
 * retry delays cost nothing): throttle storms, 5xx, hung requests, per-row rejections and a
 * revoked token, against both contract fakes.
 */

const FAST_RETRY = { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 10 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

type Platform = 'meta' | 'google';

async function setup(platform: Platform, extra: Record<string, unknown> = {}) {
  const fake = platform === 'meta' ? new MetaFake() : new GoogleAdsFake();
  await fake.start();
  const secrets: Record<string, string> =
    fake instanceof MetaFake
      ? { T_META: fake.accessToken }
      : { T_DEV: fake.developerToken, T_SECRET: fake.clientSecret, T_REFRESH: fake.refreshToken };
  const settings =
    fake instanceof MetaFake
      ? { ...fake.settings({ rowsPerRequest: 4, requestsPerSession: 2, concurrency: 2, ...extra }), accessToken: '${env:T_META}' }
      : {
          ...fake.settings({ rowsPerJob: 6, identifiersPerRequest: 5, ...extra }),
          developerToken: '${env:T_DEV}',
          clientSecret: '${env:T_SECRET}',
          refreshToken: '${env:T_REFRESH}',
        };
  const work = writeWorkspace([{ id: 'dest', type: platform === 'meta' ? 'meta' : 'google_ads', settings }]);
  const loaded = loadWorkspace(work.config, { ...process.env, ...secrets });
  // The warehouse file is new: DuckDbDriver.open creates it (openWarehouse opens only existing ones).
  const warehouse = await DuckDbDriver.open({ path: work.dbPath });
  cleanups.push(async () => {
    await warehouse.close();
    await fake.stop();
  });
  const people: Person[] = initialPeople();
  await writePeople(warehouse, people);
  const sleeps: number[] = [];
  const events: { event: string; fields?: Record<string, unknown> }[] = [];
  const log = (event: string, fields?: Record<string, unknown>) => void events.push({ event, ...(fields ? { fields } : {}) });
  const deps = {
    warehouse,
    workspace: loaded.workspace,
    destinations: destinationFactory(loaded.workspace, loaded.dir, log),
    sleep: async (ms: number) => void sleeps.push(ms),
    log,
    retry: FAST_RETRY,
  };
  const run = () => runSync(deps, { syncId: 'vips-dest', asOf: new Date().toISOString() });
  const tuple = platform === 'meta' ? metaKeys : googleKeys;
  const audience = () => fake.members('aud-vips');
  const expected = (drop: (p: Person) => boolean = () => false) => expectedAudience(people.filter((p) => !drop(p)), tuple);
  const reasons = async (runId: string) => rejectionReasons(await ensureStateSchema(warehouse, loaded.workspace.stateSchema), runId);
  const retries = () => events.filter((e) => e.event === 'batch_retry');
  /** Everything the run logged must be free of personal data and secrets. */
  const assertCleanLogs = (extraText = '') => {
    const text = JSON.stringify(events) + extraText;
    for (const s of Object.values(secrets)) expect(text).not.toContain(s);
    for (const p of people) if (p.email && p.email.includes('@')) expect(text.toLowerCase()).not.toContain(p.email.trim().toLowerCase());
    expect(text).not.toMatch(/\+1 \(212\)|1212555\d{4}/);
  };
  return { fake, people, run, audience, expected, reasons, sleeps, retries, events, assertCleanLogs };
}

describe.each<Platform>(['meta', 'google'])('faults during a sync run to the %s fake', (platform) => {
  it('a throttle storm is waited out as the platform asks; the audience ends exact', async () => {
    const t = await setup(platform);
    const retryAfterMs = platform === 'meta' ? 60_000 : 15_000;
    t.fake.inject({ kind: 'throttle', times: 5, pathIncludes: platform === 'meta' ? '/users' : ':addOperations', retryAfterMs });
    const r = await t.run();
    expect(r.status, r.reason).toBe('synced');
    expect(t.audience()).toEqual(t.expected());
    expect(t.retries().filter((e) => e.fields?.kind === 'rate_limited')).toHaveLength(5);
    expect(t.sleeps.filter((ms) => ms === retryAfterMs).length).toBeGreaterThanOrEqual(1);
    t.assertCleanLogs(r.reason ?? '');
  });

  it('5xx replies and hung requests are retried; the audience ends exact', async () => {
    const t = await setup(platform, { requestTimeoutMs: 1_500 });
    const upload = platform === 'meta' ? '/users' : ':addOperations';
    t.fake.inject({ kind: 'server_error', times: 2, status: 503, pathIncludes: upload });
    t.fake.inject({ kind: 'hang', times: 1, ms: 4_000, pathIncludes: upload });
    t.fake.inject({ kind: 'server_error', times: 1, status: 500 }); // the first call of the run, whatever it is
    const r = await t.run();
    expect(r.status, r.reason).toBe('synced');
    expect(t.audience()).toEqual(t.expected());
    expect(t.retries().map((e) => e.fields?.code)).toEqual(expect.arrayContaining(['timeout', '503']));
    t.assertCleanLogs();
  });

  it('rows the platform rejects are counted and reported with the reason on the run', async () => {
    const t = await setup(platform);
    const bad = new Set(['p002', 'p004']);
    for (const p of t.people.filter((x) => bad.has(x.id))) {
      const h = sha(p.email?.trim().toLowerCase() ?? '');
      if (t.fake instanceof MetaFake) t.fake.invalidValues.add(h);
      else t.fake.invalidHashes.add(h);
    }
    const r = await t.run();
    expect(r.status, r.reason).toBe('synced');
    expect(r.rejected).toBe(3); // the two above and the row without a usable identifier
    const reason = platform === 'meta' ? 'Meta: invalid entry (Invalid format)' : 'Google Ads rejected the row: offlineUserDataJobError.INVALID_USER_IDENTIFIER';
    expect(await t.reasons(r.runId)).toEqual(
      expect.arrayContaining([
        { reason, count: 2 },
        { reason: 'no usable identifier (phone: not a possible phone number (no country code))', count: 1 },
      ]),
    );
    expect(t.audience()).toEqual(t.expected((p) => bad.has(p.id)));
    t.assertCleanLogs();
  });

  it('a revoked token fails the run at once, not retried, with a message naming the destination', async () => {
    const t = await setup(platform);
    if (t.fake instanceof MetaFake) t.fake.revokeToken();
    else t.fake.revokeRefreshToken();
    const started = Date.now();
    const r = await t.run();
    expect(r.status).toBe('failed');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(t.retries()).toHaveLength(0);
    expect(t.fake.requests.length).toBe(1);
    expect(r.reason).toMatch(platform === 'meta' ? /^Meta destination "dest" \(ad account 1234567890\).*code 190\/460.*access token/ : /^Google Ads destination "dest" \(customer 1234567890\).*refresh token/);
    expect(t.audience().size).toBe(0);
    t.assertCleanLogs(r.reason ?? '');
  });

  it('a run that gives up moves nothing; the next run sends the same diff and ends exact', async () => {
    const t = await setup(platform);
    t.fake.inject({ kind: 'server_error', times: 1_000, status: 500, pathIncludes: platform === 'meta' ? '/users' : ':run' });
    const failed = await t.run();
    expect(failed.status).toBe('failed');
    // Nothing reached the audience: the failed run says so (sent 0), and defers what it planned.
    expect(failed).toMatchObject({ sent: 0, added: 0, deferred: failed.plannedAdded });
    t.fake.faults.length = 0;
    const r = await t.run();
    expect(r.status, r.reason).toBe('synced');
    // The same diff: every planned row accepted now, or rejected (the unusable row, before sending).
    expect(r.planned).toBe(failed.planned);
    expect(r.accepted + r.rejected).toBe(failed.plannedAdded);
    expect(t.audience()).toEqual(t.expected());
  });
});
