import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { DialectName } from './dialect';

/**
 * SQL templates: `sql-templates/_base/` holds every template and partial; a dialect folder
 * (`sql-templates/<dialect>/`) overrides only what differs. Templates receive identifiers that
 * the dialect has already quoted and placeholders, never values: values are bound parameters.
 *
 * Names are paths without the extension: `state/create-membership` -> `state/create-membership.sql.hbs`.
 * Every template of the merged set is also registered as a partial under its name.
 *
 * @example
 * renderSql('postgres', 'state/person-segments-view', { schema: '"outflow"' })
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
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  for (const [name, file] of files) {
    const source = readFileSync(file, 'utf8');
    hbs.registerPartial(name, source);
    compiled.set(name, hbs.compile(source, { noEscape: true, strict: true }));
  }
  env = { hbs, compiled };
  environments.set(dialect, env);
  return env;
}

/** Renders template `name` for `dialect`, whitespace-collapsed. */
export function renderSql(dialect: DialectName, name: string, context: object): string {
  const template = environment(dialect).compiled.get(name);
  if (!template) throw new Error(`no SQL template "${name}" for ${dialect} (looked in ${TEMPLATE_ROOT})`);
  return template(context).replace(/\s+/g, ' ').trim();
}
