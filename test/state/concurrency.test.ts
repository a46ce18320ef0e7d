import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/load';
import type { Workspace } from '../../src/config/schema';
import { refreshSegment } from '../../src/state/membership';
import { ensureStateSchema } from '../../src/state/state-sql';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { availableBackends, type BackendName, openBackend, type TestWarehouse, workspaceFor } from '../sync/support/backends';
import { createPeople, people } from '../sync/support/people';
import { openTestPostgres, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';

const backends = await availableBackends();
const pgUp = await postgresReachable();
const BIN = path.resolve(import.meta.dirname, '../../bin/outflow.js');
const DAY1 = new Date('2026-02-01T00:00:00Z');

/** Rows of the membership tables that break their keys: more than one row, or more than one open stay, per (segment, person). */
async function duplicates(w: WarehouseDriver, state: string): Promise<{ members: number; openStays: number; listed: number }> {
  const n = async (sql: string) => Number((await w.query<{ n: unknown }>(sql))[0]!.n);
  return {
    members: await n(`select count(*) - count(distinct segment_id || '/' || person_id) as n from ${state}.segment_membership`),
    openStays: await n(`select count(*) - count(distinct segment_id || '/' || person_id) as n from ${state}.segment_membership_history where exited_at is null`),
    listed: await n(`select count(*) as n from ${state}.segment_membership_history h where not exists (select 1 from ${state}.segment_membership m where m.segment_id = h.segment_id and m.person_id = h.person_id) and h.exited_at is null`),
  };
}

describe.each(backends)('concurrent refreshes on %s', (name: BackendName) => {
  let b: TestWarehouse;
  let ws: Workspace;
  beforeAll(async () => {
    b = await openBackend(name, 'conc');
    await createPeople(b.warehouse, b.data, people(50));
    ws = workspaceFor(b, `entities: [{id: person, table: ${b.data}.persons, primaryKey: person_id}]
segments: [{id: all, entity: person, name: All, type: everyone}]`);
  });
  afterAll(async () => {
    await b.close();
  });

  it('lets one refresh of a segment run at a time; the other says the segment is being refreshed', async () => {
    const deps = { warehouse: b.warehouse, workspace: ws };
    const outcomes = await Promise.allSettled([refreshSegment(deps, 'all', DAY1), refreshSegment(deps, 'all', DAY1)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected')!;
    expect(String(refused.reason)).toMatch(/segment "all" is already being refreshed: run refresh-[0-9a-f]+, pid \d+ on /);
    expect(await duplicates(b.warehouse, ws.stateSchema)).toEqual({ members: 0, openStays: 0, listed: 0 });
    // The lock is released: the next refresh runs.
    await expect(refreshSegment(deps, 'all', DAY1)).resolves.toMatchObject({ memberCount: 50, added: 0, removed: 0 });
  });
});

describe.each(backends.filter((n) => n === 'duckdb' || n === 'postgres'))('unique keys of the membership tables on %s', (name: BackendName) => {
  let b: TestWarehouse;
  beforeAll(async () => {
    b = await openBackend(name, 'keys');
  });
  afterAll(async () => {
    await b.close();
  });

  it('refuse a second row per (segment, person) and a second open stay; closed stays may repeat', async () => {
    const state = await ensureStateSchema(b.warehouse, b.state);
    const s = state.schema;
    const p = (i: number) => b.warehouse.dialect.placeholder(i);
    const member = () => b.warehouse.execute(`insert into ${s}.segment_membership (segment_id, person_id, entered_at) values ('seg', 'p1', ${p(0)})`, [DAY1]);
    const stay = (exited: Date | null) => b.warehouse.execute(`insert into ${s}.segment_membership_history (segment_id, person_id, entered_at, exited_at) values ('seg', 'p1', ${p(0)}, ${p(1)})`, [DAY1, exited]);
    await member();
    await expect(member()).rejects.toThrow(/duplicate key|unique constraint/i);
    await stay(DAY1);
    await stay(DAY1);
    await stay(null);
    await expect(stay(null)).rejects.toThrow(/duplicate key|unique constraint/i);
    // Closing the open stay and opening a new one, in one transaction, as a refresh does.
    await b.warehouse.transaction(async (tx) => {
      await tx.execute(`update ${s}.segment_membership_history set exited_at = ${p(0)} where exited_at is null`, [new Date('2026-02-02T00:00:00Z')]);
      await tx.execute(`insert into ${s}.segment_membership_history (segment_id, person_id, entered_at, exited_at) values ('seg', 'p1', ${p(0)}, null)`, [new Date('2026-02-03T00:00:00Z')]);
    });
    const open = await b.warehouse.query<{ n: unknown }>(`select count(*) as n from ${s}.segment_membership_history where exited_at is null`);
    expect(Number(open[0]!.n)).toBe(1);
  });
});

/** A state schema as an earlier version left it: no unique keys (PostgreSQL: a plain index), and the duplicates concurrent refreshes wrote. */
const UPGRADES: { name: 'duckdb' | 'postgres'; open(): Promise<{ w: WarehouseDriver; reopen(): Promise<WarehouseDriver>; close(): Promise<void> }> }[] = [
  {
    name: 'duckdb',
    async open() {
      const dir = mkdtempSync(path.join(tmpdir(), 'outflow-upgrade-'));
      const file = path.join(dir, 'wh.duckdb');
      let w: WarehouseDriver = await DuckDbDriver.open({ path: file });
      return {
        w,
        reopen: async () => {
          await w.close();
          return (w = await DuckDbDriver.open({ path: file }));
        },
        close: async () => {
          await w.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const w = await openTestPostgres();
      const others: WarehouseDriver[] = [];
      return {
        w,
        reopen: async () => {
          const next = await openTestPostgres();
          others.push(next);
          return next;
        },
        close: async () => {
          for (const o of others) await o.close();
          await w.close();
        },
      };
    },
  },
];

describe.each(UPGRADES.filter((u) => u.name === 'duckdb' || pgUp))('a state schema from an earlier version on $name', ({ name, open }) => {
  it('is repaired and given its unique keys; refreshes then keep it right', async () => {
    const db = await open();
    const schema = uniqueSchema('upgrade');
    try {
      await createPeople(db.w, await dataSchema(db.w, schema), people(4));
      const s = (await ensureStateSchema(db.w, schema)).schema;
      await db.w.execute(`drop index ${s}.segment_membership_unique`);
      await db.w.execute(`drop index ${s}.segment_membership_history_open`);
      // Before splits, the membership tables had no split_group column.
      for (const table of ['segment_membership', 'segment_membership_history']) await db.w.execute(`alter table ${s}.${table} drop column split_group`);
      if (name === 'postgres') await db.w.execute(`create index segment_membership_key on ${s}.segment_membership (segment_id, person_id)`);
      const p = (i: number) => db.w.dialect.placeholder(i);
      const day = (d: number) => new Date(Date.UTC(2026, 1, d));
      // p0000..p0002 twice, as two concurrent refreshes at DAY1 wrote them; p0003 entered on day 1 and again on day 2.
      for (const person of ['p0000', 'p0001', 'p0002', 'p0000', 'p0001', 'p0002', 'p0003', 'p0003']) {
        const entered = person === 'p0003' && (await db.w.query(`select 1 from ${s}.segment_membership where person_id = 'p0003'`)).length > 0 ? day(2) : day(1);
        await db.w.execute(`insert into ${s}.segment_membership (segment_id, person_id, entered_at) values ('all', ${p(0)}, ${p(1)})`, [person, entered]);
        await db.w.execute(`insert into ${s}.segment_membership_history (segment_id, person_id, entered_at, exited_at) values ('all', ${p(0)}, ${p(1)}, null)`, [person, entered]);
      }
      // A closed stay, twice: left alone.
      for (let i = 0; i < 2; i++) await db.w.execute(`insert into ${s}.segment_membership_history (segment_id, person_id, entered_at, exited_at) values ('all', 'p0009', ${p(0)}, ${p(1)})`, [day(1), day(2)]);

      const w = await db.reopen();
      await ensureStateSchema(w, schema);
      expect(await duplicates(w, s)).toEqual({ members: 0, openStays: 0, listed: 0 });
      const rows = await w.query<{ person_id: string; entered_at: Date }>(`select person_id, entered_at from ${s}.segment_membership order by person_id`);
      expect(rows.map((r) => [r.person_id, r.entered_at.toISOString()])).toEqual(['p0000', 'p0001', 'p0002', 'p0003'].map((id) => [id, day(1).toISOString()]));
      const closed = await w.query<{ n: unknown }>(`select count(*) as n from ${s}.segment_membership_history where person_id = 'p0009'`);
      expect(Number(closed[0]!.n)).toBe(2);
      if (name === 'postgres') {
        const indexes = await w.query<{ indexname: string }>(`select indexname from pg_indexes where schemaname = '${s}' and tablename like 'segment_membership%' order by 1`);
        expect(indexes.map((i) => i.indexname)).toEqual(['segment_membership_history_open', 'segment_membership_unique']);
      }
      // The keys hold from now on, and a refresh works on the repaired rows.
      await expect(w.execute(`insert into ${s}.segment_membership (segment_id, person_id, entered_at) values ('all', 'p0000', ${p(0)})`, [day(3)])).rejects.toThrow(/duplicate key|unique constraint/i);
      const ws = parseWorkspace(`version: 1
warehouse: {type: duckdb}
stateSchema: ${schema}
entities: [{id: person, table: ${schema}_data.persons, primaryKey: person_id}]
segments: [{id: all, entity: person, name: All, type: everyone}]`).workspace;
      await w.execute(`delete from ${schema}_data.persons where person_id = 'p0001'`);
      expect(await refreshSegment({ warehouse: w, workspace: ws }, 'all', day(3))).toMatchObject({ memberCount: 3, added: 0, removed: 1 });
      expect(await duplicates(w, s)).toEqual({ members: 0, openStays: 0, listed: 0 });
    } finally {
      const w = await db.reopen();
      await w.execute(`drop schema if exists ${schema} cascade`);
      await w.execute(`drop schema if exists ${schema}_data cascade`);
      await db.close();
    }
  });
});

async function dataSchema(w: WarehouseDriver, schema: string): Promise<string> {
  await w.execute(`create schema ${schema}_data`);
  return `${schema}_data`;
}

describe.skipIf(!pgUp)('first runs on a fresh PostgreSQL state schema', () => {
  it('create the state schema from several connections at once without failing', async () => {
    const schema = uniqueSchema('fresh');
    const drivers = await Promise.all(Array.from({ length: 4 }, () => openTestPostgres()));
    try {
      const outcomes = await Promise.allSettled(drivers.map((w) => ensureStateSchema(w, schema)));
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    } finally {
      await drivers[0]!.execute(`drop schema if exists ${schema} cascade`);
      await Promise.all(drivers.map((w) => w.close()));
    }
  });
});

describe.skipIf(!pgUp)('two outflow segments refresh processes at once on PostgreSQL', () => {
  let dir: string;
  const data = uniqueSchema('procs');
  const state = `${data}_state`;
  let w: WarehouseDriver;
  beforeAll(async () => {
    w = await openTestPostgres();
    await w.execute(`create schema ${data}`);
    await w.execute(`create table ${data}.persons as select 'p' || i as person_id from generate_series(1, 2000) i`);
    dir = mkdtempSync(path.join(tmpdir(), 'outflow-conc-'));
    // The entity's query sleeps, so both processes evaluate at the same time and commit close together.
    writeFileSync(
      path.join(dir, 'outflow.yaml'),
      `version: 1
warehouse: {type: postgres, connectionString: "${PG_URL}"}
stateSchema: ${state}
entities: [{id: person, sql: "select p.person_id from ${data}.persons p cross join (select pg_sleep(1)) s", primaryKey: person_id}]
segments: [{id: cheap, entity: person, name: Cheap, type: everyone}]
`,
    );
    expect((await outflow(dir, ['apply'])).code).toBe(0);
  });
  afterAll(async () => {
    await w.execute(`drop schema if exists ${data} cascade`);
    await w.execute(`drop schema if exists ${state} cascade`);
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never duplicate members or stays; a process that finds the segment being refreshed says so and exits 1', async () => {
    for (const asOf of ['2026-02-01', '2026-02-02']) {
      const runs = await Promise.all([outflow(dir, ['segments', 'refresh', 'cheap', '--as-of', asOf]), outflow(dir, ['segments', 'refresh', 'cheap', '--as-of', asOf])]);
      for (const r of runs) {
        if (r.code === 0) expect(r.stdout).toMatch(/^cheap: 2000 members/);
        else expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: segment "cheap" is already being refreshed: run refresh-[0-9a-f]+, pid \d+ on /) });
      }
      expect(runs.some((r) => r.code === 0)).toBe(true);
      expect(await duplicates(w, state)).toEqual({ members: 0, openStays: 0, listed: 0 });
      const listed = await w.query<{ segment_ids: string[] }>(`select segment_ids from ${state}.person_segments where person_id = 'p1'`);
      expect(listed.map((r) => r.segment_ids)).toEqual([['cheap']]);
    }
  });
});

function outflow(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  delete env.OUTFLOW_CONFIG;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
