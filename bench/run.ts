/**
 * Runs every benchmark at a small size, one after another, and prints the README's figures table
 * from what each reports (bench/figures.ts). Small sizes keep the whole run to a few minutes; the
 * README's figures come from the default (large) sizes, which each benchmark documents.
 *   npm run bench            (or: npx tsx bench/run.ts [--verbose])
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, parseFigures } from './figures';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VERBOSE = process.argv.includes('--verbose');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

/** Each benchmark with its small-size arguments (see the top of each file for what they mean). */
const BENCHES: [file: string, args: string[]][] = [
  ['startup.ts', ['7']],
  ['compiler.ts', ['300']],
  ['identity.ts', ['20000']],
  ['demo-generate.ts', ['5000', '1']],
  ['segments.ts', ['20000', '200000', '3']],
  ['sync.ts', ['50000', '10000']],
  ['upload.ts', ['20000', '20', '2000']],
];

function run(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (VERBOSE) process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, ms: performance.now() - started }));
  });
}

const rows: Figure[] = [];

// The demo, end to end, as a user runs it (small: the README's figure is for 100,000 persons).
const demoDir = mkdtempSync(path.join(tmpdir(), 'outflow-bench-demo-'));
try {
  const persons = 20_000;
  const demo = await run([path.join(ROOT, 'bin/outflow.js'), 'demo', '--persons', String(persons), '--dir', demoDir]);
  rows.push({ what: `outflow demo --persons ${persons.toLocaleString('en')} (generate, count 20 segments, sync twice to 2 sandbox platforms)`, figure: `${(demo.ms / 1000).toFixed(1)} s wall${demo.code === 0 ? '' : ` (exit ${demo.code})`}`, target: '< 60 s at 100,000 persons', met: demo.code === 0 && demo.ms < 60_000 });
} finally {
  rmSync(demoDir, { recursive: true, force: true });
}

for (const [file, args] of BENCHES) {
  process.stderr.write(`bench/${file} ${args.join(' ')} ...\n`);
  const r = await run([TSX, path.join(ROOT, 'bench', file), ...args]);
  const found = parseFigures(r.stdout);
  if (found.length === 0) rows.push({ what: `bench/${file}`, figure: `no figure reported (exit ${r.code})`, target: '-', met: false });
  rows.push(...found);
}

const cell = (s: string) => s.replaceAll('|', '\\|');
const verdict = (f: Figure) => (f.met === undefined ? f.target : `${f.target}: ${f.met ? 'met' : '**not met**'}`);
console.log(`\nFigures at small sizes (${new Date().toISOString().slice(0, 10)}, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}):\n`);
console.log('| what | figure | target |\n| --- | --- | --- |');
for (const f of rows) console.log(`| ${cell(f.what)} | ${cell(f.figure)} | ${cell(verdict(f))} |`);
