import { afterEach, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { destinationFactory } from '../../src/destinations/registry';
import { rejectionReasons } from '../../src/state/run-tables';
import { ensureStateSchema } from '../../src/state/state-sql';
import { runSync } from '../../src/sync/steps';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { type Person, writePeople, writeWorkspace } from './e2e-support';
import { PLATFORMS, type PlatformName, platformCase } from './platforms-ii-support';

/**
 * Faults through a whole sync run to the LinkedIn, Microsoft Advertising, TikTok, Snapchat,
 * Pinterest, Reddit and X fakes (the exported runSync, with an instant sleep so retry delays cost nothing): throttle
 * storms in each platform's own form, 5xx, hung requests, per-row rejections and a revoked token.
 */

const FAST_RETRY = { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 10 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(name: PlatformName, extra: Record<string, unknown> = {}) {
  const c = platformCase(name, extra);
  await c.fake.start();
  const work = writeWorkspace([{ id: 'dest', type: name, settings: c.settings() }]);
  const loaded = loadWorkspace(work.config, { ...process.env, ...c.env });
  const warehouse = await DuckDbDriver.open({ path: work.dbPath });
  cleanups.push(async () => {
    await warehouse.close();
    await c.fake.stop();
  });
  const people: Person[] = c.people();
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
  const reasons = async (runId: string) => rejectionReasons(await ensureStateSchema(warehouse, loaded.workspace.stateSchema), runId);
  const retries = () => events.filter((e) => e.event === 'batch_retry');
  const assertCleanLogs = (extraText = '') => {
    const text = JSON.stringify(events) + extraText;
    for (const s of c.secrets) expect(text).not.toContain(s);
    if (c.tokenPrefix) expect(text).not.toMatch(c.tokenPrefix);
    for (const p of people) if (p.email && p.email.includes('@')) expect(text.toLowerCase()).not.toContain(p.email.trim().toLowerCase());
    expect(text).not.toMatch(/\+1 \(212\)|1212555\d{4}|1646555\d{4}/);
  };
  return { c, people, run, reasons, sleeps, retries, events, assertCleanLogs };
}

describe.each(PLATFORMS)('faults during a sync run to the %s fake', (name) => {
  it("a throttle storm is waited out as the platform signals it; the audience ends exact", async () => {
    const t = await setup(name);
    t.c.fake.inject({ kind: 'throttle', times: 5, pathIncludes: t.c.uploadPath });
    const r = await t.run();
    expect(r.status, r.reason).toBe('synced');
    expect(t.c.audience()).toEqual(t.c.expected(t.people));
    // Every throttled reply was answered by a retry (a call whose parallel requests were throttled together is retried once).
    expect(t.c.fake.faults).toHaveLength(0);
    expect(t.retries().filter((e) => e.fields?.kind === 'rate_limited').length).toBeGreaterThanOrEqual(1);
    expect(t.retries().every((e) => e.fields?.kind === 'rate_limited')).toBe(true);
    // Microsoft's 117 asks for a minute; the others publish no wait, so the engine backs off.
    const wait = t.c.throttleWaitMs;
    if (wait) expect(t.sleeps.filter((ms) => Math.abs(ms - wait) <= (t.c.throttleWaitToleranceMs ?? 0)).length).toBeGreaterThanOrEqual(1);
    else expect(t.sleeps.every((ms) => ms <= FAST_RETRY.maxDelayMs)).toBe(true);
    t.assertCleanLogs(r.reason ?? '');
  });

  it('5xx replies and hung requests are retried; the audience ends exact', async () => {
    const t = await setup(name, { requestTimeoutMs: 1_500 });
    t.c.fake.inject({ kind: 'server_error', times: 2, status: 503, pathIncludes: t.c.uploadPath });
    t.c.fake.inject({ kind: 'hang', times: 1, ms: 4_000, pathIncludes: t.c.uploadPath });
    t.c.fake.inject({ kind: 'server_error', times: 1, status: 500 }); // the first call of the run, whatever it is
    const r = await t.run();
    expect(r.status, r.reason).toBe('synced');
    expect(t.c.audience()).toEqual(t.c.expected(t.people));
    expect(t.retries().map((e) => e.fields?.code)).toEqual(expect.arrayContaining(['timeout', '503']));
    t.assertCleanLogs();
  });

  it('rows the platform or its rules refuse are counted and reported with the reason on the run', async () => {
    const t = await setup(name);
    const refused = ['p002', 'p004'];
    const platformReason = t.c.rejectEmail ? refused.map((id) => t.c.rejectEmail!(t.people.find((p) => p.id === id)!))[0] : undefined;
    const r = await t.run();
    expect(r.status, r.reason).toBe('synced');
    const reasons = await t.reasons(r.runId);
    // p007's email is not one (Snapchat takes its phone); p008 has no email and a phone that is not one.
    if (name === 'snapchat') expect(reasons).toEqual(expect.arrayContaining([{ reason: 'no usable identifier (phone: not a possible phone number (no country code))', count: 1 }]));
    else
      expect(reasons).toEqual(
        expect.arrayContaining([
          { reason: 'no usable identifier', count: 1 },
          { reason: 'no usable identifier (email: not an email address)', count: 1 },
        ]),
      );
    if (platformReason) {
      expect(reasons).toEqual(expect.arrayContaining([{ reason: platformReason, count: 2 }]));
      expect(t.c.audience()).toEqual(t.c.expected(t.people.filter((p) => !refused.includes(p.id))));
    } else expect(t.c.audience()).toEqual(t.c.expected(t.people));
    expect(r.rejected).toBe(reasons.reduce((n, x) => n + x.count, 0));
    t.assertCleanLogs();
  });

  it('a revoked token fails the run after one request, not retried, naming the destination', async () => {
    const t = await setup(name);
    t.c.fake.revokeToken();
    const r = await t.run();
    expect(r.status).toBe('failed');
    expect(t.retries()).toHaveLength(0);
    expect(t.c.fake.requests.length).toBe(1);
    expect(r.reason).toMatch(t.c.label);
    expect(r.reason).toMatch(/refresh token|access denied/);
    expect(t.c.audience().size).toBe(0);
    t.assertCleanLogs(r.reason ?? '');
  });
});
