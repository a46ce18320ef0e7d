import fc from 'fast-check';
import { type Workspace, workspaceSchema } from '../../src/config/schema';
import type { CompiledQuery, SqlValue } from '../../src/warehouse/driver';
import {
  COMPARISON_OPS,
  type Condition,
  type EventFilter,
  type FilterOp,
  type RelativeWindow,
  TIME_UNITS,
  type Window,
  walkConditions,
} from '../../src/segments/rule-schema';
import { type Cell, type ColumnType, type DataRow, subtractWindow, type TableData } from './reference-evaluator';

/**
 * fast-check generators of small datasets and valid rule trees for the property tests.
 * Values are drawn from the same small pools as the data, so conditions actually match rows,
 * and timestamps cluster on the edges of the windows the rules use.
 */

/** Text that breaks naive SQL: LIKE wildcards, escapes, quotes, case, unicode, comment markers. */
export const AWKWARD_TEXT = [
  '',
  'a',
  'A',
  'abc',
  'ABC',
  'aBc',
  'a%c',
  'a_c',
  'aXc',
  'a\\c',
  '%',
  '_',
  '\\',
  '\\%',
  "'",
  "it's",
  "O'Brien",
  'o\'brien',
  '"quoted"',
  '50%',
  '5_0',
  '500',
  'pro',
  'Pro',
  'PRO',
  'free',
  '--',
  '/* x */',
  '; drop table persons',
  '$1',
  '?',
  'Émile',
  'émile',
  'naïve',
  'ΩMEGA',
  'ωmega',
  '名前',
  '🙂',
  ' a',
  'a ',
] as const;

export const EVENT_NAMES = ['purchase', 'Purchase', 'page_view', 'page%view', "it's", 'x\\y', '$1', 'café'] as const;
const RULE_ONLY_EVENT_NAMES = ['never_happens', 'PURCHASE', 'page_'] as const;

const NUMBERS = [-1, 0, 0.5, 1, 2, 2.5, 3, 10, 100] as const;
const INTEGERS = [-1, 0, 1, 2, 3, 10, 100] as const;

/** As-of instants chosen for calendar edges: month ends, leap day, year start, sub-second. */
export const AS_OF_CHOICES = [
  '2026-03-31T10:00:00.000Z',
  '2024-02-29T00:00:00.000Z',
  '2026-01-01T00:00:00.000Z',
  '2025-07-15T23:59:59.500Z',
  '2026-05-31T00:00:00.000Z',
  '2025-12-31T23:30:00.000Z',
  '2026-10-31T08:00:00.000Z',
] as const;

const WINDOW_LASTS = [1, 2, 3, 7, 30] as const;

export interface Scenario {
  ws: Workspace;
  tables: TableData[];
  asOf: Date;
}

export interface ScenarioOptions {
  /** Schema that holds the generated tables (each test run uses its own). */
  schema: string;
  maxPersons?: number;
  maxEvents?: number;
  maxSegments?: number;
  /** Single-condition segments added for the first leaf conditions, so no leaf hides behind and/or. */
  maxProbes?: number;
}

// Months weigh more than other units: their calendar arithmetic is where engines and naive code differ.
const relativeWindow: fc.Arbitrary<RelativeWindow> = fc.record({
  last: fc.oneof(fc.constant(1), fc.constantFrom(...WINDOW_LASTS)),
  unit: fc.oneof(fc.constant('month' as const), fc.constantFrom(...TIME_UNITS)),
});

/**
 * The windows one scenario's rules use, and instants on and around their edges. Drawing rule
 * windows and data timestamps from the same few edges makes boundary cases common, not rare.
 */
interface Focus {
  asOf: Date;
  relative: RelativeWindow[];
  absolute: { from: string; to: string }[];
  instants: Date[];
}

