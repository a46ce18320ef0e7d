import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Document, LineCounter } from 'yaml';
import type { z } from 'zod';
import { formatPath, type Problem, UserInputError } from './errors';
import { cachedYaml, cacheYaml } from './parse-cache';
import { type Workspace, workspaceSchema } from './schema';

export interface LoadedWorkspace {
  /** Absolute path of the workspace file. */
  file: string;
  /** Folder of the workspace file; relative paths in it resolve from here. */
  dir: string;
  workspace: Workspace;
  /** The file's content as parsed, before `${env:NAME}` references are replaced (the store keeps destination settings so). */
  source?: unknown;
}

/** `--config PATH`, else `$OUTFLOW_CONFIG`, else `./outflow.yaml` (SPEC §1). */
export function resolveConfigPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.OUTFLOW_CONFIG ?? 'outflow.yaml');
}

/**
 * Reads and validates the workspace file. `origin` names where its path came from (`--config`,
 * `$OUTFLOW_CONFIG`) for errors about the path itself.
 */
export function loadWorkspace(file: string, env: NodeJS.ProcessEnv = process.env, origin = ''): LoadedWorkspace {
  // eslint-disable-next-line no-control-regex
  if (/\u0000/.test(file)) throw new UserInputError([{ path: origin, message: `a path cannot contain a NUL byte, got ${JSON.stringify(file)}` }]);
  const abs = path.resolve(file);
  const shown = path.relative(process.cwd(), abs) || abs;
  const problem = (message: string) => new UserInputError([{ file: shown, path: origin, message }]);
  let text: string;
  try {
    if (statSync(abs).isDirectory()) throw problem('is a folder; expected a workspace file such as outflow.yaml');
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw problem('workspace file not found');
    throw problem(`cannot read the workspace file (${code ?? (err as Error).message})`);
  }
  return parseWorkspace(text, shown, env, path.dirname(abs), abs);
}

/**
 * Places problems found after loading (by a connector's settings schema, against the warehouse,
 * at run time) in the workspace file: each gets the file as shown and the line and column of its
 * path. Problems about flags (`--as-of`), arguments (`<name>`) or the environment (`$OUTFLOW_CONFIG`) stay as they are.
 */
export function placeProblems(file: string, problems: readonly Problem[]): Problem[] {
  const shown = path.relative(process.cwd(), file) || file;
  let located: ((p: Problem) => { line?: number; column?: number }) | undefined;
  const locate = (p: Problem) => {
    if (!located) {
      try {
        const lines = new (yaml().LineCounter)();
        const doc = yaml().parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: false });
        located = (q) => position(doc, lines, pathOf(q), /unknown key/.test(q.message));
      } catch {
        located = () => ({});
      }
    }
    return located(p);
  };
  return problems.map((p) => {
    if (/^[-$<]/.test(p.path) || (p.file !== undefined && p.file !== shown && p.file !== file)) return p;
    const placed: Problem = { ...p, file: shown };
    return p.line === undefined ? { ...placed, ...locate(placed) } : placed;
  });
}

/** Anchors and aliases are fine in moderation; past this many alias expansions the file is refused. */
const MAX_ALIAS_COUNT = 100;
/** Deeper than this, a workspace file is not a workspace file (and recursion would be at risk). */
const MAX_DEPTH = 64;

