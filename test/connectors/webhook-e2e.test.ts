import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { destinationFactory } from '../../src/destinations/registry';
import { WebhookReceiverFake } from '../../src/sandbox/webhook';
import { runSync } from '../../src/sync/steps';
import { openWarehouse } from '../../src/warehouse';
import { dropSchemas, openTestPostgres, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';
import { runCli, withDuckDb } from './e2e-support';
import {
  type Companies,
  expectedRecords,
  HOOK_FIELDS,
  type HookPerson,
  initialCompanies,
  initialHookPeople,
  SIGNING_SECRET,
  writeHookTables,
  writeHookWorkspace,
} from './webhook-support';

/**
 * From a DuckDB segment with a relation to the webhook receiver fake, in the three modes, over
 * three runs with churn: the first through `outflow sync run` as a user runs it, the next through
 * runSync with every log event captured. After each run the receiver holds exactly the mapped
 * fields computed from the test's own rows; `upsert` sends changed members only, `add_only` new
 * members only, an unchanged run sends nothing, and nothing personal or secret reaches the output.
 */

const receiver = new WebhookReceiverFake({ signingSecret: SIGNING_SECRET });
const env = { HOOK_SECRET: SIGNING_SECRET };
const MODES = ['mirror', 'upsert', 'add_only'] as const;
let work: { dir: string; config: string };
let dbPath: string;
let people: HookPerson[];
let companies: Companies;
const output: string[] = [];

beforeAll(async () => {
  await receiver.start();
  const base = receiver.settings();
  const settings = (mode: string) => ({ url: base.url, apiBaseUrl: base.apiBaseUrl, mode, fields: HOOK_FIELDS, batchSize: 4 });
  work = writeHookWorkspace(
    MODES.map((mode) => ({ id: audience(mode), settings: settings(mode) })),
    (dir) => `{ type: duckdb, path: ${JSON.stringify((dbPath = path.join(dir, 'warehouse.duckdb')))} }`,
  );
  people = initialHookPeople();
  companies = initialCompanies();
  await withDuckDb(dbPath, (w) => writeHookTables(w, people, companies));
});

afterAll(async () => {
  await receiver.stop();
});

const audience = (mode: (typeof MODES)[number]) => `hook-${mode.replace('_', '-')}`;

/** Ids the receiver got in batches after `from`, by audience and action. */
function sentSince(from: number, mode: (typeof MODES)[number], action: 'upsert' | 'remove'): string[] {
  return receiver.batches
    .slice(from)
    .filter((b) => b.audience === audience(mode) && b.action === action)
    .flatMap((b) => b.records.map((r) => String(r.id)))
    .sort();
}

async function runAll(modes: readonly (typeof MODES)[number][] = MODES) {
  const loaded = loadWorkspace(work.config, { ...process.env, ...env });
  const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
  const log = (event: string, fields?: Record<string, unknown>) => void output.push(JSON.stringify({ event, ...fields }));
  try {
    const deps = { warehouse, workspace: loaded.workspace, destinations: destinationFactory(loaded.workspace, loaded.dir, log), log };
    const results = [];
    for (const mode of modes) {
      const r = await runSync(deps, { syncId: `vips-${audience(mode)}`, asOf: new Date().toISOString() });
      output.push(JSON.stringify(r));
      expect(r.status, r.reason).toBe('synced');
      results.push(r);
    }
    return results;
  } finally {
    await warehouse.close();
  }
}

describe('outflow sync run to a webhook', () => {
  it('run 1: every VIP arrives with exactly its mapped fields, in each mode', async () => {
    // As a user runs it (one CLI process is slow to start: the other modes in this process).
    const r = await runCli(['--config', work.config, 'sync', 'run', `vips-${audience('mirror')}`], env);
    output.push(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('added 27, removed 0');
    for (const other of await runAll(['upsert', 'add_only'])) expect(other.added).toBe(27);
    const expected = expectedRecords(people, companies);
    for (const mode of MODES) expect(receiver.records(audience(mode))).toEqual(expected);
    // Batches of at most 4 records, each signed and delivered once.
    expect(receiver.batches.every((b) => b.records.length <= 4)).toBe(true);
    expect(receiver.badSignatures).toBe(0);
    expect(receiver.replays).toBe(0);
  }, 60_000);

  it('run 2: churn; mirror and upsert send the changed members, add_only the new one', async () => {
    const before = receiver.batches.length;
    people = people.map((p) => {
      if (p.id === 'p001') return { ...p, plan: 'enterprise' };
      if (p.id === 'p002') return { ...p, vip: false };
      // An unmapped column changes: nothing is sent for it.
      if (p.id === 'p003') return { ...p, email: 'changed@example.com' };
      return p;
    });
    people.push({ id: 'p030', email: 'new@example.com', phone: null, plan: 'free', score: 5, companyId: 'c0', vip: true });
    // A relation column changes: every VIP of that company is sent again.
    companies = { ...companies, c3: 'healthcare' };
    await withDuckDb(dbPath, (w) => writeHookTables(w, people, companies));
    const viaCompany = people.filter((p) => p.vip && p.companyId === 'c3').map((p) => p.id);
    expect(viaCompany.length).toBeGreaterThan(3);
    const changed = ['p001', 'p030', ...viaCompany].sort();

    const [mirror, upsert, addOnly] = await runAll();
    const expected = expectedRecords(people, companies);
    expect(receiver.records(audience('mirror'))).toEqual(expected);
    expect(sentSince(before, 'mirror', 'upsert')).toEqual(changed);
    // Only the leaver is removed: a member whose fields changed is sent as an update.
    expect(sentSince(before, 'mirror', 'remove')).toEqual(['p002']);
    expect([mirror!.added, mirror!.removed]).toEqual([changed.length, 1]);

    expect(sentSince(before, 'upsert', 'upsert')).toEqual(changed);
    expect(sentSince(before, 'upsert', 'remove')).toEqual([]);
    expect(upsert!.removed).toBe(0);
    // upsert keeps the leaver, as it was last sent.
    expect(receiver.records(audience('upsert'))).toEqual(new Map([...expected, ['p002', expectedRecords(initialHookPeople(), initialCompanies()).get('p002')!]]));

    expect(sentSince(before, 'add_only', 'upsert')).toEqual(['p030']);
    expect(addOnly!.added).toBe(1);
    expect(receiver.records(audience('add_only')).get('p001')).toEqual(expectedRecords(initialHookPeople(), initialCompanies()).get('p001'));
  }, 60_000);

  it('run 3: nothing changed, nothing is sent', async () => {
    const requests = receiver.requests.length;
    const results = await runAll();
    for (const r of results) expect([r.added, r.removed, r.batches]).toEqual([0, 0, 0]);
    expect(receiver.requests.length).toBe(requests);
  }, 60_000);

  it('no output line or log event holds an email, a phone number or the signing secret; no record carries one', () => {
    const all = output.join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(SIGNING_SECRET);
    for (const p of people) {
      if (p.email) expect(all.toLowerCase()).not.toContain(p.email.trim().toLowerCase());
      if (p.phone) expect(all).not.toContain(p.phone.replace(/\D/g, '').slice(-7));
    }
    expect(all).not.toMatch(/[^\s@"]+@[^\s@]+\.[a-z]{2,}/i);
    // Unmapped personal data never leaves: no received record holds an email or a phone.
    const received = JSON.stringify(receiver.batches);
    expect(received).not.toMatch(/@example\.com/i);
    expect(received).not.toContain('555-');
  });
});

const pgUp = await postgresReachable();

describe.skipIf(!pgUp)('outflow sync run to a webhook, on PostgreSQL', () => {
  const schema = uniqueSchema('hook');
  const pgReceiver = new WebhookReceiverFake({ signingSecret: SIGNING_SECRET });
  let pgWork: { dir: string; config: string };
  let pgPeople = initialHookPeople();
  let pgCompanies = initialCompanies();
  const writeTables = async () => {
    const w = await openTestPostgres();
    try {
      await w.execute(`create schema if not exists ${schema}`);
      await writeHookTables(w, pgPeople, pgCompanies, schema);
    } finally {
      await w.close();
    }
  };
  /** Runs the upsert sync, then the mirror one; returns both results. */
  const syncOnce = async () => {
    const loaded = loadWorkspace(pgWork.config, { ...process.env, ...env });
    const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
    try {
      const deps = { warehouse, workspace: loaded.workspace, destinations: destinationFactory(loaded.workspace, loaded.dir) };
      const results = [];
      for (const syncId of ['vips-hook-pg', 'vips-hook-pg-mirror']) {
        const r = await runSync(deps, { syncId, asOf: new Date().toISOString() });
        expect(r.status, r.reason).toBe('synced');
        results.push(r);
      }
      return results;
    } finally {
      await warehouse.close();
    }
  };
  const sent = (from: number, audienceName: string, action: string) =>
    pgReceiver.batches
      .slice(from)
      .filter((b) => b.audience === audienceName && b.action === action)
      .flatMap((b) => b.records.map((r) => String(r.id)))
      .sort();

  beforeAll(async () => {
    await pgReceiver.start();
    const base = pgReceiver.settings();
    pgWork = writeHookWorkspace(
      (['upsert', 'mirror'] as const).map((mode) => ({
        id: mode === 'upsert' ? 'hook-pg' : 'hook-pg-mirror',
        settings: { url: base.url, apiBaseUrl: base.apiBaseUrl, mode, fields: HOOK_FIELDS, batchSize: 8 },
      })),
      () => `{ type: postgres, connectionString: ${JSON.stringify(PG_URL)} }`,
      schema,
    );
    await writeTables();
  });

  afterAll(async () => {
    await pgReceiver.stop();
    await dropSchemas([schema, `${schema}_state`]);
  });

  it('three runs: exact records, then the changed members only (mirror: and the leaver), then nothing', async () => {
    await syncOnce();
    expect(pgReceiver.records('hook-pg')).toEqual(expectedRecords(pgPeople, pgCompanies));
    expect(pgReceiver.records('hook-pg-mirror')).toEqual(expectedRecords(pgPeople, pgCompanies));

    pgPeople = pgPeople.map((p) =>
      p.id === 'p001' ? { ...p, plan: 'enterprise' } : p.id === 'p002' ? { ...p, vip: false } : p.id === 'p003' ? { ...p, phone: '+1 212 555 9999' } : p,
    );
    pgCompanies = { ...pgCompanies, c3: 'healthcare' };
    await writeTables();
    const before = pgReceiver.batches.length;
    const [upsert, mirror] = await syncOnce();
    const changed = ['p001', ...pgPeople.filter((p) => p.vip && p.companyId === 'c3').map((p) => p.id)].sort();
    expect(sent(before, 'hook-pg', 'upsert')).toEqual(changed);
    expect(sent(before, 'hook-pg', 'remove')).toEqual([]);
    expect(sent(before, 'hook-pg-mirror', 'upsert')).toEqual(changed);
    expect(sent(before, 'hook-pg-mirror', 'remove')).toEqual(['p002']);
    expect([upsert!.added, mirror!.added, mirror!.removed]).toEqual([changed.length, changed.length, 1]);
    expect(pgReceiver.records('hook-pg-mirror')).toEqual(expectedRecords(pgPeople, pgCompanies));

    const requests = pgReceiver.requests.length;
    for (const r of await syncOnce()) expect([r.added, r.removed, r.batches]).toEqual([0, 0, 0]);
    expect(pgReceiver.requests.length).toBe(requests);
  }, 60_000);
});
