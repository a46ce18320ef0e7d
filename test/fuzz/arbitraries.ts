import fc from 'fast-check';
import { stringify } from 'yaml';
import { COMPARISON_OPS, FILTER_OPS, TIME_UNITS } from '../../src/segments/rule-schema';
import { DESTINATION_TYPES, IDENTIFIER_KINDS } from '../../src/config/schema';

/**
 * Generators of malformed and hostile input for Outflow's front doors: workspace objects (the
 * same shapes the HTTP API takes as request bodies: segments, conditions, entities, destinations,
 * syncs), their YAML text, and command lines. Objects are near-valid on purpose, so that most
 * cases get past the first check and reach the deeper ones, with a few mutations each: wrong
 * types, odd numbers, unicode, NUL bytes, deep nesting, unknown keys, injection strings in every
 * string field.
 */

/** Strings that have broken parsers, SQL, shells and terminals somewhere. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  "'; DROP TABLE main.canary; --",
  '"); DROP TABLE canary; --',
  ') AS q; DROP TABLE main.canary; SELECT * FROM (SELECT 1',
  "' OR '1'='1",
  '$1',
  '?',
  '%',
  '_',
  '\\',
  '\\0',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001b[31m',
  '\r\n',
  '\t',
  '${env:HOME}',
  '${env:',
  '${env:}',
  '${env:OUTFLOW_FUZZ_UNSET}',
  '{{person_id}}',
  '{{> segments/members}}',
  '\u0002source\u0002',
  '\u00011\u0001',
  '&anchor',
  '*alias',
  '!!binary aGk=',
  '- item',
  'key: value',
  '# comment',
  '---',
  '...',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '/dev/null',
  'CON',
  'ﬁ',
  'İstanbul',
  'ß',
  '\u202Eevil',
  '\uFEFF',
  '🦆🚀',
  '\uD800',
  'null',
  'true',
  '1e20',
  '-0',
  'NaN',
  '0x1F',
  '2026-02-30',
  'x'.repeat(300),
  'é'.repeat(2000),
] as const;

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** Hostile text a valid workspace may still hold (no NUL byte, no `${env:...}` reference). */
export const freeText: fc.Arbitrary<string> = hostileString.filter((x) => !x.includes('\u0000') && !x.includes('${env:'));

/** Numbers at the edges: beyond int64, beyond 2^53, negative zero, tiny, fractional, huge. */
export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, 1e20, -1e20, 2 ** 53, 2 ** 53 + 2, 2 ** 63, Number("9223372036854775807"), 1e308, 5e-324, Number("99999999999999999999"), 123.456),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any value: what a field of the wrong type might hold. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: oddNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(fc.oneof(hostileString, oddNumber), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('a', 'kind', 'id', '__proto__', 'constructor'), oddNumber, { maxKeys: 2 }) },
);

/**
 * How wild a generated object is. `valid`: every field has the right type and shape (only free
 * text, values and entity SQL are hostile), so that cases reach the warehouse; `malformed`: any
 * field may hold anything.
 */
export type Wildness = 'valid' | 'malformed';

/** A value that is right for its field, or (malformed) sometimes anything at all. */
const sometimes = <T>(good: fc.Arbitrary<T>, w: Wildness = 'malformed'): fc.Arbitrary<unknown> =>
  w === 'valid' ? good : fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: anyValue });

const idLike = (pool: readonly string[], w: Wildness = 'malformed') => sometimes(fc.constantFrom(...pool), w);

function windowArb(w: Wildness): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.record({ last: sometimes(fc.integer({ min: 1, max: 400 }), w), unit: sometimes(fc.constantFrom(...TIME_UNITS), w) }),
    fc.record({
      from: sometimes(fc.constantFrom('2026-01-01', '2025-06-30T12:00:00Z', ...(w === 'valid' ? [] : ['2026-02-30', '2026-13-01T00:00:00Z'])), w),
      to: sometimes(fc.constantFrom('2026-02-01', '2027-01-01T00:00:00+02:00', ...(w === 'valid' ? [] : ['tomorrow'])), w),
    }),
  );
}

