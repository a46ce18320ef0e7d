import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type HandlebarsCompiler from 'handlebars';
import { CACHE_DIR } from '../config/parse-cache';
// The runtime runs precompiled templates; the compiler (several times larger) loads only when the
// cache below misses.
import Handlebars from 'handlebars/runtime';
import type { DialectName } from './dialect';
import { dialectFor } from './dialects';

/**
 * SQL templates: `sql-templates/_base/` holds every template and partial; a dialect folder
 * (`sql-templates/<dialect>/`) overrides only what differs. Templates receive raw names and
 * quote them once, as they print them, with the dialect's `{{id name}}` helper (a name is a
 * string, or `{ schema, name }` for a qualified table); values only ever arrive as placeholders.
 *
 * Names are paths without the extension: `state/create-membership` -> `state/create-membership.sql.hbs`.
 * Every template of the merged set is also registered as a partial under its name.
 *
 * @example
 * renderSql('postgres', 'state/create-schema', { schema: 'outflow' }) // create schema if not exists "outflow"
 */
export const TEMPLATE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql-templates');
const EXT = '.sql.hbs';

export class UnsupportedFeatureError extends Error {
  override readonly name = 'UnsupportedFeatureError';
  constructor(
    readonly dialect: DialectName,
    readonly feature: string,
  ) {
    super(`${dialect} does not support ${feature}`);
  }
}

const environments = new Map<DialectName, { hbs: typeof Handlebars; compiled: Map<string, HandlebarsTemplateDelegate> }>();

function listTemplates(dir: string, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) for (const [k, v] of listTemplates(full, `${prefix}${entry.name}/`)) out.set(k, v);
    else if (entry.name.endsWith(EXT)) out.set(`${prefix}${entry.name.slice(0, -EXT.length)}`, full);
  }
  return out;
}

const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;

/**
 * Every template of a dialect precompiled to JavaScript, from a cache file keyed by a hash of
 * Handlebars' version and every template's name and text, or compiled now and cached. Compiling
 * is about a millisecond per template, tens of milliseconds per command; loading the cache is a
 * fraction of one. A cache that cannot be read or written is only a slower start.
 */
export function precompiled(dialect: DialectName, sources: ReadonlyMap<string, string>, dir = CACHE_DIR): Map<string, string> {
  const hash = createHash('sha256').update(`${Handlebars.VERSION}\0${dialect}`);
  for (const [name, source] of sources) hash.update(`\0${name}\0${source}`);
  const file = path.join(dir, `sql-${dialect}-${hash.digest('hex').slice(0, 20)}.json`);
  try {
    return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>));
  } catch {
    // Not cached yet (or unreadable): compile below.
  }
  const { precompile } = createRequire(import.meta.url)('handlebars') as typeof HandlebarsCompiler;
  const specs = new Map([...sources].map(([name, source]) => [name, precompile(source, COMPILE_OPTIONS) as string]));
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(specs)));
    renameSync(tmp, file);
  } catch {
    // A read-only install: compile again next time.
  }
  return specs;
}

function environment(dialect: DialectName) {
  let env = environments.get(dialect);
  if (env) return env;
  const files = listTemplates(path.join(TEMPLATE_ROOT, '_base'));
  for (const [name, file] of listTemplates(path.join(TEMPLATE_ROOT, dialect))) files.set(name, file);
  const hbs = Handlebars.create();
  // SQL is not HTML: never HTML-escape. Safety comes from quoting identifiers and binding values.
  hbs.registerHelper('unsupported', (feature: string) => {
    throw new UnsupportedFeatureError(dialect, feature);
  });
  hbs.registerHelper('join', (items: unknown[], sep: unknown) => (Array.isArray(items) ? items.join(typeof sep === 'string' ? sep : ', ') : ''));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const quote = dialectFor(dialect);
  hbs.registerHelper('id', (name: unknown) => {
    if (typeof name === 'string') return quote.quoteIdentifier(name);
    const table = name as { schema?: unknown; name?: unknown } | null;
    if (typeof table?.schema === 'string' && typeof table.name === 'string')
      return `${quote.quoteIdentifier(table.schema)}.${quote.quoteIdentifier(table.name)}`;
    throw new TypeError(`{{id}} takes a name or { schema, name }, got ${JSON.stringify(name)}`);
  });
  const sources = new Map([...files].map(([name, file]) => [name, readFileSync(file, 'utf8')]));
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  for (const [name, spec] of precompiled(dialect, sources)) {
    // The spec is Handlebars' own output for our template files (trusted code, like this module).
    const template = hbs.template(new Function(`return ${spec}`)() as TemplateSpecification);
    hbs.registerPartial(name, template);
    compiled.set(name, template);
  }
  env = { hbs, compiled };
  environments.set(dialect, env);
  return env;
}

/**
 * Renders template `name` for `dialect`, whitespace-collapsed. Top-level context strings that span
 * lines (printed SQL, which may hold a user's `-- comment`) are placed after the collapse,
 * untouched: folded onto one line, a comment would swallow the rest of the statement.
 */
export function renderSql(dialect: DialectName, name: string, context: object): string {
  const template = environment(dialect).compiled.get(name);
  if (!template) throw new Error(`no SQL template "${name}" for ${dialect} (looked in ${TEMPLATE_ROOT})`);
  const kept = Object.entries(context).filter((e): e is [string, string] => typeof e[1] === 'string' && /[\r\n]/.test(e[1]));
  if (kept.length === 0) return template(context).replace(/\s+/g, ' ').trim();
  const slots = Object.fromEntries(kept.map(([k]) => [k, `${KEPT}${k}${KEPT}`]));
  const values = new Map(kept);
  return template({ ...context, ...slots })
    .replace(/\s+/g, ' ')
    .trim()
    .replace(KEPT_SLOTS, (_, k: string) => values.get(k)!);
}

// A control character no SQL Outflow embeds may hold (the printer refuses them in entity SQL).
const KEPT = '\u0003';
const KEPT_SLOTS = new RegExp(`${KEPT}(\\w+)${KEPT}`, 'g');