/** Parses and validates workspace YAML text. Throws UserInputError listing every problem found. */
export function parseWorkspace(
  text: string,
  file = 'outflow.yaml',
  env: NodeJS.ProcessEnv = process.env,
  dir = process.cwd(),
  abs = path.resolve(dir, file),
): LoadedWorkspace {
  // Unchanged text parses to what it parsed to last time (parse-cache.ts); the document, needed
  // only to place problems, is parsed when there are any.
  let parsed: { doc: Document; lines: LineCounter } | undefined;
  const document = () => (parsed ??= parseYaml(text, file));
  let raw = cachedYaml(text);
  if (raw === undefined) {
    const { doc, lines } = document();
    try {
      raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // yaml throws a ReferenceError when aliases expand past maxAliasCount (a "billion laughs" file).
      if (!(err instanceof ReferenceError)) throw err;
      const alias = firstAlias(doc, lines);
      throw new UserInputError([
        { file, ...alias, message: `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} expansions); write the values out instead` },
      ]);
    }
    cacheYaml(text, raw);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UserInputError([{ file, path: '', message: 'expected a mapping with "version", "warehouse" and "entities"' }]);

  const problems: Problem[] = [];
  const interpolated = interpolateEnv(raw, [], env, problems);
  const located = ({ atKey, ...p }: PathProblem, at: readonly PropertyKey[]): Problem => ({
    file,
    ...p,
    ...position(document().doc, document().lines, at, atKey),
  });
  if (problems.length > 0) throw new UserInputError(problems.map((p) => located(p, pathOf(p))));

  const valid = workspaceSchema.safeParse(interpolated);
  if (!valid.success) throw new UserInputError(zodProblems(valid.error).map((p) => located(p, pathOf(p))));
  return { file: abs, dir, workspace: valid.data, source: raw };
}

/**
 * The `yaml` package, loaded on first use: a workspace file unchanged since it was last parsed is
 * read from the parse cache and needs no YAML parser (nor its start-up cost).
 */
let yamlModule: typeof Yaml | undefined;
const yaml = () => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

/** The YAML document of `text`; a syntax error is an input error with its line and column. */
function parseYaml(text: string, file: string): { doc: Document; lines: LineCounter } {
  const lines = new (yaml().LineCounter)();
  // logLevel: problems are reported as input errors, never as the library's process warnings.
  const doc = yaml().parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    throw new UserInputError(
      doc.errors.map((e) => {
        // linePos is only filled in with prettyErrors, which would also rewrite the message.
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { file, path: '', message: `invalid YAML: ${e.message.split('\n')[0]}`, line: pos.line, column: pos.col };
      }),
    );
  }
  return { doc, lines };
}

const ENV_PATTERN = /\$\{env:([^}]*)\}/g;

const missingVariable = (name: string) => `environment variable ${name || '(empty name)'} is not set`;
const isDestinationSetting = (at: readonly (string | number)[]) => at[0] === 'destinations' && at[2] === 'settings';

/**
 * Problems for `${env:NAME}` left in `value` (a destination's settings, interpolated at load time
 * where the variables were set): each names the variable and where it is used.
 */