/** Columns of the fuzz warehouse's persons table, and names that are not there. */
export const TRAIT_COLUMNS = ['vip', 'score', 'email', 'n', 'person_id', 'missing', 'Score'] as const;
export const EVENT_NAMES = ['purchase', 'page_view', 'purchse', 'Purchase'] as const;

/** A trait or `where` comparison; with `valid`, the value has the shape the operator needs. */
function comparison(columns: readonly string[], w: Wildness): fc.Arbitrary<Record<string, unknown>> {
  const text = w === 'valid' ? freeText.filter((x) => x.length <= 1024) : hostileString;
  const scalar = fc.oneof(text, oddNumber.filter((n) => w !== 'valid' || Math.abs(n) <= Number.MAX_SAFE_INTEGER), fc.boolean());
  const shaped = fc.oneof(
    fc.record({ op: fc.constantFrom(...COMPARISON_OPS), value: scalar }),
    fc.record({ op: fc.constantFrom('contains', 'not_contains', 'starts_with', 'ends_with'), value: text }),
    fc.record({ op: fc.constantFrom('in', 'not_in'), value: fc.array(scalar, { minLength: 1, maxLength: 4 }) }),
    fc.record({ op: fc.constantFrom('is_set', 'is_not_set') }),
    fc.record({ op: fc.constantFrom('within_last', 'not_within_last'), value: fc.record({ last: fc.integer({ min: 1, max: 50 }), unit: fc.constantFrom(...TIME_UNITS) }) }),
  );
  const loose = fc.record({ op: idLike([...FILTER_OPS]), value: fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), windowArb(w)) }, { requiredKeys: ['op'] });
  return fc.tuple(idLike(columns, w), w === 'valid' ? shaped : fc.oneof(shaped, loose)).map(([column, rest]) => ({ column, ...rest }));
}

function leafCondition(segmentIds: readonly string[], w: Wildness): fc.Arbitrary<Record<string, unknown>> {
  const event = fc
    .record(
      {
        kind: fc.constant('event'),
        event: sometimes(fc.oneof(fc.constantFrom(...EVENT_NAMES), freeText.filter((x) => x.length > 0 && x.length <= 256)), w),
        performed: sometimes(fc.boolean(), w),
        count: fc.record({ op: idLike([...COMPARISON_OPS], w), value: sometimes(fc.integer({ min: 0, max: 5 }), w) }),
        window: windowArb(w),
        where: fc.array(comparison(['event_name', 'occurred_at', 'amount'], w), { maxLength: 2 }),
      },
      { requiredKeys: ['kind', 'event'] },
    )
    .map((c) => (w === 'valid' && c.performed === false ? { ...c, count: undefined } : c));
  return fc.oneof(
    comparison(w === 'valid' ? TRAIT_COLUMNS : [...TRAIT_COLUMNS, 'company.name'], w).map(({ column, ...rest }) => ({ kind: 'trait', trait: column, ...rest })),
    event,
    fc.record({ kind: fc.constantFrom('first_seen', 'last_seen'), op: idLike(['within_last', 'not_within_last'], w), value: fc.record({ last: sometimes(fc.integer({ min: 1, max: 50 }), w), unit: idLike([...TIME_UNITS], w) }) }),
    fc.record({ kind: fc.constant('sessions'), count: fc.record({ op: idLike([...COMPARISON_OPS], w), value: sometimes(fc.nat(5), w) }) }),
    fc.record({ kind: fc.constant('identified'), value: sometimes(fc.boolean(), w) }),
    ...(w === 'valid' && segmentIds.length === 0
      ? []
      : [fc.record({ kind: fc.constant('segment'), segment: idLike(w === 'valid' ? segmentIds : [...segmentIds, 'nope'], w), member: sometimes(fc.boolean(), w) })]),
  );
}

