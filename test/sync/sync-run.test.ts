import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/config/schema';
import { acknowledgedBatches } from '../../src/state/run-tables';
import { acquireSyncLock, readLock, SyncLockedError, updateRun } from '../../src/state/runs';
import { getRun, listRuns } from '../../src/state/runs';
import { ensureStateSchema } from '../../src/state/state-sql';
import { DestinationError } from '../../src/destinations/contract';
import { orchestrateSyncRun } from '../../src/sync/orchestrate';
import { createSyncSteps, runSync, type SyncDeps } from '../../src/sync/steps';
import { type SqlValue, type WarehouseDriver, WarehouseError } from '../../src/warehouse/driver';
import { availableBackends, type BackendName, openBackend, type TestWarehouse, workspaceFor } from './support/backends';
import { MemoryDestination } from './support/memory-destination';
import { createPeople, people, vipWorkspace } from './support/people';

const backends = await availableBackends();
const AS_OF = '2026-03-01T00:00:00.000Z';
/** A pid no process has (above Linux's pid_max), for a crashed lock holder on this host. */
const DEAD_PID = 99_999_999;

/** The same connection as another driver object: the state schema is checked again, as in a new process. */
function sameWarehouse(w: WarehouseDriver): WarehouseDriver {
  return {
    dialect: w.dialect,
    query: (sql, params) => w.query(sql, params),
    stream: (sql, params, options) => w.stream(sql, params, options),
    execute: (sql, params) => w.execute(sql, params),
    transaction: (fn) => w.transaction(fn),
    columns: (table) => w.columns(table),
    queryColumns: (sql, params) => w.queryColumns(sql, params),
    checkSelect: (sql) => w.checkSelect(sql),
    close: async () => undefined,
  };
}

