import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Outflow's cache folder, `node_modules/.cache/outflow` beside the package (src/config/ and the
 * bundle's dist/cli/ are both two folders down). What is kept there is only ever a faster start:
 * a cache that cannot be read or written is ignored.
 */
export const CACHE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/.cache/outflow');

/** At most this many parsed workspace texts are kept; the oldest go first. */
const MAX_ENTRIES = 32;

let yamlVersion: string | undefined;

/**
 * Where the data a YAML text parses to is kept: keyed by a hash of the text and of the `yaml`
 * package's version, so an edit or an upgrade is a new entry. The data is the file's own content
 * before `${env:...}` is replaced, so no variable's value (no secret from the environment) is
 * ever written.
 */
function entry(text: string, dir: string): string {
  yamlVersion ??= (createRequire(import.meta.url)('yaml/package.json') as { version: string }).version;
  const hash = createHash('sha256').update(`${yamlVersion}\0${text}`).digest('hex').slice(0, 32);
  return path.join(dir, `yaml-${hash}.json`);
}

/** The parsed data of `text` when a previous run cached it. */
export function cachedYaml(text: string, dir = CACHE_DIR): unknown {
  try {
    return JSON.parse(readFileSync(entry(text, dir), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the parsed data of `text`, when JSON holds it exactly (plain objects, arrays, strings,
 * finite numbers, booleans, null): a value YAML alone can express (`.inf`, a timestamp tag) is
 * parsed afresh every time, so a cached run sees exactly what a fresh one does.
 */
export function cacheYaml(text: string, raw: unknown, dir = CACHE_DIR): void {
  if (!jsonExact(raw)) return;
  try {
    mkdirSync(dir, { recursive: true });
    const file = entry(text, dir);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(raw), { mode: 0o600 });
    renameSync(tmp, file);
    prune(dir);
  } catch {
    // A read-only install: parse again next time.
  }
}

function prune(dir: string): void {
  const entries = readdirSync(dir).filter((f) => f.startsWith('yaml-') && f.endsWith('.json'));
  if (entries.length <= MAX_ENTRIES) return;
  const byAge = entries.map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { f } of byAge.slice(0, entries.length - MAX_ENTRIES)) rmSync(path.join(dir, f), { force: true });
}

function jsonExact(value: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every((v) => jsonExact(v, depth + 1));
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype || Object.hasOwn(value, '__proto__')) return false;
  return Object.values(value).every((v) => jsonExact(v, depth + 1));
}