/** Absolute window edges: date-only and offset forms, some of them after as-of. */
function absolutePoints(asOf: Date): string[] {
  const day = 86_400_000;
  const at = (ms: number) => new Date(asOf.getTime() + ms);
  const dateOnly = (d: Date) => d.toISOString().slice(0, 10);
  return [
    dateOnly(at(-40 * day)),
    dateOnly(at(-7 * day)),
    dateOnly(at(0)),
    at(-3 * day).toISOString(),
    at(-1 * day).toISOString().replace('Z', '+00:00'),
    at(-3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    at(2 * day).toISOString(),
  ];
}

function focusArb(asOf: Date): fc.Arbitrary<Focus> {
  const points = absolutePoints(asOf);
  const absolute = fc
    .tuple(fc.constantFrom(...points), fc.constantFrom(...points))
    .filter(([a, b]) => Date.parse(a) < Date.parse(b))
    .map(([from, to]) => ({ from, to }));
  return fc
    .record({
      relative: fc.uniqueArray(relativeWindow, { minLength: 1, maxLength: 3, selector: (w) => `${w.last} ${w.unit}` }),
      absolute: fc.array(absolute, { minLength: 1, maxLength: 2 }),
    })
    .map(({ relative, absolute }) => {
      const edges: Date[] = [asOf, new Date(asOf.getTime() + 1), new Date(asOf.getTime() + 86_400_000)];
      for (const w of relative) {
        edges.push(subtractWindow(asOf, w));
        // The un-clamped month edge (Mar 31 - 1 month read as Mar 3) tells clamping from overflow.
        if (w.unit === 'month')
          edges.push(new Date(Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth() - w.last, asOf.getUTCDate(), asOf.getUTCHours(), asOf.getUTCMinutes())));
      }
      for (const w of absolute) edges.push(new Date(w.from), new Date(w.to));
      edges.push(new Date(asOf.getTime() - 400 * 86_400_000));
      return { asOf, relative, absolute, instants: edges };
    });
}

const JITTER_MS = [0, 0, 0, 0, -1, 1, -1000, 1000, -3_600_000] as const;

function instant(focus: Focus): fc.Arbitrary<Date> {
  return fc
    .tuple(fc.constantFrom(...focus.instants), fc.constantFrom(...JITTER_MS))
    .map(([p, j]) => new Date(p.getTime() + j));
}

const nullable = <T>(arb: fc.Arbitrary<T>, freq = 0.25): fc.Arbitrary<T | null> =>
  fc.option(arb, { freq: Math.round(1 / freq), nil: null });

/**
 * Short pieces that text is built from, so that data and rule values overlap often: case
 * variants, LIKE wildcards and escapes, quotes, unicode (letters every engine folds alike).
 */
const TEXT_STEMS = ['a', 'A', 'b', 'B', '%', '_', '\\', "'", '"', 'é', 'É', 'ω', 'Ω', '名', '🙂', ' ', '-', ';'] as const;
const stemText = fc.array(fc.constantFrom(...TEXT_STEMS), { maxLength: 3 }).map((parts) => parts.join(''));
/** Text with a LIKE wildcard or escape in it, for the case-insensitive operators' values. */
const likeText = fc
  .tuple(fc.constantFrom('%', '_', '\\', '\\%', '_%'), fc.constantFrom(...TEXT_STEMS), fc.boolean())
  .map(([wild, stem, before]) => (before ? wild + stem : stem + wild));
const text = fc.oneof({ weight: 3, arbitrary: stemText }, { weight: 1, arbitrary: fc.constantFrom(...AWKWARD_TEXT) });

interface Shape {
  personColumns: { name: string; type: ColumnType }[];
  /** Integer keys make the compiler cast them to text and compare static members as text. */
  keyType: 'text' | 'integer';
  /** The entity as `sql: select * from ...` instead of a table. */
  entitySql: boolean;
  phoneMapped: boolean;
  eventTimestampType: ColumnType;
  identifiedColumn: boolean;
}

