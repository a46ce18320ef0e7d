#!/usr/bin/env node
// `npm pack` ships npm-shrinkwrap.json, a copy of package-lock.json: an installed `outflow` gets the
// dependency versions the tests ran with (and installs offline from a cache `npm ci` filled).
// Run by the prepack script; `--remove` (postpack) deletes the copy again.
import { copyFileSync, rmSync } from 'node:fs';

const lock = new URL('../package-lock.json', import.meta.url);
const shrinkwrap = new URL('../npm-shrinkwrap.json', import.meta.url);
if (process.argv.includes('--remove')) rmSync(shrinkwrap, { force: true });
else copyFileSync(lock, shrinkwrap);
