import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { destinationFactory } from '../../src/destinations/registry';
import { WebhookReceiverFake } from '../../src/sandbox/webhook';
import { rejectionReasons } from '../../src/state/run-tables';
import { ensureStateSchema } from '../../src/state/state-sql';
import { runSync } from '../../src/sync/steps';
import { openWarehouse } from '../../src/warehouse';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { withDuckDb } from './e2e-support';
import { expectedRecords, HOOK_FIELDS, initialCompanies, initialHookPeople, SIGNING_SECRET, writeHookTables, writeHookWorkspace } from './webhook-support';

/**
 * The webhook destination against a receiver that misbehaves: a lost reply (the retried batch is
 * a replay the receiver refuses, and nobody counts it twice), 429 with Retry-After, 5xx, a hung
 * request, per-row rejections, a wrong secret and a stale clock. Each case syncs into its own
 * destination, so each starts from an empty audience.
 */

const receiver = new WebhookReceiverFake({ signingSecret: SIGNING_SECRET });
const CASES = ['replay', 'throttle', 'server-error', 'hung', 'reject', 'bad-secret', 'stale', 'pii'] as const;
type Case = (typeof CASES)[number];
const people = initialHookPeople();
const expected = expectedRecords(people, initialCompanies());
const logs: string[] = [];
const sleeps: number[] = [];
let warehouse: WarehouseDriver;
let loaded: ReturnType<typeof loadWorkspace>;

beforeAll(async () => {
  await receiver.start();
  const base = receiver.settings();
  let dbPath = '';
  const work = writeHookWorkspace(
    CASES.map((c) => ({
      id: `hook-${c}`,
      settings: {
        url: base.url,
        apiBaseUrl: base.apiBaseUrl,
        mode: 'mirror',
        fields: HOOK_FIELDS,
        batchSize: 10,
        requestTimeoutMs: 300,
        ...(c === 'bad-secret' ? { signingSecret: 'not-the-receivers-secret' } : {}),
        ...(c === 'pii' ? { fields: { ...HOOK_FIELDS, email: 'email', phone: 'phone' } } : {}),
      },
    })),
    (dir) => `{ type: duckdb, path: ${JSON.stringify((dbPath = path.join(dir, 'warehouse.duckdb')))} }`,
  );
  await withDuckDb(dbPath, (w) => writeHookTables(w, people, initialCompanies()));
  loaded = loadWorkspace(work.config, { ...process.env, HOOK_SECRET: SIGNING_SECRET });
  warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
});

afterAll(async () => {
  await warehouse?.close();
  await receiver.stop();
});

beforeEach(() => {
  sleeps.length = 0;
});

async function run(c: Case) {
  const log = (event: string, fields?: Record<string, unknown>) => void logs.push(JSON.stringify({ event, ...fields }));
  const deps = {
    warehouse,
    workspace: loaded.workspace,
    destinations: destinationFactory(loaded.workspace, loaded.dir, log),
    log,
    sleep: (ms: number) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
  const r = await runSync(deps, { syncId: `vips-hook-${c}`, asOf: new Date().toISOString() });
  logs.push(JSON.stringify(r));
  return r;
}

const applied = (audience: string) => [...receiver.applied].filter(([k]) => k.startsWith(`${audience}/`)).map(([, n]) => n);

describe('webhook faults', () => {
  it('a lost reply: the retried batch is a replay the receiver refuses, and it counts once', async () => {
    receiver.loseReplies = 1;
    const r = await run('replay');
    expect(r.status, r.reason).toBe('synced');
    expect(receiver.replays).toBe(1);
    expect([r.added, r.rejected]).toEqual([27, 0]);
    expect(receiver.records('hook-replay')).toEqual(expected);
    // Every record applied exactly once, the replayed batch's included.
    expect(applied('hook-replay')).toHaveLength(27);
    expect(applied('hook-replay').every((n) => n === 1)).toBe(true);
  });

  it('429 with Retry-After: waits what the receiver asked, then delivers', async () => {
    receiver.inject({ kind: 'throttle', times: 2, retryAfterMs: 3000 });
    const r = await run('throttle');
    expect(r.status, r.reason).toBe('synced');
    expect(sleeps.filter((ms) => ms >= 3000).length).toBeGreaterThanOrEqual(1);
    expect(receiver.records('hook-throttle')).toEqual(expected);
  });

  it('5xx: retried until delivered', async () => {
    receiver.inject({ kind: 'server_error', times: 2, status: 503 });
    const r = await run('server-error');
    expect(r.status, r.reason).toBe('synced');
    expect(receiver.records('hook-server-error')).toEqual(expected);
  });

  it('a hung request times out and is retried', async () => {
    receiver.inject({ kind: 'hang', times: 1, ms: 1500 });
    const r = await run('hung');
    expect(r.status, r.reason).toBe('synced');
    expect(logs.some((l) => l.includes('"event":"batch_retry"') && l.includes('timeout'))).toBe(true);
    expect(receiver.records('hook-hung')).toEqual(expected);
  });

  it('per-row results: refused records are rejected with the endpoint\'s code; a reason that is not a code is summarised', async () => {
    receiver.rejectRecord = (record) => (record.id === 'p004' ? 'invalid_plan' : record.id === 'p010' ? 'bad value hook10@example.com' : undefined);
    try {
      const r = await run('reject');
      expect(r.status, r.reason).toBe('synced');
      expect([r.added, r.rejected]).toEqual([27, 2]);
      const reasons = await rejectionReasons(await ensureStateSchema(warehouse, loaded.workspace.stateSchema), r.runId);
      expect(reasons.sort((a, b) => a.reason.localeCompare(b.reason))).toEqual([
        { reason: 'endpoint: invalid_plan', count: 1 },
        { reason: 'rejected by the endpoint', count: 1 },
      ]);
      expect([...receiver.records('hook-reject').keys()]).not.toContain('p004');
    } finally {
      receiver.rejectRecord = undefined;
    }
  });

  it('a wrong signing secret or a stale clock: the receiver refuses, the run fails as access denied', async () => {
    const before = receiver.badSignatures;
    const wrong = await run('bad-secret');
    expect(wrong.status).toBe('failed');
    expect(wrong.reason).toMatch(/Webhook destination "hook-bad-secret" .*access denied \(HTTP 401, code invalid_signature\)/);
    receiver.now = () => Date.now() + 10 * 60_000;
    try {
      const stale = await run('stale');
      expect(stale.status).toBe('failed');
      expect(stale.reason).toContain('code stale_timestamp');
    } finally {
      receiver.now = () => Date.now();
    }
    // Refused, not retried: at most the two batches in flight of each run.
    expect(receiver.badSignatures - before).toBeGreaterThanOrEqual(2);
    expect(receiver.badSignatures - before).toBeLessThanOrEqual(4);
    expect(receiver.records('hook-bad-secret').size).toBe(0);
  });

  it('mapped personal data arrives exactly as the warehouse holds it', async () => {
    const r = await run('pii');
    expect(r.status, r.reason).toBe('synced');
    const got = receiver.records('hook-pii');
    for (const p of people.filter((x) => x.vip)) expect(got.get(p.id)).toEqual({ ...expected.get(p.id), email: p.email, phone: p.phone });
  });

  it('no log line holds the signing secret, an email or a phone number, mapped or not', () => {
    const all = logs.join('\n');
    expect(all).not.toContain(SIGNING_SECRET);
    expect(all).not.toContain('not-the-receivers-secret');
    expect(all).not.toMatch(/@example\.com/i);
    for (const p of people) if (p.phone) expect(all).not.toContain(p.phone.replace(/\D/g, '').slice(-7));
  });
});