const PERSON_COLUMNS: { name: string; type: ColumnType }[] = [
  { name: 'person_id', type: 'text' },
  { name: 'email', type: 'text' },
  { name: 'phone', type: 'text' },
  { name: 'name', type: 'text' },
  { name: 'plan', type: 'text' },
  { name: 'age', type: 'integer' },
  { name: 'score', type: 'double' },
  { name: 'vip', type: 'boolean' },
  { name: 'is_identified', type: 'boolean' },
  { name: 'signup_date', type: 'date' },
  { name: 'last_order_at', type: 'timestamptz' },
  { name: 'company_id', type: 'text' },
];
const COMPANY_COLUMNS: { name: string; type: ColumnType }[] = [
  { name: 'company_id', type: 'text' },
  { name: 'industry', type: 'text' },
  { name: 'employees', type: 'integer' },
];
const COMPANY_IDS = ['c1', 'c2', 'c3', 'c4'] as const;

function midnight(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

function cellFor(type: ColumnType, focus: Focus): fc.Arbitrary<Cell> {
  switch (type) {
    case 'text':
      return nullable(text);
    case 'integer':
      return nullable(fc.constantFrom(...INTEGERS));
    case 'double':
      return nullable(fc.constantFrom(...NUMBERS));
    case 'boolean':
      return nullable(fc.boolean());
    case 'date':
      return nullable(instant(focus).map(midnight));
    case 'timestamp':
    case 'timestamptz':
      return nullable(instant(focus));
  }
}

function personsArb(focus: Focus, max: number): fc.Arbitrary<DataRow[]> {
  const row = fc.record({
    email: nullable(text, 0.4),
    phone: nullable(fc.constantFrom('+15550100', '+15550101', ''), 0.6),
    name: cellFor('text', focus),
    plan: nullable(fc.constantFrom('pro', 'Pro', 'free', 'PRO', 'pro%', 'pro_plan')),
    age: cellFor('integer', focus),
    score: cellFor('double', focus),
    vip: cellFor('boolean', focus),
    is_identified: cellFor('boolean', focus),
    signup_date: cellFor('date', focus),
    last_order_at: cellFor('timestamptz', focus),
    company_id: nullable(fc.constantFrom(...COMPANY_IDS, 'c_missing')),
  });
  return fc.array(row, { minLength: 2, maxLength: max }).map((rows) => rows.map((r, i) => ({ person_id: `p${i}`, ...r })));
}

function companiesArb(): fc.Arbitrary<DataRow[]> {
  // Some companies referenced by persons have no row: their traits are null.
  return fc.subarray([...COMPANY_IDS]).chain((ids) =>
    fc
      .tuple(...ids.map(() => fc.record({ industry: nullable(text), employees: nullable(fc.constantFrom(...INTEGERS)) })))
      .map((rows) => rows.map((r, i) => ({ company_id: ids[i]!, ...r }))),
  );
}

function eventsArb(focus: Focus, persons: number, max: number): fc.Arbitrary<DataRow[]> {
  const ids = [...Array.from({ length: persons }, (_, i) => `p${i}`), 'p_orphan'];
  return fc.array(
    fc.record({
      person_id: nullable(fc.constantFrom(...ids), 0.05),
      event_name: fc.oneof(fc.constant('purchase'), fc.constantFrom(...EVENT_NAMES)),
      occurred_at: nullable(instant(focus), 0.03),
      session_id: nullable(fc.constantFrom('s1', 's2', 's3', 'S1'), 0.3),
      amount: cellFor('double', focus),
      url: cellFor('text', focus),
    }),
    { maxLength: max },
  );
}

type ColumnFamily = 'text' | 'number' | 'boolean' | 'time';
const familyOf = (t: ColumnType): ColumnFamily =>
  t === 'text' ? 'text' : t === 'integer' || t === 'double' ? 'number' : t === 'boolean' ? 'boolean' : 'time';

/** An operator and a value that fit a column of the given family. */
function filterFor(family: ColumnFamily, focus: Focus): fc.Arbitrary<{ op: FilterOp; value?: EventFilter['value'] }> {
  const presence = fc.constantFrom<FilterOp>('is_set', 'is_not_set').map((op) => ({ op }));
  switch (family) {
    case 'text':
      // LIKE-based operators weigh most: escaping wildcards and folding case is where they go wrong.
      return fc.oneof(
        { weight: 2, arbitrary: fc.record({ op: fc.constantFrom<FilterOp>(...COMPARISON_OPS), value: text }) },
        {
          weight: 4,
          arbitrary: fc.record({
            op: fc.constantFrom<FilterOp>('contains', 'not_contains', 'starts_with', 'ends_with'),
            value: fc.oneof(likeText, text, fc.constantFrom(...TEXT_STEMS)),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({ op: fc.constantFrom<FilterOp>('in', 'not_in'), value: fc.uniqueArray(text, { minLength: 1, maxLength: 4 }) }),
        },
        { weight: 1, arbitrary: presence },
      );
    case 'number':
      return fc.oneof(
        fc.record({ op: fc.constantFrom<FilterOp>(...COMPARISON_OPS), value: fc.constantFrom(...NUMBERS) }),
        fc.record({
          op: fc.constantFrom<FilterOp>('in', 'not_in'),
          value: fc.uniqueArray(fc.constantFrom(...INTEGERS), { minLength: 1, maxLength: 3 }),
        }),
        presence,
      );
    case 'boolean':
      return fc.oneof(fc.record({ op: fc.constantFrom<FilterOp>('=', '!='), value: fc.boolean() }), presence);
    case 'time':
      return fc.oneof(
        fc.record({ op: fc.constantFrom<FilterOp>('within_last', 'not_within_last'), value: fc.constantFrom(...focus.relative) }),
        // ISO instants compared with dates and timestamps, drawn from the same edges as the data.
        fc.record({
          op: fc.constantFrom<FilterOp>(...COMPARISON_OPS),
          value: fc.constantFrom(...focus.absolute.flatMap((w) => [w.from, w.to])),
        }),
        presence,
      );
  }
}

const countArb = fc.record({ op: fc.constantFrom(...COMPARISON_OPS), value: fc.integer({ min: 0, max: 3 }) });

function windowArb(focus: Focus): fc.Arbitrary<Window | undefined> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom(...focus.relative) },
    { weight: 2, arbitrary: fc.constantFrom(...focus.absolute) },
  );
}