/** A condition, groups nested up to `depth` (deeper than the limit of 5 on purpose, sometimes). */
export function conditionArb(segmentIds: readonly string[], w: Wildness = 'malformed', depth = w === 'valid' ? 3 : 7): fc.Arbitrary<Record<string, unknown>> {
  const leaf = leafCondition(segmentIds, w);
  if (depth <= 0) return leaf;
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('group'),
        match: idLike(['all', 'any'], w),
        conditions: fc.array(fc.constant(null).chain(() => conditionArb(segmentIds, w, depth - 1)), { minLength: w === 'valid' ? 1 : 0, maxLength: 3 }),
      }),
    },
  );
}

/** A segment definition (SPEC §2): the body of a segment as the workspace file or the API holds it. */
export function segmentArb(id: string, segmentIds: readonly string[], w: Wildness = 'malformed'): fc.Arbitrary<Record<string, unknown>> {
  const body = fc.record(
    {
      id: sometimes(fc.constant(id), w),
      entity: idLike(w === 'valid' ? ['person'] : ['person', 'account'], w),
      name: sometimes(fc.oneof(fc.constantFrom('Buyers', 'Žluťoučký kůň', 'cancer patients'), freeText.filter((x) => x.length > 0 && x.length <= 200)), w),
      description: w === 'valid' ? freeText.filter((x) => x.length <= 2000) : hostileString,
      labels: fc.array(w === 'valid' ? freeText.filter((x) => x.length > 0 && x.length <= 64) : hostileString, { maxLength: 3 }),
      type: idLike(['dynamic', 'dynamic', 'dynamic', 'static', 'everyone'], w),
      status: idLike(['active', 'draft', 'paused', 'archived'], w),
      alias: sometimes(fc.constantFrom('aud-fuzz', 'aud-fuzz-2', ...(w === 'valid' ? [] : ['hiv-buyers', 'ab'])), w),
      // Valid rules reference only earlier segments: no cycles.
      rules: fc.record({
        match: idLike(['all', 'any'], w),
        conditions: fc.array(conditionArb(w === 'valid' ? segmentIds.slice(0, segmentIds.indexOf(id)) : segmentIds, w), { minLength: w === 'valid' ? 1 : 0, maxLength: 4 }),
      }),
      members: fc.array(fc.oneof(w === 'valid' ? freeText.filter((x) => x.length <= 256) : hostileString, oddNumber), { maxLength: 4 }),
    },
    { requiredKeys: ['id', 'entity', 'name'] },
  );
  // Mostly only the fields that belong to the segment's type, so that its rules are reached.
  return fc.tuple(body, fc.nat(3), fc.nat(3)).map(([seg, keepRules, keepMembers]) => {
    const out = { ...seg };
    if ((out.type ?? 'dynamic') === 'dynamic' && w === 'valid' && out.rules === undefined) out.type = 'everyone';
    if ((out.type ?? 'dynamic') !== 'dynamic' && (keepRules > 0 || w === 'valid')) delete out.rules;
    if (out.type !== 'static' && (keepMembers > 0 || w === 'valid')) delete out.members;
    return out;
  });
}

/** Entity SQL: well-formed, and the injections that once dropped a table. */
export function entitySqlArb(schema: string): fc.Arbitrary<string> {
  return fc.constantFrom(
    `SELECT person_id, email, vip, score, n FROM ${schema}.persons`,
    `SELECT * FROM ${schema}.persons;`,
    `SELECT * FROM ${schema}.persons) AS q; DROP TABLE ${schema}.canary; SELECT * FROM (SELECT 1`,
    `SELECT 1; DROP TABLE ${schema}.canary`,
    `DROP TABLE ${schema}.canary`,
    `DELETE FROM ${schema}.canary RETURNING 'p' AS person_id`,
    `WITH d AS (DELETE FROM ${schema}.canary RETURNING *) SELECT 'p' AS person_id FROM d`,
    `SELECT * FROM ${schema}.persons -- ) AS p; DROP TABLE ${schema}.canary`,
    `SELECT * FROM ${schema}.persons /* `,
    `CREATE TABLE ${schema}.made AS SELECT 1 AS person_id`,
    `SELECT * FROM ${schema}.persons; -- trailing`,
    ` `,
  );
}

