#!/usr/bin/env node
// The `outflow` command. It runs the bundle in dist/cli/ (scripts/build.mjs, built by `npm ci`,
// `npm install` and `npm pack`). In a git checkout whose sources differ from what the bundle was
// built from (dist/cli/inputs.json), it runs the TypeScript sources through tsx instead, so an
// edit takes effect without a build.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const bundle = new URL('dist/cli/main.mjs', root);

function bundleIsCurrent() {
  if (!existsSync(bundle)) return false;
  // An installed package is what was packed: no checkout, nothing to compare.
  if (!existsSync(new URL('.git', root))) return true;
  try {
    const { files } = JSON.parse(readFileSync(new URL('dist/cli/inputs.json', root), 'utf8'));
    return Object.entries(files).every(([file, sha1]) => createHash('sha1').update(readFileSync(new URL(file, root))).digest('hex') === sha1);
  } catch {
    return false;
  }
}

let cli;
if (bundleIsCurrent()) cli = await import(bundle.href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli/main.ts');
}
await cli.run();