const EVENT_FILTER_COLUMNS: { name: string; type: ColumnType }[] = [
  { name: 'amount', type: 'double' },
  { name: 'url', type: 'text' },
  { name: 'session_id', type: 'text' },
  { name: 'occurred_at', type: 'timestamptz' },
];

function leafArb(focus: Focus, shape: Shape, earlier: readonly string[]): fc.Arbitrary<Condition> {
  const traitColumns = [
    ...shape.personColumns.filter((c) => c.name !== 'person_id'),
    ...COMPANY_COLUMNS.filter((c) => c.name !== 'company_id').map((c) => ({ ...c, name: `company.${c.name}` })),
  ];
  const trait = fc
    .constantFrom(...traitColumns)
    .chain((col) => filterFor(familyOf(col.type), focus).map((f) => ({ kind: 'trait' as const, trait: col.name, ...f })));
  const where = fc.array(
    fc.constantFrom(...EVENT_FILTER_COLUMNS).chain((col) => filterFor(familyOf(col.type), focus).map((f) => ({ column: col.name, ...f }))),
    { maxLength: 2 },
  );
  const maybeWhere = fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: where });
  const event = fc
    .record({
      event: fc.oneof(fc.constant('purchase'), fc.constantFrom(...EVENT_NAMES, ...RULE_ONLY_EVENT_NAMES)),
      performed: fc.boolean().chain((b) => (b ? fc.constant(true) : fc.boolean())),
      count: fc.option(countArb, { nil: undefined }),
      window: windowArb(focus),
      where: maybeWhere,
    })
    .map(({ event, performed, count, window, where }) => {
      const c: Record<string, unknown> = { kind: 'event', event };
      if (!performed) c.performed = false;
      else if (count) c.count = count;
      if (window) c.window = window;
      if (where.length > 0) c.where = where;
      return c as Condition;
    });
  const seen = fc.record({
    kind: fc.constantFrom('first_seen' as const, 'last_seen' as const),
    op: fc.constantFrom('within_last' as const, 'not_within_last' as const),
    value: fc.constantFrom(...focus.relative),
  });
  const sessions = fc
    .record({ count: countArb, window: windowArb(focus) })
    .map(({ count, window }) => (window ? { kind: 'sessions' as const, count, window } : { kind: 'sessions' as const, count }));
  const identified = fc.boolean().map((value) => ({ kind: 'identified' as const, value }));
  const leaves: fc.Arbitrary<Condition>[] = [trait, trait, trait, trait, event, event, event, seen, sessions, identified];
  if (earlier.length > 0)
    leaves.push(
      fc.record({ segment: fc.constantFrom(...earlier), member: fc.boolean() }).map((r) => ({ kind: 'segment' as const, ...r })),
    );
  return fc.oneof(...leaves);
}