export interface WorkspaceOptions {
  /** The `warehouse:` section (a valid one, so warehouse-side checks are reached). */
  warehouse: Record<string, unknown>;
  /** Schema of the fuzz tables: `persons`, `events`, `canary`. */
  schema: string;
  wildness?: Wildness;
}

/** A whole workspace object; `malformed` ones are then mutated a little (see `mutationArb`). */
export function workspaceArb(o: WorkspaceOptions): fc.Arbitrary<Record<string, unknown>> {
  const w = o.wildness ?? 'malformed';
  const ids = ['s0', 's1', 's2'];
  const entity = fc.record({
    id: sometimes(fc.constant('person'), w),
    kind: idLike(['person', 'account'], w),
    source: fc.oneof({ weight: 3, arbitrary: fc.constant<string | undefined>(undefined) }, { weight: 1, arbitrary: entitySqlArb(o.schema) }),
    primaryKey: idLike(w === 'valid' ? ['person_id'] : ['person_id', 'n', 'missing'], w),
    identifiers: sometimes(fc.record({ email: idLike(w === 'valid' ? ['email'] : ['email', 'missing'], w) }, { requiredKeys: [] }), w),
    events: sometimes(
      fc.record({
        table: idLike(w === 'valid' ? [`${o.schema}.events`] : [`${o.schema}.events`, `${o.schema}.nowhere`], w),
        personKey: idLike(['person_id'], w),
        name: idLike(w === 'valid' ? ['event_name'] : ['event_name', 'occurred_at'], w),
        timestamp: idLike(w === 'valid' ? ['occurred_at'] : ['occurred_at', 'event_name'], w),
        sessionKey: idLike(w === 'valid' ? ['session_id'] : ['session_id', 'missing'], w),
      }),
      w,
    ),
  });
  const workspace = fc.record({
    version: sometimes(fc.constant(1), w),
    warehouse: sometimes(fc.constant(o.warehouse), w),
    stateSchema: fc.oneof({ weight: 4, arbitrary: fc.constant(`${o.schema.replace(/\W/g, '_')}_state`) }, { weight: w === 'valid' ? 0 : 1, arbitrary: anyValue }),
    entities: entity.map((e) => {
      const { source, ...rest } = e;
      return [source === undefined ? { ...rest, table: `${o.schema}.persons` } : { ...rest, sql: source }];
    }),
    segments: fc.tuple(...ids.map((id) => segmentArb(id, ids, w))),
    // The meta destination's token is never set: only commands that use it may ask for it.
    destinations: sometimes(
      fc.oneof(
        { weight: w === 'valid' ? 3 : 0, arbitrary: fc.constant([{ id: 'out', type: 'file', settings: { path: './exports' } }]) },
        {
          weight: 1,
          arbitrary: fc.constant([
            { id: 'out', type: 'file', settings: { path: './exports' } },
            { id: 'meta', type: 'meta', settings: { adAccountId: '1', accessToken: '${env:OUTFLOW_FUZZ_UNSET}' } },
          ]),
        },
      ),
      w,
    ),
    syncs: fc.array(
      fc.record(
        {
          id: sometimes(fc.constant('sync-a'), w),
          segment: idLike(ids, w),
          destination: idLike(w === 'valid' ? ['out'] : ['out', 'out', 'meta', 'gone'], w),
          mode: idLike(['mirror', 'add_only'], w),
          schedule: sometimes(fc.constantFrom('0 6 * * *', '15 3 * * 1-5', ...(w === 'valid' ? [] : ['61 * * * *', '0 0 30 2 *', '*/0 * * * *', '@daily'])), w),
          identifiers: sometimes(fc.constant([...IDENTIFIER_KINDS.slice(0, 1)]), w),
          maxRemovalShare: sometimes(fc.double({ min: 0, max: 1, noNaN: true }), w),
        },
        { requiredKeys: ['id', 'segment', 'destination'] },
      ),
      { minLength: w === 'valid' ? 1 : 0, maxLength: 1 },
    ),
    limits: fc.option(fc.record({ maxConditions: sometimes(fc.integer({ min: w === 'valid' ? 50 : 1, max: 60 }), w) }), { nil: undefined }),
  });
  const mutations = w === 'valid' ? fc.constant([] as Mutation[]) : fc.array(mutationArb, { maxLength: 2 });
  return fc
    .tuple(workspace, mutations)
    .map(([ws, ms]) => ms.reduce((acc, m) => m(acc), ws as Record<string, unknown>))
    .map((ws) => JSON.parse(JSON.stringify(ws)) as Record<string, unknown>);
}

