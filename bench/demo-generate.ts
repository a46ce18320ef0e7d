/**
 * Demo-data generation throughput against the engine's own speed at writing rows. The baseline
 * writes as many rows as the generator writes events, each with a few hashed columns, in a
 * single `create table as select ... from range(n)`; the generator's ratio to it shows what the
 * realism (sessions, messy identifiers, lookups) costs per row. Runs in temporary DuckDB files.
 *   npx tsx bench/demo-generate.ts [persons] [repetitions]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDemoData } from '../src/demo/generate';
import { DuckDbDriver } from '../src/warehouse/duckdb/driver';
import { figure } from './figures';

const PERSONS = Number(process.argv[2] ?? 200_000);
const REPS = Number(process.argv[3] ?? 3);
const ANCHOR = new Date('2026-01-01T00:00:00Z');
const dir = mkdtempSync(path.join(tmpdir(), 'outflow-bench-demo-'));

async function timed<T>(file: string, fn: (db: DuckDbDriver) => Promise<T>): Promise<{ ms: number; value: T }> {
  rmSync(file, { force: true });
  const db = await DuckDbDriver.open({ path: file });
  try {
    const started = performance.now();
    const value = await fn(db);
    await db.execute('checkpoint');
    return { ms: performance.now() - started, value };
  } finally {
    await db.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const generated: number[] = [];
  const baseline: number[] = [];
  let events = 0;
  for (let i = 0; i < REPS; i++) {
    const run = await timed(path.join(dir, 'demo.duckdb'), (db) =>
      generateDemoData(db, { persons: PERSONS, seed: 1, anchor: ANCHOR }),
    );
    generated.push(run.ms);
    events = run.value.events;
    const base = await timed(path.join(dir, 'base.duckdb'), (db) =>
      db.execute(
        `create table t as select i as id, 'p' || (i // 12) as person_id, to_timestamp(1.7e9 + hash(i, 1) % 40000000) as at,
                hash(i, 2) % 100000 / 100.0 as amount, printf('%012x', hash(i, 3) % 281474976710656) as session_id
         from range($1::bigint + $2::bigint) r(i)`,
        [events, PERSONS],
      ),
    );
    baseline.push(base.ms);
  }
  const g = median(generated);
  const b = median(baseline);
  console.log(`persons: ${PERSONS.toLocaleString('en-US')}, events: ${events.toLocaleString('en-US')}, repetitions: ${REPS}`);
  console.log(`baseline (same row count, plain hashed columns): ${(b / 1000).toFixed(2)} s`);
  console.log(`demo generator:                                  ${(g / 1000).toFixed(2)} s`);
  console.log(`ratio generator / baseline: ${(g / b).toFixed(2)}x`);
  figure({
    what: `bench/demo-generate.ts: demo data, ${PERSONS.toLocaleString('en')} persons, generator ÷ plain rows of the same count`,
    figure: `${(g / b).toFixed(2)}x (${Math.round(events / (g / 1000)).toLocaleString('en')} events/s)`,
    target: 'ratio printed',
  });
  console.log(`generator throughput: ${Math.round(PERSONS / (g / 1000)).toLocaleString('en-US')} persons/s, ` +
    `${Math.round(events / (g / 1000)).toLocaleString('en-US')} events/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