/** Conditions of a rules block, with groups nested at most `depth` levels further down. */
function conditionsArb(focus: Focus, shape: Shape, earlier: readonly string[], depth: number): fc.Arbitrary<Condition[]> {
  const leaf = leafArb(focus, shape, earlier);
  const condition: fc.Arbitrary<Condition> =
    depth <= 0
      ? leaf
      : fc.oneof(
          { weight: 4, arbitrary: leaf },
          {
            weight: 1,
            arbitrary: fc
              .record({
                match: fc.constantFrom('all' as const, 'any' as const),
                conditions: fc.constant(null).chain(() => conditionsArb(focus, shape, earlier, depth - 1)),
              })
              .map((g) => ({ kind: 'group' as const, ...g })),
          },
        );
  return fc.array(condition, { minLength: 1, maxLength: 3 });
}

function segmentArb(focus: Focus, shape: Shape, index: number, personCount: number): fc.Arbitrary<Record<string, unknown>> {
  const id = `s${index}`;
  const earlier = Array.from({ length: index }, (_, i) => `s${i}`);
  const dynamic = fc
    .record({ match: fc.constantFrom('all' as const, 'any' as const), conditions: conditionsArb(focus, shape, earlier, 4) })
    .filter((rules) => [...walkConditions(rules.conditions)].length <= 50)
    .map((rules) => ({ id, entity: 'person', name: id, type: 'dynamic', rules }));
  const ids = Array.from({ length: personCount }, (_, i) => `p${i}`);
  const stat = fc
    .subarray([...ids, 'p_not_in_table'])
    .map((members) => ({ id, entity: 'person', name: id, type: 'static', members }));
  const everyone = fc.constant({ id, entity: 'person', name: id, type: 'everyone' });
  return fc.oneof({ weight: 8, arbitrary: dynamic }, { weight: 1, arbitrary: stat }, { weight: 1, arbitrary: everyone });
}

