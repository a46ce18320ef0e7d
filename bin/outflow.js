#!/usr/bin/env node
// Runs the TypeScript CLI directly (no build step): `npx outflow ...` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/main.ts');
await run();
