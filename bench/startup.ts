/**
 * Start-up: from process start to the first SQL statement DuckDB receives, for
 * `outflow segments size` on a small demo warehouse, against `node -e 0` (Node's own start) in
 * the same run. Times are the child's own `performance.now()` (ms since its process started),
 * read by a preloaded probe (bench/first-sql-probe.cjs); wall-clock times as seen from here are
 * printed too. Target: <= 350 ms to the first SQL.
 *   npx tsx bench/startup.ts [runs=9]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from './figures';

const RUNS = Number(process.argv[2] ?? 9);
const TARGET_MS = 350;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/outflow.js');
const PROBE = path.join(ROOT, 'bench/first-sql-probe.cjs');
const DATA = path.join(ROOT, 'bench/.data/startup');
const CONFIG = path.join(DATA, 'outflow.yaml');

interface Sample {
  firstSqlMs: number | null;
  firstSqlCpuMs: number | null;
  exitMs: number;
  exitCpuMs: number;
  wallMs: number;
}

function sample(args: string[]): Sample {
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--require', PROBE, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  const line = child.stderr.split('\n').find((l) => l.startsWith('@probe '));
  if (!line) throw new Error(`no probe output from ${args.join(' ')}: ${child.stderr}`);
  return { ...(JSON.parse(line.slice('@probe '.length)) as Omit<Sample, 'wallMs'>), wallMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!existsSync(CONFIG)) {
  mkdirSync(DATA, { recursive: true });
  console.log(`generating a small demo warehouse in ${DATA} ...`);
  execFileSync(process.execPath, [BIN, 'demo', '--persons', '2000', '--dir', DATA, '--anchor', '2026-01-01T00:00:00Z'], { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
}

const outflow = ['segments', 'size', 'recent-buyers', '--config', CONFIG, '--as-of', '2026-01-01T00:00:00Z'];
// Warm-up: file-system caches, tsx's transform cache, the template cache.
sample([BIN, ...outflow]);
const node: Sample[] = [];
const cli: Sample[] = [];
for (let i = 0; i < RUNS; i++) {
  node.push(sample(['-e', '0']));
  cli.push(sample([BIN, ...outflow]));
}
const firstSql = median(cli.map((s) => s.firstSqlMs ?? Number.NaN));
const nodeExit = median(node.map((s) => s.exitMs));
const firstSqlCpu = median(cli.map((s) => s.firstSqlCpuMs ?? Number.NaN));
const nodeCpu = median(node.map((s) => s.exitCpuMs));
console.log(`${RUNS} alternating runs, medians (ms since each process started; CPU ms used by then in brackets)`);
console.log(`node -e 0                         exit at ${nodeExit.toFixed(0)} ms [${nodeCpu.toFixed(0)}] (wall ${median(node.map((s) => s.wallMs)).toFixed(0)} ms)`);
console.log(`outflow segments size             first SQL at ${firstSql.toFixed(0)} ms [${firstSqlCpu.toFixed(0)}], exit at ${median(cli.map((s) => s.exitMs)).toFixed(0)} ms (wall ${median(cli.map((s) => s.wallMs)).toFixed(0)} ms)`);
console.log(`outflow's own start-up (first SQL - node -e 0): ${(firstSql - nodeExit).toFixed(0)} ms; ratio ${(firstSql / nodeExit).toFixed(1)}x; load average ${loadavg()[0]!.toFixed(1)}`);
console.log(`target <= ${TARGET_MS} ms to the first SQL: ${firstSql <= TARGET_MS ? 'met' : 'NOT met'}`);
figure({
  what: 'bench/startup.ts: `outflow segments size` on DuckDB, process start to the first SQL (node -e 0 in the same run)',
  figure: `${firstSql.toFixed(0)} ms, ${firstSqlCpu.toFixed(0)} CPU-ms (node -e 0: ${nodeExit.toFixed(0)} ms, ${nodeCpu.toFixed(0)} CPU-ms) [load ${loadavg()[0]!.toFixed(1)}]`,
  target: `<= ${TARGET_MS} ms`,
  met: firstSql <= TARGET_MS,
});