/** A workspace with one person entity (events, sessions, a companies relation) and its data. */
export function scenarioArb(options: ScenarioOptions): fc.Arbitrary<Scenario> {
  const { schema, maxPersons = 12, maxEvents = 40, maxSegments = 3, maxProbes = 6 } = options;
  return fc
    .record({
      asOf: fc.constantFrom(...AS_OF_CHOICES).map((s) => new Date(s)),
      eventTimestampType: fc.constantFrom<ColumnType>('timestamptz', 'timestamp'),
      identifiedColumn: fc.boolean(),
      keyType: fc.constantFrom('text' as const, 'integer' as const),
      entitySql: fc.boolean(),
      phoneMapped: fc.boolean(),
      segmentCount: fc.integer({ min: 1, max: maxSegments }),
    })
    .chain(({ asOf, eventTimestampType, identifiedColumn, keyType, entitySql, phoneMapped, segmentCount }) => {
      const shape: Shape = { personColumns: PERSON_COLUMNS, keyType, entitySql, phoneMapped, eventTimestampType, identifiedColumn };
      return focusArb(asOf).chain((focus) =>
        personsArb(focus, maxPersons).chain((persons) =>
          fc
            .record({
              companies: companiesArb(),
              events: eventsArb(focus, persons.length, maxEvents),
              segments: fc.tuple(...Array.from({ length: segmentCount }, (_, i) => segmentArb(focus, shape, i, persons.length))),
            })
            .map(({ companies, events, segments }) =>
              buildScenario(schema, shape, asOf, persons, companies, events, [...segments, ...probes(segments, maxProbes)]),
            ),
        ),
      );
    });
}

/** Text keys, a persons table, phone mapped, timestamptz events: the shape of hand-written scenarios. */
const PLAIN_SHAPE: Shape = {
  personColumns: PERSON_COLUMNS,
  keyType: 'text',
  entitySql: false,
  phoneMapped: true,
  eventTimestampType: 'timestamptz',
  identifiedColumn: false,
};

/**
 * A hand-written scenario on the generated schema (for regression tests): missing person
 * columns are null, and each segment is `{id, rules}` or a full segment.
 */
export function fixedScenario(
  schema: string,
  asOf: string,
  data: { persons: DataRow[]; companies?: DataRow[]; events?: DataRow[] },
  segments: Record<string, unknown>[],
): Scenario {
  const persons = data.persons.map((p) => Object.fromEntries(PERSON_COLUMNS.map((c) => [c.name, p[c.name] ?? null])));
  const events = (data.events ?? []).map((e) => ({ session_id: null, amount: null, url: null, ...e }));
  const full = segments.map((s) => ({ entity: 'person', name: String(s.id), ...s }));
  return buildScenario(schema, PLAIN_SHAPE, new Date(asOf), persons, data.companies ?? [], events, full);
}

/**
 * One segment per leaf condition (up to `max`): inside a larger and/or a wrong leaf is often
 * masked by its siblings; on its own it shows.
 */
function probes(segments: Record<string, unknown>[], max: number): Record<string, unknown>[] {
  const leaves: Condition[] = [];
  for (const s of segments) {
    const rules = s.rules as { conditions: Condition[] } | undefined;
    if (rules) for (const c of walkConditions(rules.conditions)) if (c.kind !== 'group' && leaves.length < max) leaves.push(c);
  }
  return leaves.map((c, i) => ({ id: `probe${i}`, entity: 'person', name: `probe${i}`, rules: { match: 'all', conditions: [c] } }));
}

