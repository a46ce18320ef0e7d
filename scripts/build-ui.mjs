#!/usr/bin/env node
// Builds the web UI (src/ui/, React + Vite) into dist/ui/, which `outflow serve` serves at `/`,
// and prints the JavaScript it ships, gzipped (the budget is 400 KB, README "Web UI").
//   node scripts/build-ui.mjs
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

// A production build even when started from a test run (vitest sets NODE_ENV=test: React's dev build).
process.env.NODE_ENV = 'production';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = performance.now();
await build({ configFile: path.join(root, 'src/ui/vite.config.ts'), logLevel: 'warn' });
const assets = path.join(root, 'dist/ui/assets');
let raw = 0;
let gzip = 0;
let files = 0;
for (const f of readdirSync(assets)) {
  if (!f.endsWith('.js')) continue;
  const data = readFileSync(path.join(assets, f));
  raw += data.length;
  gzip += gzipSync(data, { level: 9 }).length;
  files += 1;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`dist/ui: ${files} JavaScript files, ${kb(raw)} (${kb(gzip)} gzip; budget 400 KB) in ${Math.round(performance.now() - started)} ms`);
if (gzip > 400 * 1024) {
  console.error('dist/ui: the shipped JavaScript is over its 400 KB gzip budget');
  process.exit(1);
}
