#!/usr/bin/env node
// Records every platform's native package in package-lock.json.
//
// npm only locks the optional platform packages (DuckDB bindings, SWC) that its registry can
// resolve from the machine that ran `npm install`; `npm ci` then refuses the lockfile because the
// other platforms' entries are missing. This adds a platform-tagged entry for each missing one,
// which `npm ci` skips on non-matching platforms. Run it after changing dependencies:
//   npm install <pkg> && node scripts/lock-platforms.mjs
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
const PLATFORM = /-(darwin|linux|win32|freebsd|android|sunos|aix|openbsd|netbsd)-([a-z0-9]+)/;
let added = 0;
for (const entry of Object.values(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const m = name.match(PLATFORM);
    if (packages[key] || !m) continue;
    packages[key] = { version, optional: true, os: [m[1]], cpu: [m[2]], ...(entry.dev ? { dev: true } : {}) };
    added++;
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platforms: added ${added} platform entries`);