function buildScenario(
  schema: string,
  shape: Shape,
  asOf: Date,
  persons: DataRow[],
  companies: DataRow[],
  events: DataRow[],
  segments: Record<string, unknown>[],
): Scenario {
  if (shape.keyType === 'integer') {
    // p<N> becomes N; ids that match no person keep matching none.
    const key = (id: Cell) => (id === null ? null : /^p\d+$/.test(String(id)) ? Number(String(id).slice(1)) : 999);
    persons = persons.map((p) => ({ ...p, person_id: key(p.person_id ?? null) }));
    events = events.map((e) => ({ ...e, person_id: key(e.person_id ?? null) }));
    segments = segments.map((s) => (Array.isArray(s.members) ? { ...s, members: s.members.map((m) => String(key(m as string))) } : s));
  }
  const personColumns = shape.personColumns.map((c) => (c.name === 'person_id' ? { ...c, type: shape.keyType } : c));
  const sql = `select * from ${schema}.persons`;
  const raw = {
    version: 1,
    warehouse: { type: 'duckdb' },
    entities: [
      {
        id: 'person',
        ...(shape.entitySql ? { sql } : { table: `${schema}.persons` }),
        primaryKey: 'person_id',
        // Without a phone mapping, "identified" defaults to the email alone.
        identifiers: { email: 'email', ...(shape.phoneMapped ? { phone: 'phone' } : {}), firstName: 'name' },
        ...(shape.identifiedColumn ? { identifiedColumn: 'is_identified' } : {}),
        events: {
          table: `${schema}.events`,
          personKey: 'person_id',
          name: 'event_name',
          timestamp: 'occurred_at',
          sessionKey: 'session_id',
        },
        relations: [{ name: 'company', table: `${schema}.companies`, key: 'company_id', foreignKey: 'company_id' }],
      },
    ],
    segments,
  };
  const ws = workspaceSchema.parse(raw);
  const tables: TableData[] = [
    { name: `${schema}.persons`, columns: personColumns, rows: persons },
    { name: `${schema}.companies`, columns: COMPANY_COLUMNS, rows: companies },
    {
      name: `${schema}.events`,
      columns: [
        { name: 'person_id', type: shape.keyType },
        { name: 'event_name', type: 'text' },
        { name: 'occurred_at', type: shape.eventTimestampType },
        { name: 'session_id', type: 'text' },
        { name: 'amount', type: 'double' },
        { name: 'url', type: 'text' },
      ],
      rows: events,
    },
  ];
  if (shape.entitySql) tables.push({ name: sql, columns: personColumns, rows: persons, virtual: true });
  return { ws, tables, asOf };
}

/** Engine column types for the generated tables. */
export const SQL_TYPES: Record<'duckdb' | 'postgres', Record<ColumnType, string>> = {
  duckdb: {
    text: 'VARCHAR',
    double: 'DOUBLE',
    integer: 'INTEGER',
    boolean: 'BOOLEAN',
    date: 'DATE',
    timestamp: 'TIMESTAMP',
    timestamptz: 'TIMESTAMPTZ',
  },
  postgres: {
    text: 'text',
    double: 'double precision',
    integer: 'integer',
    boolean: 'boolean',
    date: 'date',
    timestamp: 'timestamp',
    timestamptz: 'timestamptz',
  },
};

/** Statements that (re)create the tables and insert their rows, every value bound. */
export function loadStatements(
  tables: readonly TableData[],
  engine: 'duckdb' | 'postgres',
  quote: (qualified: string) => string,
  placeholder: (index: number) => string,
): CompiledQuery[] {
  const out: CompiledQuery[] = [];
  for (const t of tables) {
    if (t.virtual) continue;
    out.push({ sql: `drop table if exists ${quote(t.name)}`, params: [] });
    const cols = t.columns.map((c) => `${quote(c.name)} ${SQL_TYPES[engine][c.type]}`).join(', ');
    out.push({ sql: `create table ${quote(t.name)} (${cols})`, params: [] });
    if (t.rows.length === 0) continue;
    const params: SqlValue[] = [];
    const tuples = t.rows.map(
      (row) =>
        `(${t.columns
          .map((c) => {
            params.push(toSqlValue(row[c.name] ?? null, c.type));
            return `${placeholder(params.length - 1)}::${SQL_TYPES[engine][c.type]}`;
          })
          .join(', ')})`,
    );
    out.push({ sql: `insert into ${quote(t.name)} values ${tuples.join(', ')}`, params });
  }
  return out;
}

function toSqlValue(cell: Cell, type: ColumnType): SqlValue {
  if (cell instanceof Date) {
    // Naive timestamps and dates hold the UTC wall-clock time.
    if (type === 'date') return cell.toISOString().slice(0, 10);
    if (type === 'timestamp') return cell.toISOString().slice(0, 23).replace('T', ' ');
    return cell.toISOString();
  }
  return cell;
}

