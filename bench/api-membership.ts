/**
 * The membership lookup, `GET /api/v1/persons/{id}/segments`, at 1M persons × 20 segments (about
 * 4M memberships in the SQLite store), under load from autocannon on loopback, against
 * `GET /api/v1/health` measured in the same run. `outflow serve` runs in a child process, the load
 * generator in this one. Targets: p99 <= 10 ms and >= 5,000 requests/s.
 *   npx tsx bench/api-membership.ts [persons] [seconds] [connections]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadWorkspace } from '../src/config/load';
import { openStoreFor } from '../src/store';

const PERSONS = Number(process.argv[2] ?? 1_000_000);
const SECONDS = Number(process.argv[3] ?? 15);
const CONNECTIONS = Number(process.argv[4] ?? 16);
const SEGMENTS = 20;
const P99_TARGET_MS = 10;
const RPS_TARGET = 5000;

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  requests?: { method: 'GET'; path: string }[];
}) => Promise<Result>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const dir = mkdtempSync(path.join(tmpdir(), 'outflow-bench-membership-'));
const file = path.join(dir, 'outflow.yaml');
writeFileSync(file, 'version: 1\nwarehouse: {type: duckdb, path: ./wh.duckdb}\nentities: [{id: person, table: main.persons, primaryKey: person_id}]\n');
const store = await openStoreFor(loadWorkspace(file));
const { token } = await store.tokens.create({ name: 'bench', role: 'viewer' }, { name: 'bench' });
await store.close();

// The store as the refreshes would leave it: person i is in segment k when (i * 31 + k * 17) % 5 = 0.
const started = Date.now();
const db = new Database(path.join(dir, '.outflow', 'store.sqlite'));
db.pragma('journal_mode = WAL');
const insert = db.prepare('insert into person_segments (person_id, segment_id) values (?, ?)');
let rows = 0;
db.transaction(() => {
  for (let i = 0; i < PERSONS; i++)
    for (let k = 0; k < SEGMENTS; k++)
      if ((i * 31 + k * 17) % 5 === 0) {
        insert.run(`p${i}`, `segment-${String(k).padStart(2, '0')}`);
        rows++;
      }
  const refresh = db.prepare('insert into membership_refreshes (segment_id, as_of, evaluated_at, member_count, added, removed) values (?, ?, ?, ?, 0, 0)');
  for (let k = 0; k < SEGMENTS; k++) refresh.run(`segment-${String(k).padStart(2, '0')}`, '2026-03-31T06:00:00.000Z', '2026-03-31T06:01:00.000Z', PERSONS / 5);
})();
db.pragma('wal_checkpoint(TRUNCATE)');
db.close();
console.log(`store: ${PERSONS.toLocaleString('en')} persons × ${SEGMENTS} segments, ${rows.toLocaleString('en')} memberships, written in ${((Date.now() - started) / 1000).toFixed(1)} s`);

let server: ChildProcess | undefined;
try {
  server = spawn(process.execPath, [...(process.env.BENCH_SERVER_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_PROFILE] : []), path.resolve('bin/outflow.js'), 'serve', '--config', file, '--port', '0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    server!.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /API at (http:\/\/\S+)\/api\/v1/.exec(err);
      if (m) resolve(m[1]!);
    });
    server!.on('exit', (code) => reject(new Error(`outflow serve exited ${code}: ${err}`)));
  });
  const headers = { authorization: `Bearer ${token}` };
  // Prepared requests (autocannon builds each once): 10,000 random persons, cycled through.
  const lookups = Array.from({ length: 10_000 }, () => ({ method: 'GET' as const, path: `/api/v1/persons/p${Math.floor(Math.random() * PERSONS)}/segments` }));
  const check = await fetch(`${url}/api/v1/persons/p0/segments`, { headers });
  console.log(`GET /persons/p0/segments -> ${check.status} ${await check.text()}`);

  const run = (what: string, opts: Parameters<Autocannon>[0]) => autocannon(opts).then((r) => ({ what, r }));
  const base = { connections: CONNECTIONS, duration: SECONDS };
  // Warm-up, then health, lookups, health again (so drift shows).
  await autocannon({ ...base, duration: 3, url: `${url}/api/v1/health` });
  const results = [
    await run('GET /api/v1/health', { ...base, url: `${url}/api/v1/health`, headers }),
    await run('GET /api/v1/persons/{id}/segments', { ...base, url, headers, requests: lookups }),
    await run('GET /api/v1/health (again)', { ...base, url: `${url}/api/v1/health`, headers }),
  ];
  console.log(`autocannon, ${CONNECTIONS} connections, ${SECONDS} s each, loopback, 2 cores shared by server and load generator`);
  for (const { what, r } of results)
    console.log(
      `${what.padEnd(36)} ${Math.round(r.requests.average).toLocaleString('en').padStart(7)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}`,
    );
  const lookup = results[1]!.r;
  const health = (results[0]!.r.requests.average + results[2]!.r.requests.average) / 2;
  console.log(`lookup / health throughput: ${(lookup.requests.average / health).toFixed(2)}`);
  const ok = lookup.latency.p99 <= P99_TARGET_MS && lookup.requests.average >= RPS_TARGET && lookup.non2xx === 0;
  console.log(ok ? 'OK' : `SHORT OF TARGET (p99 <= ${P99_TARGET_MS} ms, >= ${RPS_TARGET} req/s)`);
} finally {
  server?.kill('SIGTERM');
  await new Promise((r) => (server && server.exitCode === null ? server.once('exit', r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
}