export function unsetVariables(value: unknown, at: string): Omit<Problem, 'file'>[] {
  if (typeof value === 'string') return [...value.matchAll(ENV_PATTERN)].map((m) => ({ path: at, message: missingVariable(m[1]!) }));
  if (Array.isArray(value)) return value.flatMap((v, i) => unsetVariables(v, `${at}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => unsetVariables(v, `${at}.${k}`));
  return [];
}

/**
 * What is wrong with `value` at `at` whatever the schema says: nesting deeper than MAX_DEPTH
 * (`depth` counts from the top of the workspace file), or a NUL byte in a string.
 */
function structureProblem(value: unknown, at: readonly (string | number)[], depth: number): Omit<Problem, 'file'> | undefined {
  if (depth > MAX_DEPTH) return { path: formatPath(at), message: `nested more than ${MAX_DEPTH} levels deep` };
  if (typeof value === 'string' && value.includes('\u0000')) return { path: formatPath(at), message: 'a NUL byte is not allowed in the workspace file' };
  return undefined;
}

/**
 * The workspace file's structural problems (see structureProblem) in an object that sits `depth`
 * levels down in a workspace file (a segment, `segments[i]`, sits 2 down), with paths relative to
 * it: the HTTP API checks request bodies with it, so a body and the file fail alike.
 */
export function structureProblems(value: unknown, depth: number, at: (string | number)[] = []): Omit<Problem, 'file'>[] {
  const problem = structureProblem(value, at, depth + at.length);
  if (problem) return [problem];
  if (Array.isArray(value)) return value.flatMap((v, i) => structureProblems(v, depth, [...at, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => structureProblems(v, depth, [...at, k]));
  return [];
}

/**
 * Replaces `${env:NAME}` in every string; a missing variable is a problem naming it and where. A
 * NUL byte in any string, and nesting deeper than MAX_DEPTH, are problems too.
 */
function interpolateEnv(value: unknown, at: (string | number)[], env: NodeJS.ProcessEnv, problems: Problem[]): unknown {
  const problem = structureProblem(value, at, at.length);
  if (problem) problems.push(problem);
  if (at.length > MAX_DEPTH) return null;
  if (typeof value === 'string') {
    return value.replace(ENV_PATTERN, (whole, name: string) => {
      const v = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? env[name] : undefined;
      if (v === undefined) {
        // A destination's settings are checked when the destination is used (connectorFor), so
        // commands that never talk to it (`sync status`, `segments size`) do not need its secrets.
        if (!isDestinationSetting(at)) problems.push({ path: formatPath(at), message: missingVariable(name) });
        return whole;
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, [...at, i], env, problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, [...at, k], env, problems)]),
    );
  }
  return value;
}

/** Path, line and column of the first alias in the document. */
function firstAlias(doc: Document, lines: LineCounter): { path: string; line?: number; column?: number } {
  let found: { path: string; line?: number; column?: number } = { path: '' };
  const { isMap, isScalar, isSeq, visit } = yaml();
  visit(doc, {
    Alias(key, node, ancestors) {
      const at: (string | number)[] = [];
      for (const [i, a] of ancestors.entries()) {
        const child = ancestors[i + 1] ?? node;
        if (isSeq(a)) at.push(a.items.indexOf(child as never));
        else if (isMap(a)) {
          const pair = a.items.find((p) => p === child);
          if (pair && isScalar(pair.key)) at.push(String(pair.key.value));
        }
      }
      const pos = node.range ? lines.linePos(node.range[0]) : undefined;
      found = { path: formatPath(at), ...(pos ? { line: pos.line, column: pos.col } : {}) };
      return visit.BREAK;
    },
  });
  return found;
}

/** A problem without its file; `atKey` places it on a mapping key rather than on the key's value. */
type PathProblem = Omit<Problem, 'file'> & { atKey?: boolean };

/** Turns zod issues into problems with SPEC-style paths. Unions report their closest branch. */
export function zodProblems(error: z.ZodError): PathProblem[] {
  const out: PathProblem[] = [];
  const seen = new Set<string>();
  const push = (p: PathProblem) => {
    const key = `${p.path}|${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  };
  const add = (issue: z.core.$ZodIssue, prefix: PropertyKey[]) => {
    const full = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest (fewest issues) rather than every alternative.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      for (const sub of best) add(sub, full);
      return;
    }
    if (issue.code === 'unrecognized_keys') {
      // One problem per key, at the key itself: a typo is found by its own line, not its parent's.
      for (const k of issue.keys) push({ path: formatPath([...full, k]), message: `unknown key "${k}"`, atKey: true });
      return;
    }
    push({ path: formatPath(full), message: describeIssue(issue) });
  };
  for (const issue of error.issues) add(issue, []);
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      return issue.message.startsWith('Invalid input: expected')
        ? `expected ${issue.expected}${issue.message.includes('received undefined') ? ' (missing)' : ''}`
        : issue.message;
    case 'invalid_format':
      return issue.message.startsWith('Invalid') ? `expected ${issue.format}` : issue.message;
    case 'invalid_union':
      return 'expected one of the allowed shapes';
    default:
      return issue.message;
  }
}

function pathOf(p: Omit<Problem, 'file'>): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/**
 * Line and column of the deepest node along `at` that exists in the document; with `atKey`, of
 * the last mapping key rather than its value.
 */
function position(
  doc: Document,
  lines: LineCounter,
  at: readonly PropertyKey[],
  atKey = false,
): { line?: number; column?: number } {
  const { isMap, isScalar, isSeq } = yaml();
  let node: unknown = doc.contents;
  let found: unknown = node;
  for (const [i, key] of at.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
      node = atKey && i === at.length - 1 ? pair?.key : (pair?.value ?? undefined);
      if (pair && !node) node = pair.key;
    } else if (isSeq(node) && typeof key === 'number') node = node.items[key];
    else node = undefined;
    if (node === undefined || node === null) break;
    found = node;
  }
  const range = (found as { range?: [number, number, number] } | undefined)?.range;
  if (!range) return {};
  const pos = lines.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}