describe.each(backends)('sync runs on %s', (name: BackendName) => {
  let b: TestWarehouse;
  let n = 0;

  beforeAll(async () => {
    b = await openBackend(name, 'sync');
  });
  afterAll(async () => {
    await b.close();
  });

  /** A fresh persons table and state schema per test, and deps over a memory destination. */
  async function setup(o: { count?: number; mode?: 'mirror' | 'add_only'; extraSync?: string; batchLimit?: number } = {}) {
    const schema = `${b.data}_${++n}`;
    await b.warehouse.execute(`create schema ${schema}`);
    await createPeople(b.warehouse, schema, people(o.count ?? 10));
    const ws: Workspace = workspaceFor(
      { ...b, state: `${b.state}_${n}` },
      vipWorkspace(schema, { ...(o.mode ? { mode: o.mode } : {}), ...(o.extraSync ? { extraSync: o.extraSync } : {}) }),
    );
    const dest = new MemoryDestination({ batchLimit: o.batchLimit ?? 3 });
    const sleeps: number[] = [];
    const events: { event: string; fields?: Record<string, unknown> }[] = [];
    const deps: SyncDeps = {
      warehouse: b.warehouse,
      workspace: ws,
      destinations: async () => dest,
      sleep: async (ms) => void sleeps.push(ms),
      log: (event, fields) => events.push({ event, ...(fields ? { fields } : {}) }),
    };
    const sql = (s: string) => s.replaceAll('{d}', schema).replaceAll('{s}', ws.stateSchema);
    const exec = (s: string) => b.warehouse.execute(sql(s));
    const snapshot = async () =>
      (await b.warehouse.query<{ person_id: string; email: string | null }>(sql(`select person_id, email from {s}.sync_snapshot_keys order by person_id`))).map(
        (r) => `${r.person_id}:${r.email}`,
      );
    const run = (extra: { dryRun?: boolean; confirmRemovals?: boolean; asOf?: string } = {}) =>
      runSync(deps, { syncId: 'vip-sync', asOf: extra.asOf ?? AS_OF, ...extra });
    const audience = () => [...dest.members.entries()].map(([id, ids]) => `${id}:${ids.email}`).sort();
    return { ws, dest, deps, exec, snapshot, run, audience, sleeps, events, schema };
  }

  it('first run adds every member; a later run sends only the churn, changed identifiers as remove-old + add-new', async () => {
    const t = await setup({ count: 10 });
    const first = await t.run();
    expect(first).toMatchObject({ status: 'synced', added: 10, removed: 0, memberCount: 10, batches: 4 });
    expect(t.audience()).toEqual(await t.snapshot());
    expect(t.dest.audiences).toEqual(['vip-people']);

    await t.exec(`update {d}.persons set vip = false where person_id in ('p0001', 'p0002')`);
    await t.exec(`update {d}.persons set email = 'changed@example.com' where person_id = 'p0003'`);
    await t.exec(`insert into {d}.persons values ('p0100', 'new@example.com', null, true)`);
    t.dest.calls.length = 0;
    const second = await t.run();
    expect(second).toMatchObject({ status: 'synced', added: 2, removed: 3, memberCount: 9 });
    const removes = t.dest.calls.filter((c) => c.op === 'remove');
    const adds = t.dest.calls.filter((c) => c.op === 'add');
    // Removes carry the identifiers the audience holds; adds the new ones; removes go first.
    expect(removes.flatMap((c) => c.rows.map((r) => `${r.personId}:${r.identifiers.email}`)).sort()).toEqual([
      'p0001:user1@example.com',
      'p0002:user2@example.com',
      'p0003:user3@example.com',
    ]);
    expect(adds.flatMap((c) => c.rows.map((r) => `${r.personId}:${r.identifiers.email}`)).sort()).toEqual([
      'p0003:changed@example.com',
      'p0100:new@example.com',
    ]);
    expect(t.dest.calls.findIndex((c) => c.op === 'add')).toBeGreaterThan(t.dest.calls.findLastIndex((c) => c.op === 'remove'));
    // Only the diff left the warehouse.
    const sent = t.events.filter((e) => e.event === 'upload_done').slice(-2).reduce((s, e) => s + Number(e.fields?.sent), 0);
    expect(sent).toBe(5);
    expect(t.audience()).toEqual(await t.snapshot());

    const state = await ensureStateSchema(b.warehouse, t.ws.stateSchema);
    const runs = await listRuns(state, 'vip-sync');
    expect(runs.map((r) => [r.status, r.added, r.removed, r.changed])).toEqual([
      ['synced', 2, 3, 1],
      ['synced', 10, 0, 0],
    ]);
    expect(runs[0]!.finishedAt).toBeInstanceOf(Date);
    // Run tables are gone once a run finishes.
    const leftovers = await b.warehouse.query(
      `select table_name from information_schema.tables where table_schema = '${t.ws.stateSchema}' and table_name like 'run_%'`,
    );
    expect(leftovers).toEqual([]);

    t.dest.calls.length = 0;
    expect(await t.run()).toMatchObject({ status: 'synced', added: 0, removed: 0, batches: 0 });
    expect(t.dest.calls).toEqual([]);
  });

  it('builds the destination once per run, not once per step', async () => {
    const t = await setup({ count: 4 });
    let built = 0;
    const steps = createSyncSteps({ ...t.deps, destinations: async () => (built++, t.dest) });
    await orchestrateSyncRun(steps, { syncId: 'vip-sync', asOf: AS_OF });
    await t.exec(`update {d}.persons set vip = false where person_id = 'p0001'`);
    const second = await orchestrateSyncRun(steps, { syncId: 'vip-sync', asOf: AS_OF });
    expect(second).toMatchObject({ status: 'synced', added: 0, removed: 1 });
    expect(built).toBe(2);
  });

  it('add_only never removes, and sends changed identifiers as adds', async () => {
    const t = await setup({ count: 6, mode: 'add_only' });
    await t.run();
    await t.exec(`update {d}.persons set vip = false where person_id = 'p0001'`);
    await t.exec(`update {d}.persons set email = 'other@example.com' where person_id = 'p0002'`);
    t.dest.calls.length = 0;
    const r = await t.run();
    expect(r).toMatchObject({ status: 'synced', added: 1, removed: 0 });
    expect(t.dest.calls.map((c) => [c.op, c.personIds])).toEqual([['add', ['p0002']]]);
    expect(t.audience()).toContain('p0001:user1@example.com');
    expect(await t.snapshot()).toEqual(t.audience());
  });

  it('stops for confirmation instead of removing more than maxRemovalShare, and never empties an audience silently', async () => {
    const t = await setup({ count: 10 });
    await t.run();
    await t.exec(`update {d}.persons set vip = false where person_id < 'p0006'`);
    const before = await t.snapshot();
    t.dest.calls.length = 0;
    const stopped = await t.run();
    expect(stopped.status).toBe('needs_confirmation');
    expect(stopped.reason).toMatch(/remove 6 of 10 members \(60%\), more than maxRemovalShare 0.5/);
    // Nothing was sent: the run says so instead of "removed 6".
    expect(stopped).toMatchObject({ plannedRemoved: 6, planned: 6, sent: 0, accepted: 0, rejected: 0, deferred: 6, added: 0, removed: 0 });
    const state = await ensureStateSchema(b.warehouse, t.ws.stateSchema);
    expect(await getRun(state, stopped.runId)).toMatchObject({ plannedRemoved: 6, planned: 6, sent: 0, accepted: 0, deferred: 6, added: 0, removed: 0 });
    expect(t.dest.calls).toEqual([]);
    expect(await t.snapshot()).toEqual(before);
    expect(await t.run({ confirmRemovals: true })).toMatchObject({ status: 'synced', removed: 6, added: 0 });
    expect(t.dest.members.size).toBe(4);

    await t.exec(`update {d}.persons set vip = false`);
    const empty = await t.run();
    expect(empty.status).toBe('needs_confirmation');
    expect(empty.reason).toMatch(/segment is empty/);
    expect(t.dest.members.size).toBe(4);
  });

  it.each([
    { days: 7, stops: true },
    { days: 0, stops: false },
  ])('removals over several runs count together within removalWindowDays ($days): 42%, then 47% stops on the second', async ({ days, stops }) => {
    const t = await setup({ count: 100, batchLimit: 100, extraSync: days === 7 ? '' : `, removalWindowDays: ${days}` });
    let now = new Date('2026-03-01T06:00:00Z');
    t.deps.clock = () => now;
    const later = (hours: number) => (now = new Date(now.getTime() + hours * 3_600_000));
    expect(await t.run()).toMatchObject({ status: 'synced', added: 100 });
    later(24);
    await t.exec(`update {d}.persons set vip = false where person_id < 'p0042'`);
    // 42 of 100: under maxRemovalShare 0.5 on its own.
    expect(await t.run()).toMatchObject({ status: 'synced', removed: 42 });
    later(24);
    await t.exec(`update {d}.persons set vip = false where person_id < 'p0069'`);
    // 27 of 58 (47%) alone; with the window, 69 of the 100 the audience had: stop.
    const second = await t.run();
    if (!stops) {
      expect(second).toMatchObject({ status: 'synced', removed: 27 });
      return;
    }
    expect(second).toMatchObject({ status: 'needs_confirmation', planned: 27, sent: 0, removed: 0 });
    expect(second.reason).toMatch(/the audience had 100 members over the last 7 days and this run would leave 31 \(69% fewer\), more than maxRemovalShare 0.5/);
    expect(t.dest.members.size).toBe(58);
    // Once the runs that saw 100 members are older than the window, the run goes on.
    later(24 * 6);
    expect((await t.run()).status).toBe('needs_confirmation');
    later(1);
    expect(await t.run()).toMatchObject({ status: 'synced', removed: 27 });
    expect(t.dest.members.size).toBe(31);
  });

  it('an audience that churns at a steady size never trips the removal window', async () => {
    const t = await setup({ count: 30, batchLimit: 100 });
    await t.exec(`update {d}.persons set vip = person_id < 'p0010'`);
    expect(await t.run()).toMatchObject({ status: 'synced', added: 10 });
    // Three runs each replace 4 of the 10 members: 12 removals in the window, the audience stays at 10.
    const id = (n: number) => `p${String(n).padStart(4, '0')}`;
    for (const [out, into] of [
      [0, 10],
      [4, 14],
      [8, 18],
    ] as const) {
      await t.exec(`update {d}.persons set vip = (person_id >= '${id(into)}' and person_id < '${id(into + 4)}') or (vip and not (person_id >= '${id(out)}' and person_id < '${id(out + 4)}'))`);
      expect(await t.run()).toMatchObject({ status: 'synced', removed: 4, added: 4 });
    }
    expect(t.dest.members.size).toBe(10);
  });

  it('lets allowEmpty empty the audience without confirmation', async () => {
    const t = await setup({ count: 4, extraSync: ', allowEmpty: true, maxRemovalShare: 1' });
    await t.run();
    await t.exec(`update {d}.persons set vip = false`);
    expect(await t.run()).toMatchObject({ status: 'synced', removed: 4 });
    expect(t.dest.members.size).toBe(0);
  });

  it('a dry run reports the diff, sends nothing and leaves the snapshot and an unfinished run alone', async () => {
    const t = await setup({ count: 5 });
    const samples: { added: string[]; removed: string[] }[] = [];
    t.deps.onDiffSample = (s) => samples.push(s);
    const r = await t.run({ dryRun: true });
    expect(r).toMatchObject({ status: 'dry_run', plannedAdded: 5, plannedRemoved: 0, planned: 5, sent: 0, deferred: 5, added: 0, removed: 0 });
    expect(samples[0]!.added).toEqual(['p0000', 'p0001', 'p0002', 'p0003', 'p0004']);
    expect(t.dest.calls).toEqual([]);
    expect(t.dest.audiences).toEqual([]);
    expect(await t.snapshot()).toEqual([]);
    expect(await t.run()).toMatchObject({ status: 'synced', added: 5 });
  });

  it('a permanently failing destination fails the run with its reason, keeps the snapshot, and the next run re-derives the same diff', async () => {
    const t = await setup({ count: 8 });
    await t.run();
    await t.exec(`update {d}.persons set vip = false where person_id in ('p0001', 'p0007')`);
    await t.exec(`insert into {d}.persons values ('p0200', 'x@example.com', null, true)`);
    const before = await t.snapshot();
    t.dest.failWith = (_n, op) => (op === 'add' ? new DestinationError('invalid_auth', 'token expired', { code: 401 }) : undefined);
    const failed = await t.run();
    // The removes went through before the adds failed: the counts say what reached the audience.
    expect(failed).toMatchObject({ status: 'failed', reason: 'token expired', planned: 3, sent: 2, accepted: 2, deferred: 1, added: 0, removed: 2 });
    expect(t.sleeps).toEqual([]); // auth errors are not retried
    expect(await t.snapshot()).toEqual(before);
    const state = await ensureStateSchema(b.warehouse, t.ws.stateSchema);
    const row = await getRun(state, failed.runId);
    expect(row).toMatchObject({ status: 'failed', error: 'token expired', planned: 3, sent: 2, accepted: 2, rejected: 0, deferred: 1, removed: 2, added: 0 });
    expect(await readLock(state, 'vip-sync')).toBeUndefined();

    t.dest.failWith = undefined;
    t.dest.calls.length = 0;
    const next = await t.run();
    expect(next).toMatchObject({ status: 'synced', added: 1, removed: 2 });
    expect(next.runId).not.toBe(failed.runId);
    expect(t.dest.calls.flatMap((c) => c.personIds.map((p) => `${c.op}:${p}`)).sort()).toEqual(['add:p0200', 'remove:p0001', 'remove:p0007']);
    expect(t.audience()).toEqual(await t.snapshot());
  });

  it('retries retryable errors with backoff, waits what rate limits ask, and stores rejected rows with reasons', async () => {
    const t = await setup({ count: 7 });
    t.dest.failWith = (attempt) =>
      attempt === 1
        ? new DestinationError('rate_limited', 'slow down', { retryAfterMs: 1234, code: 429 })
        : attempt === 2
          ? new DestinationError('retryable', 'bad gateway', { code: 502 })
          : undefined;
    t.dest.reject = (row) => (row.personId === 'p0004' ? 'invalid email' : undefined);
    const r = await t.run();
    expect(r).toMatchObject({ status: 'synced', planned: 7, sent: 7, accepted: 6, added: 7, rejected: 1, deferred: 0, batches: 3 });
    expect(t.sleeps.some((ms) => ms > 1200 && ms <= 1234)).toBe(true);
    expect(t.sleeps.length).toBeGreaterThanOrEqual(2);
    expect(t.events.filter((e) => e.event === 'batch_retry').map((e) => e.fields?.kind)).toEqual(['rate_limited', 'retryable']);
    const rejected = await b.warehouse.query(`select person_id, reason, kind from ${t.ws.stateSchema}.sync_rejections`);
    expect(rejected).toEqual([{ person_id: 'p0004', reason: 'invalid email', kind: 'add' }]);
    const runRow = (await listRuns(await ensureStateSchema(b.warehouse, t.ws.stateSchema), 'vip-sync'))[0]!;
    expect(runRow).toMatchObject({ planned: 7, sent: 7, accepted: 6, rejected: 1, deferred: 0 });
  });

  it('gives up on a retryable error after the configured attempts and fails the run', async () => {
    const t = await setup({ count: 2 });
    t.deps.retry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 };
    t.dest.failWith = () => new DestinationError('retryable', 'unavailable', { code: 503 });
    const r = await t.run();
    expect(r).toMatchObject({ status: 'failed', reason: 'unavailable', planned: 2, sent: 0, deferred: 2, added: 0 });
    expect(t.dest.attempts).toBe(3);
    expect(await t.snapshot()).toEqual([]);
  });

  it('refuses a second concurrent run of the same sync, naming the holder', async () => {
    const t = await setup({ count: 3 });
    const state = await ensureStateSchema(b.warehouse, t.ws.stateSchema);
    await acquireSyncLock(state, { syncId: 'vip-sync', runId: 'other-run', host: 'this-host', pid: process.pid, now: new Date(), leaseMs: 60_000 });
    const err = await t.run({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncLockedError);
    expect((err as Error).message).toMatch(new RegExp(`sync "vip-sync" is already running: run other-run, pid ${process.pid} on this-host`));
    expect(t.dest.calls).toEqual([]);
    // A holder on another host is trusted until its lease expires.
    await b.warehouse.execute(`update ${t.ws.stateSchema}.sync_locks set host = 'elsewhere', lease_until = now() - interval '1 minute'`);
    expect(await t.run()).toMatchObject({ status: 'synced', added: 3 });
  });

  it('a lock insert that fails for another reason than a held lock surfaces with its cause', async () => {
    const t = await setup({ count: 2 });
    await ensureStateSchema(b.warehouse, t.ws.stateSchema);
    const refused = new WarehouseError('permission denied for table sync_locks');
    const w = b.warehouse;
    // The warehouse refuses the lock's insert for a reason of its own (no key conflict).
    const warehouse: WarehouseDriver = {
      dialect: w.dialect,
      query: (sql, params) => w.query(sql, params),
      stream: (sql, params, options) => w.stream(sql, params, options),
      execute: (sql: string, params?: readonly SqlValue[]) => (/^insert into \S*sync_locks/i.test(sql) ? Promise.reject(refused) : w.execute(sql, params)),
      transaction: (fn) => w.transaction(fn),
      columns: (table) => w.columns(table),
      queryColumns: (sql, params) => w.queryColumns(sql, params),
      checkSelect: (sql) => w.checkSelect(sql),
      close: async () => undefined,
    };
    const err: unknown = await runSync({ ...t.deps, warehouse }, { syncId: 'vip-sync', asOf: AS_OF }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarehouseError);
    expect((err as Error).message).toBe('could not take the lock of sync "vip-sync": permission denied for table sync_locks');
    expect((err as Error).cause).toBe(refused);
    expect(t.dest.calls).toEqual([]);
  });

  it('resumes a crashed run: same run id and diff, acknowledged batches never re-sent, then commits', async () => {
    const t = await setup({ count: 10 });
    const crashed = createSyncSteps({ ...t.deps, pid: DEAD_PID });
    const run = await crashed.startRun({ syncId: 'vip-sync', asOf: AS_OF });
    await crashed.evaluateAndDiff(run);
    await crashed.ensureAudience(run);
    // The process dies after two acknowledged batches: the third call never returns.
    t.dest.failWith = (attempt) => (attempt === 3 ? new DestinationError('invalid_payload', 'simulated crash') : undefined);
    await expect(crashed.uploadChanges({ ...run, kind: 'add' })).rejects.toThrow('simulated crash');
    const state = await ensureStateSchema(b.warehouse, t.ws.stateSchema);
    // The batch in flight beside the failing one still finishes and is recorded.
    const acked = await acknowledgedBatches(state, run.runId);
    expect(acked.length).toBeGreaterThanOrEqual(2);
    expect(acked.length).toBeLessThan(4);
    expect(await t.snapshot()).toEqual([]);

    // Meanwhile the data changed; the resumed run still sends the diff it computed.
    await t.exec(`update {d}.persons set vip = false where person_id = 'p0009'`);
    t.dest.failWith = undefined;
    const sentBefore = t.dest.calls.map((c) => c.batchId);
    const resumed = await t.run({ asOf: '2026-04-01T00:00:00Z' });
    // Batches acknowledged before the crash count as sent: the resumed run deferred nothing.
    expect(resumed).toMatchObject({ runId: run.runId, status: 'synced', planned: 10, sent: 10, added: 10, deferred: 0, asOf: AS_OF, batches: 4 });
    const sentAfter = t.dest.calls.map((c) => c.batchId).slice(sentBefore.length);
    expect(sentAfter.filter((id) => sentBefore.includes(id))).toEqual([]);
    expect(new Set(t.dest.calls.map((c) => c.batchId)).size).toBe(4);
    expect(t.events.some((e) => e.event === 'lock_taken_over')).toBe(true);
    expect(t.audience()).toEqual(await t.snapshot());
    // The next run picks up the change made during the crash.
    expect(await t.run()).toMatchObject({ status: 'synced', removed: 1, added: 0 });
  });

  it('upgrades a sync_runs table made before the count columns, keeping its runs', async () => {
    const t = await setup({ count: 3 });
    const state = await ensureStateSchema(b.warehouse, t.ws.stateSchema);
    await t.run();
    // The table as an earlier version made it: no planned / sent / accepted / deferred columns.
    for (const column of ['planned_added', 'planned_removed', 'planned', 'sent', 'accepted', 'deferred'])
      await t.exec(`alter table {s}.sync_runs drop column ${column}`);
    // Another connection (a new process) finds the columns missing and adds them.
    await ensureStateSchema(sameWarehouse(b.warehouse), t.ws.stateSchema);
    const old = (await listRuns(state, 'vip-sync'))[0]!;
    expect(old).toMatchObject({ status: 'synced', added: 3, planned: null, deferred: null });
    await t.exec(`update {d}.persons set vip = false where person_id = 'p0001'`);
    expect(await runSync({ ...t.deps }, { syncId: 'vip-sync', asOf: AS_OF })).toMatchObject({ status: 'synced', planned: 1, removed: 1 });
  });

  it('drops the run table a run killed in its finish step left behind a finished run', async () => {
    const t = await setup({ count: 4 });
    const killed = createSyncSteps({ ...t.deps, pid: DEAD_PID });
    const run = await killed.startRun({ syncId: 'vip-sync', asOf: AS_OF });
    await killed.evaluateAndDiff(run);
    const state = await ensureStateSchema(b.warehouse, t.ws.stateSchema);
    // SIGKILL after the outcome was recorded, before the run's tables were dropped and its lock released.
    await updateRun(state, run.runId, { status: 'synced', finishedAt: new Date(), updatedAt: new Date() });
    const runTables = async () =>
      (await b.warehouse.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = '${t.ws.stateSchema}'`))
        .map((r) => r.table_name.toLowerCase())
        .filter((n) => n.startsWith('run_'));
    // The run's diff, the keys of its added persons, and the keys it sends.
    expect(await runTables()).toHaveLength(3);
    expect(await t.run()).toMatchObject({ status: 'synced', added: 4 });
    expect(await runTables()).toEqual([]);
    expect(t.events.find((e) => e.event === 'leftover_run_tables_dropped')?.fields).toEqual({ syncId: 'vip-sync', runIds: [run.runId] });
  });

  it('a run interrupted before its diff was complete is superseded, not resumed', async () => {
    const t = await setup({ count: 4 });
    const crashed = createSyncSteps({ ...t.deps, pid: DEAD_PID });
    // Crashed after start, before its evaluation + diff statement committed.
    const run = await crashed.startRun({ syncId: 'vip-sync', asOf: AS_OF });
    const next = await t.run();
    expect(next).toMatchObject({ status: 'synced', added: 4 });
    expect(next.runId).not.toBe(run.runId);
    const old = await getRun(await ensureStateSchema(b.warehouse, t.ws.stateSchema), run.runId);
    expect(old).toMatchObject({ status: 'failed' });
    expect(old?.error).toMatch(/interrupted before its diff was complete/);
  });
});