/**
 * Dense checks of the text operators: many persons with generated names, and four
 * single-condition segments comparing `name` with generated values (wildcards, escapes, case).
 */
export function textScenarioArb(schema: string): fc.Arbitrary<Scenario> {
  const focus: Focus = { asOf: new Date(AS_OF_CHOICES[0]), relative: [], absolute: [], instants: [new Date(AS_OF_CHOICES[0])] };
  return fc
    .record({
      names: fc.array(nullable(fc.oneof(text, likeText), 0.1), { minLength: 4, maxLength: 16 }),
      filters: fc.array(filterFor('text', focus), { minLength: 4, maxLength: 4 }),
    })
    .map(({ names, filters }) =>
      fixedScenario(
        schema,
        AS_OF_CHOICES[0],
        { persons: names.map((name, i) => ({ person_id: `p${i}`, name })) },
        filters.map((f, i) => ({ id: `t${i}`, rules: { conditions: [{ kind: 'trait', trait: 'name', ...f }] } })),
      ),
    );
}

/**
 * Dense checks of time: persons whose events and timestamps sit on the edges of a few windows,
 * and four single-condition segments using those windows (events with and without counts,
 * sessions, first/last seen, date and timestamp traits).
 */
export function timeScenarioArb(schema: string): fc.Arbitrary<Scenario> {
  return fc
    .record({ asOf: fc.constantFrom(...AS_OF_CHOICES).map((s) => new Date(s)), eventTimestampType: fc.constantFrom<ColumnType>('timestamptz', 'timestamp') })
    .chain(({ asOf, eventTimestampType }) =>
      focusArb(asOf).chain((focus) => {
        const count = fc.option(countArb, { nil: undefined });
        const condition: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
          fc
            .record({ window: windowArb(focus), count })
            .map(({ window, count }) => ({ kind: 'event', event: 'purchase', ...(window ? { window } : {}), ...(count ? { count } : {}) })),
          fc.record({ count: countArb, window: windowArb(focus) }).map(({ count, window }) => ({ kind: 'sessions', count, ...(window ? { window } : {}) })),
          fc.record({
            kind: fc.constantFrom('first_seen', 'last_seen'),
            op: fc.constantFrom('within_last', 'not_within_last'),
            value: fc.constantFrom(...focus.relative),
          }),
          fc
            .record({ trait: fc.constantFrom('signup_date', 'last_order_at'), f: filterFor('time', focus) })
            .map(({ trait, f }) => ({ kind: 'trait', trait, ...f })),
        );
        return fc
          .record({
            persons: fc.array(
              fc.record({ signup_date: nullable(instant(focus).map(midnight), 0.1), last_order_at: nullable(instant(focus), 0.1) }),
              { minLength: 4, maxLength: 12 },
            ),
            events: fc.array(
              fc.record({
                person: nullable(fc.nat({ max: 11 }), 0.05),
                event_name: fc.constant('purchase'),
                occurred_at: instant(focus),
                session_id: nullable(fc.constantFrom('s1', 's2', 's3'), 0.2),
              }),
              { maxLength: 40 },
            ),
            conditions: fc.array(condition, { minLength: 4, maxLength: 4 }),
          })
          .map(({ persons, events, conditions }) =>
            buildScenario(
              schema,
              { ...PLAIN_SHAPE, eventTimestampType },
              asOf,
              persons.map((p, i) => ({ ...Object.fromEntries(PERSON_COLUMNS.map((c) => [c.name, null])), ...p, person_id: `p${i}` })),
              [],
              events.map(({ person, ...e }) => ({ person_id: person === null ? null : `p${person}`, amount: null, url: null, ...e })),
              conditions.map((c, i) => ({ id: `w${i}`, entity: 'person', name: `w${i}`, rules: { match: 'all', conditions: [c] } })),
            ),
          );
      }),
    );
}