type Mutation = (ws: Record<string, unknown>) => Record<string, unknown>;

/** Every path (as keys) to a value inside `value`. */
function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
  return out;
}

function edit(ws: Record<string, unknown>, pick: number, fn: (parent: Record<string | number, unknown>, key: string | number) => void): Record<string, unknown> {
  const copy = structuredClone(ws);
  // A server's address and credentials are left alone: a wrong one that is well-formed is a
  // failure to connect (exit 1), not input the file's checks could catch.
  const server = (copy.warehouse as { type?: unknown } | undefined)?.type !== 'duckdb';
  const all = paths(copy).filter((p) => p.length > 0 && !(server && p[0] === 'warehouse' && p.length > 1));
  const at = all[pick % Math.max(1, all.length)];
  if (!at) return copy;
  let parent = copy as Record<string | number, unknown>;
  for (const k of at.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  fn(parent, at.at(-1)!);
  return copy;
}

/** One change at a random place: a value replaced, a key removed or added, a value nested deep. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), anyValue).map(([pick, v]): Mutation => (ws) => edit(ws, pick, (p, k) => void (p[k] = v))),
  fc.nat().map((pick): Mutation => (ws) => edit(ws, pick, (p, k) => void (Array.isArray(p) ? p.splice(Number(k), 1) : delete p[k]))),
  fc.tuple(fc.nat(), fc.constantFrom('rulez', 'kind ', 'Id', '__proto__', '$ref')).map(([pick, key]): Mutation => (ws) =>
    edit(ws, pick, (p, k) => {
      const target = p[k];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>)[key] = 1;
    }),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 10, max: 200 })).map(([pick, depth]): Mutation => (ws) =>
    edit(ws, pick, (p, k) => {
      let v: unknown = p[k];
      for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { kind: 'group', match: 'all', conditions: [v] };
      p[k] = v;
    }),
  ),
);

/** YAML text with the mutations only text can carry: aliases, bad bytes, tabs, duplicate keys. */
export function yamlTextArb(ws: fc.Arbitrary<Record<string, unknown>>, w: Wildness = 'malformed'): fc.Arbitrary<string | Buffer> {
  const text = ws.map((x) => stringify(x, { aliasDuplicateObjects: false, lineWidth: 0 }));
  return fc.oneof(
    { weight: w === 'valid' ? 40 : 6, arbitrary: text },
    {
      weight: 1,
      arbitrary: fc.tuple(text, fc.integer({ min: 2, max: 9 })).map(([t, n]) => {
        const levels = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
        for (let i = 1; i <= n; i++) levels.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]`);
        return `${t}${levels.join('\n')}\n`;
      }),
    },
    { weight: 1, arbitrary: fc.tuple(text, fc.nat()).map(([t, at]) => `${t.slice(0, at % (t.length + 1))}\u0000${t.slice(at % (t.length + 1))}`) },
    { weight: 1, arbitrary: fc.tuple(text, fc.nat()).map(([t, at]) => Buffer.concat([Buffer.from(t.slice(0, at % (t.length + 1))), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(t.slice(at % (t.length + 1)))])) },
    { weight: 1, arbitrary: text.map((t) => t.replace(/^( {2})+/gm, (m) => '\t'.repeat(m.length / 2))) },
    { weight: 1, arbitrary: text.map((t) => `${t}version: 1\n`) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => `version: 1\nwarehouse: ${'['.repeat(n)}${']'.repeat(n)}\n`) },
    { weight: 1, arbitrary: fc.constantFrom('', '\n', '---\n---\n', '[]', '42', '"version: 1"', '{', 'version: 1\nversion: 2\n', '? [a, b]\n: c\n') },
  );
}

/** Destination types a command line may name, and more. */
export const DESTINATION_NAMES = [...DESTINATION_TYPES] as const;

/** A command line (after `outflow --config <file>`): commands that read or evaluate, with hostile arguments. */
export const argvArb: fc.Arbitrary<string[]> = (() => {
  const safe = hostileString.filter((x) => !x.includes('\u0000'));
  const segment = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('s0', 's1', 's2') }, { weight: 1, arbitrary: safe });
  const sync = fc.oneof({ weight: 6, arbitrary: fc.constant('sync-a') }, { weight: 1, arbitrary: safe });
  const asOf = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('2026-01-02', '2026-01-02T00:00:00Z', '2026-01-03T12:00:00+02:00', '2025-12-31T23:59:59.999Z') },
    { weight: 1, arbitrary: fc.constantFrom('2026-02-30', '2026-01-01T24:00:00Z', '2026-01-01T10:00:00+0200', 'now', '1e20', '-1', '0000-01-01', '9999-12-31T23:59:59Z', '275760-09-13') },
    { weight: 1, arbitrary: safe },
  );
  const opt = <T extends string>(flag: string, v: fc.Arbitrary<T>) => fc.option(v.map((x) => [flag, x]), { nil: [] as string[] });
  const number = fc.oneof(fc.constantFrom('1', '10', '1_000'), fc.constantFrom('0', '-1', '99999999999999999999', '1e20', '12abc', '0x10', '', ' 5'));
  return fc.oneof(
    fc.constant<string[]>(['validate']),
    fc.constant<string[]>(['validate', '--check-warehouse']),
    fc.constant<string[]>(['segments', 'list']),
    fc.tuple(segment, opt('--as-of', asOf), opt('--dialect', fc.constantFrom('duckdb', 'postgres', 'bigquery', 'snowflake', 'oracle')), fc.boolean()).map(([i, a, d, inline]) => ['segments', 'sql', i, ...a, ...d, ...(inline ? ['--inline'] : [])]),
    fc.tuple(segment, opt('--as-of', asOf)).map(([i, a]) => ['segments', 'size', i, ...a]),
    fc.tuple(segment, opt('--as-of', asOf), opt('--format', fc.constantFrom('ids', 'csv', 'json', 'xml'))).map(([i, a, f]) => ['segments', 'members', i, ...a, ...f]),
    fc.tuple(segment, opt('--as-of', asOf)).map(([i, a]) => ['segments', 'refresh', i, ...a]),
    fc.tuple(sync, opt('-n', number)).map(([i, n]) => ['sync', 'status', i, ...n]),
    fc.tuple(sync, opt('--as-of', asOf), fc.boolean()).map(([i, a, dry]) => ['sync', 'run', i, ...(dry ? ['--dry-run'] : []), ...a]),
    fc.tuple(fc.constantFrom('segments', 'sync', 'bogus', '--bogus', '-c'), safe).map(([a, b]) => [a, b]),
  );
})();
