/**
 * Peak memory of a first sync run (every member sent) on DuckDB, each in its own process, with
 * Outflow's default memory_limit against DuckDB's own default (80% of the machine's memory): the
 * same run, the same data, measured in the same bench run.
 *   npx tsx bench/memory.ts [persons]        (default 9,900,000; the segment is everyone)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSync } from '../src/sync/steps';
import { openWarehouse } from '../src/warehouse';
import { DEFAULT_DUCKDB_MEMORY_LIMIT } from '../src/warehouse/duckdb/driver';
import { baseWorkspace } from '../test/support/workspace';
import { CountingDestination } from './counting-destination';

const PERSONS = Number(process.argv[2] ?? 9_900_000);
const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '.data', `memory-${PERSONS}.duckdb`);

interface Measured {
  memoryLimit: string;
  status: string;
  sent: number;
  seconds: number;
  maxRssMB: number;
}

/** One first run in this process, with `memoryLimit` (undefined: Outflow's default). */
async function child(memoryLimit: string | undefined): Promise<Measured> {
  const warehouse = await openWarehouse({ type: 'duckdb', path: FILE, ...(memoryLimit ? { memoryLimit } : {}) });
  const [limit] = await warehouse.query<{ m: string }>(`select current_setting('memory_limit') as m`);
  await warehouse.execute('drop schema if exists bench_memory cascade');
  const workspace = baseWorkspace({
    schema: 'b',
    events: { sessionKey: undefined },
    company: false,
    segments: [{ id: 'all', entity: 'person', name: 'Everyone', alias: 'bench-everyone', type: 'everyone' }],
    rest: { warehouse: { type: 'duckdb', path: FILE }, stateSchema: 'bench_memory', syncs: [{ id: 'first', segment: 'all', destination: 'null', maxRemovalShare: 1 }], destinations: [{ id: 'null', type: 'file', settings: { path: '/dev/null' } }] },
  });
  const dest = new CountingDestination();
  const t0 = performance.now();
  const r = await runSync({ warehouse, workspace, destinations: async () => dest }, { syncId: 'first', asOf: new Date().toISOString() });
  const seconds = (performance.now() - t0) / 1000;
  await warehouse.execute('drop schema bench_memory cascade');
  await warehouse.close();
  return { memoryLimit: limit!.m, status: r.status, sent: dest.rows, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 };
}

async function main() {
  mkdirSync(path.dirname(FILE), { recursive: true });
  const db = await openWarehouse({ type: 'duckdb', path: FILE });
  const [have] = await db.query<{ n: unknown }>(`select count(*) as n from information_schema.tables where table_schema = 'b' and table_name = 'persons'`);
  if (Number(have?.n) === 0) {
    process.stderr.write(`generating ${PERSONS} persons in ${FILE} ...\n`);
    await db.execute('create schema if not exists b');
    await db.execute(`create table b.persons as
      select 'p' || i as person_id, 'user' || i || '@example.com' as email,
        case when i % 3 = 0 then null else '+1555' || lpad(cast(i as varchar), 7, '0') end as phone, 0 as score
      from range(${PERSONS}) t(i)`);
  }
  await db.close();
  const self = fileURLToPath(import.meta.url);
  const duckdbOwn = `${Math.floor((totalmem() * 0.8) / 2 ** 30)}GB`;
  const run = (limit?: string) =>
    JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, String(PERSONS), '--child', limit ?? ''], { encoding: 'utf8', maxBuffer: 1 << 20 })) as Measured;
  // DuckDB's own default first, then Outflow's, then a larger budget: the baseline and two budgets in one run.
  const variants = [
    { label: `DuckDB's own default (80% of ${(totalmem() / 2 ** 30).toFixed(0)} GB)`, limit: duckdbOwn },
    { label: `Outflow's default memory_limit (${DEFAULT_DUCKDB_MEMORY_LIMIT})`, limit: undefined },
    { label: 'memoryLimit: 2GB', limit: '2GB' },
  ].map((v) => ({ ...v, m: run(v.limit) }));
  const baseline = variants[0]!.m;
  console.log(`first sync run of a ${PERSONS}-member segment (email and phone), DuckDB file, each in its own process:`);
  for (const { label, m } of variants)
    console.log(
      `  ${label}, reported as ${m.memoryLimit}: ${m.status}, ${m.sent} rows sent in ${m.seconds.toFixed(1)}s; peak RSS ${m.maxRssMB.toFixed(0)} MB` +
        (m === baseline ? '' : ` (RSS ${(m.maxRssMB / baseline.maxRssMB).toFixed(2)}x, time ${(m.seconds / baseline.seconds).toFixed(2)}x DuckDB's own default)`),
    );
  if (process.env.OUTFLOW_BENCH_KEEP !== '1' && PERSONS < 100_000) rmSync(FILE, { force: true });
}

const at = process.argv.indexOf('--child');
if (at > 0) process.stdout.write(JSON.stringify(await child(process.argv[at + 1] || undefined)));
else await main();
