#!/usr/bin/env node
// Bundles the CLI into dist/cli/ (ES modules, split so that commands load only what they use):
// Outflow's sources and its small pure-JavaScript dependencies in a few files, which starts far
// faster than resolving hundreds of modules and compiling TypeScript on every run. Native, heavy
// or dynamically loaded packages (DuckDB's binding, knex and pg, the Temporal, BigQuery and
// Snowflake SDKs, tsx) stay in node_modules. Run by `npm ci` / `npm install` (prepare) and
// `npm pack`; bin/outflow.js uses the bundle while it matches the sources (dist/cli/inputs.json).
//   node scripts/build.mjs
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// dist/cli sits two folders deep, like src/<module>/, so `new URL('../../sql-templates', import.meta.url)`
// and the like resolve to the same place from the bundle as from the sources.
const target = path.join(root, 'dist/cli');
// Built beside the old bundle and swapped in at the end: a CLI started meanwhile runs one or the other.
const outdir = `${target}.${process.pid}.tmp`;

const EXTERNAL = [
  '@duckdb/node-bindings*',
  '@temporalio/*',
  '@google-cloud/*',
  'google-auth-library',
  'snowflake-sdk',
  'knex',
  'node-sql-parser',
  'node-sql-parser/*',
  'better-sqlite3',
  'pg',
  'pg-cursor',
  'protobufjs',
  'protobufjs/*',
  'tsx',
  'tsx/*',
];

rmSync(outdir, { recursive: true, force: true });
const started = performance.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'src/cli/main.ts', out: 'main' },
    // Started as a worker thread by connectors/shared/encode-pool.ts, next to the chunk that starts it.
    { in: 'connectors/shared/encode-worker.mjs', out: 'encode-worker' },
  ],
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // Bundled CommonJS packages call require(); give ES modules one.
  banner: { js: "import { createRequire as __outflowRequire } from 'node:module'; const require = __outflowRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
  minify: true,
  keepNames: false,
});

// What bin/outflow.js compares with the checkout to tell whether the bundle is current.
const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
const hash = (file) => createHash('sha1').update(readFileSync(path.join(root, file))).digest('hex');
const files = Object.fromEntries([...inputs, 'package-lock.json'].sort().map((f) => [f, hash(f)]));
writeFileSync(path.join(outdir, 'inputs.json'), `${JSON.stringify({ files }, null, 1)}\n`);
rmSync(target, { recursive: true, force: true });
renameSync(outdir, target);
console.log(`dist/cli: ${inputs.length} source files bundled in ${Math.round(performance.now() - started)} ms`);
