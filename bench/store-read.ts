/**
 * What the store adds to a command that only reads definitions (`segments sql`, `segments size`,
 * `sync run` before it starts): process start to "workspace loaded", in fresh processes, loading
 * the demo workspace file alone (the baseline, as before the store) and through the store (an
 * unchanged file: fingerprint, then the definitions through the bare SQLite driver; knex is not
 * loaded). Medians of alternating runs.
 *   npx tsx bench/store-read.ts [runs]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [mode, file] = process.argv.slice(2);

if (mode === 'file' || mode === 'store') {
  // Child: load, then report milliseconds since the process started and whether knex was loaded.
  const before = performance.now();
  if (mode === 'file') (await import('../src/config/load')).loadWorkspace(file!);
  else await (await import('../src/store/load')).loadWorkspaceThroughStore(file!);
  const knex = Object.keys(await import('node:module').then((m) => m.createRequire(import.meta.url).cache)).some((k) => k.includes('/node_modules/knex/'));
  process.stdout.write(JSON.stringify({ total: performance.now(), load: performance.now() - before, knex }));
} else {
  const runs = Number(mode ?? 9);
  const dir = mkdtempSync(path.join(tmpdir(), 'outflow-bench-read-'));
  const { demoWorkspaceYaml } = await import('../src/demo/workspace');
  const ws = path.join(dir, 'outflow.yaml');
  writeFileSync(ws, demoWorkspaceYaml('./warehouse.duckdb'));
  const child = (m: string) =>
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx/esm', import.meta.filename, m, ws], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '..') })) as { total: number; load: number; knex: boolean };
  child('store'); // creates and applies the store once: every later run finds the file unchanged
  const results: Record<string, { total: number[]; load: number[]; knex: boolean }> = { file: { total: [], load: [], knex: false }, store: { total: [], load: [], knex: false } };
  for (let i = 0; i < runs; i++)
    for (const m of ['file', 'store']) {
      const r = child(m);
      results[m]!.total.push(r.total);
      results[m]!.load.push(r.load);
      results[m]!.knex ||= r.knex;
    }
  rmSync(dir, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const f = results.file!;
  const s = results.store!;
  console.log(`demo workspace (16 segments), process start to workspace loaded, median of ${runs}:`);
  console.log(`  file alone (baseline)  ${median(f.total).toFixed(0).padStart(5)} ms  (loading ${median(f.load).toFixed(0)} ms)`);
  console.log(`  through the store      ${median(s.total).toFixed(0).padStart(5)} ms  (loading ${median(s.load).toFixed(0)} ms)  knex loaded: ${s.knex ? 'yes' : 'no'}`);
  console.log(`  the store adds         ${(median(s.total) - median(f.total)).toFixed(0).padStart(5)} ms  (${(median(s.total) / median(f.total)).toFixed(2)}x)`);
}
