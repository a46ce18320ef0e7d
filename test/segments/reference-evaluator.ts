import type { EntityConfig, SegmentConfig, Workspace } from '../../src/config/schema';
import type {
  Condition,
  Count,
  EventFilter,
  FilterOp,
  RelativeWindow,
  ScalarValue,
  Window,
} from '../../src/segments/rule-schema';

/**
 * A reference implementation of SPEC §2 as plain loops over in-memory rows. It shares no code
 * with the compiler: property tests compare the compiler's SQL, run on a real engine, with this.
 *
 * Readings of the SPEC that it encodes (where the SPEC leaves room, the choice is noted):
 * - Nulls: positive operators are false on null; `!=`, `not_contains`, `not_in` are true on null;
 *   `is_not_set` is true on null; `within_last` and `not_within_last` are false on null.
 * - `not_within_last` means "before the window": `t < asOf - N units` (a future value is neither).
 * - Text ordering (`<`, `>`) is by UTF-8 bytes, as DuckDB and PostgreSQL under a C collation do.
 * - Case-insensitive text operators fold case as JavaScript's `toLowerCase` does (the generated
 *   data avoids letters whose folding differs between engines, such as dotted capital I).
 * - Calendar months clamp to the end of the target month (Mar 31 - 1 month = Feb 28), as both
 *   DuckDB and PostgreSQL do; minutes, hours, days and weeks are fixed durations (UTC).
 * - `identified: false` holds for everyone `identified: true` does not hold for (a null
 *   `identifiedColumn` means not identified).
 * - `static` members are the entity rows whose primary key (as text) is listed.
 * - `retentionDays: N`: a member is who matches at as-of T, or whose last match (`lastMatched`,
 *   the latest as-of of a refresh at which they matched, recorded by the caller) L has
 *   `T - N days <= L <= T`; without `lastMatched`, nobody is retained. Only entity rows are members.
 * - A relation row that is missing (or a null foreign key) makes every relation trait null.
 * - A DATE column compared with an ISO instant compares with that instant's (UTC) date, as both
 *   engines read a value bound against a date column (`signup_date = 2026-11-02T08:00Z` holds
 *   on 2026-11-02). Timestamps compare as instants.
 */

export type Cell = string | number | boolean | Date | null;
export type ColumnType = 'text' | 'double' | 'integer' | 'boolean' | 'date' | 'timestamp' | 'timestamptz';
export type DataRow = Record<string, Cell>;

/** One table of a dataset: its columns (typed, to create it in an engine) and rows. */
export interface TableData {
  /** The table name exactly as the workspace file names it (e.g. `prop_ab12.persons`). */
  name: string;
  columns: readonly { name: string; type: ColumnType }[];
  rows: readonly DataRow[];
  /** Not a table in the engine: the rows an entity's `sql:` (the name) returns. */
  virtual?: boolean;
}

const MINUTE = 60_000;
const DURATION_MS: Record<Exclude<RelativeWindow['unit'], 'month'>, number> = {
  minute: MINUTE,
  hour: 60 * MINUTE,
  day: 24 * 60 * MINUTE,
  week: 7 * 24 * 60 * MINUTE,
};

/** `asOf - N units`; months are calendar months with the day clamped to the month's last day. */
export function subtractWindow(asOf: Date, w: RelativeWindow): Date {
  if (w.unit !== 'month') return new Date(asOf.getTime() - w.last * DURATION_MS[w.unit]);
  const months = asOf.getUTCFullYear() * 12 + asOf.getUTCMonth() - w.last;
  const year = Math.floor(months / 12);
  const month = months - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(asOf.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(year, month, day, asOf.getUTCHours(), asOf.getUTCMinutes(), asOf.getUTCSeconds(), asOf.getUTCMilliseconds()),
  );
}

/** Whether `ts` falls in the window and not after as-of. */
export function inWindow(ts: Date | null, window: Window | undefined, asOf: Date): boolean {
  if (ts === null) return false;
  const t = ts.getTime();
  if (t > asOf.getTime()) return false;
  if (window === undefined) return true;
  if ('last' in window) return subtractWindow(asOf, window).getTime() <= t;
  return Date.parse(window.from) <= t && t < Date.parse(window.to);
}

function compareCount(n: number, c: Count): boolean {
  return compareOrdered(n, c.value, c.op);
}

function compareOrdered(a: number, b: number, op: '=' | '!=' | '>' | '>=' | '<' | '<='): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

const utf8 = new TextEncoder();
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(utf8.encode(a)), Buffer.from(utf8.encode(b)));
}

/** Orders two non-null values of the same family; numbers, text (bytes), booleans, instants. */
function order(cell: Exclude<Cell, null>, value: ScalarValue): number | undefined {
  if (typeof cell === 'number' && typeof value === 'number') return cell - value;
  if (typeof cell === 'string' && typeof value === 'string') return byteOrder(cell, value);
  if (typeof cell === 'boolean' && typeof value === 'boolean') return Number(cell) - Number(value);
  if (cell instanceof Date && typeof value === 'string') return cell.getTime() - Date.parse(value);
  return undefined;
}

function equal(cell: Exclude<Cell, null>, value: ScalarValue): boolean {
  return order(cell, value) === 0;
}

/** A date column compares with a date: an ISO instant given for it counts by its (UTC) date. */
function valueForColumn(value: EventFilter['value'], type: ColumnType | undefined): EventFilter['value'] {
  if (type !== 'date') return value;
  const asDate = (x: ScalarValue) => (typeof x === 'string' ? `${new Date(Date.parse(x)).toISOString().slice(0, 10)}T00:00:00Z` : x);
  if (Array.isArray(value)) return value.map(asDate);
  return typeof value === 'string' ? asDate(value) : value;
}

/** One trait or `where` comparison of SPEC §2, with its null rules. */
export function matchFilter(
  cell: Cell | undefined,
  op: FilterOp,
  rawValue: EventFilter['value'],
  asOf: Date,
  type?: ColumnType,
): boolean {
  const v = cell ?? null;
  const value = valueForColumn(rawValue, type);
  switch (op) {
    case 'is_set':
      return v !== null;
    case 'is_not_set':
      return v === null;
    case '!=':
      return v === null || !equal(v, value as ScalarValue);
    case 'not_contains':
      return v === null || !String(v).toLowerCase().includes(String(value).toLowerCase());
    case 'not_in':
      return v === null || !(value as ScalarValue[]).some((x) => equal(v, x));
  }
  if (v === null) return false;
  switch (op) {
    case '=':
      return equal(v, value as ScalarValue);
    case '>':
    case '>=':
    case '<':
    case '<=': {
      const d = order(v, value as ScalarValue);
      return d !== undefined && compareOrdered(d, 0, op);
    }
    case 'contains':
      return String(v).toLowerCase().includes(String(value).toLowerCase());
    case 'starts_with':
      return String(v).toLowerCase().startsWith(String(value).toLowerCase());
    case 'ends_with':
      return String(v).toLowerCase().endsWith(String(value).toLowerCase());
    case 'in':
      return (value as ScalarValue[]).some((x) => equal(v, x));
    case 'within_last': {
      const t = (v as Date).getTime();
      return subtractWindow(asOf, value as RelativeWindow).getTime() <= t && t <= asOf.getTime();
    }
    case 'not_within_last':
      return (v as Date).getTime() < subtractWindow(asOf, value as RelativeWindow).getTime();
  }
  throw new Error(`unhandled operator ${op}`);
}

/** Evaluates segments of one workspace over in-memory tables at one as-of. */
export class ReferenceEvaluator {
  readonly #ws: Workspace;
  readonly #tables: ReadonlyMap<string, TableData>;
  readonly #asOf: Date;
  readonly #lastMatched: ReadonlyMap<string, ReadonlyMap<string, Date>>;
  readonly #memo = new Map<string, Set<string>>();
  readonly #matchMemo = new Map<string, Set<string>>();

  /** `lastMatched`: per segment with `retentionDays`, each person's last match (see the notes above). */
  constructor(ws: Workspace, tables: readonly TableData[], asOf: Date, lastMatched: ReadonlyMap<string, ReadonlyMap<string, Date>> = new Map()) {
    this.#ws = ws;
    this.#tables = new Map(tables.map((t) => [t.name, t]));
    this.#asOf = asOf;
    this.#lastMatched = lastMatched;
  }

  /** Primary keys (as text) of the segment's members: who matches, and who its retention keeps. */
  members(segmentId: string): Set<string> {
    const cached = this.#memo.get(segmentId);
    if (cached) return cached;
    const segment = this.#segment(segmentId);
    const out = new Set(this.matches(segmentId));
    const days = segment.retentionDays;
    const last = this.#lastMatched.get(segmentId);
    if (days !== undefined && last) {
      const from = this.#asOf.getTime() - days * DURATION_MS.day;
      for (const id of this.#ids(segment)) {
        const t = last.get(id)?.getTime();
        if (t !== undefined && from <= t && t <= this.#asOf.getTime()) out.add(id);
      }
    }
    this.#memo.set(segmentId, out);
    return out;
  }

  /** Primary keys (as text) of the persons who match the segment at the as-of, its own retention aside. */
  matches(segmentId: string): Set<string> {
    const cached = this.#matchMemo.get(segmentId);
    if (cached) return cached;
    const segment = this.#segment(segmentId);
    const entity = this.#entity(segment.entity);
    const out = new Set<string>();
    const staticIds = new Set(segment.members ?? []);
    for (const person of this.#rows(entity.table ?? entity.sql)) {
      const pk = person[entity.primaryKey];
      if (pk === null || pk === undefined) continue;
      const id = String(pk);
      const isMember =
        segment.type === 'everyone' ||
        (segment.type === 'static' && staticIds.has(id)) ||
        (segment.type === 'dynamic' && this.#all(segment.rules!.match, segment.rules!.conditions, entity, person, id));
      if (isMember) out.add(id);
    }
    this.#matchMemo.set(segmentId, out);
    return out;
  }

  /** Primary keys (as text) of the entity's rows. */
  #ids(segment: SegmentConfig): string[] {
    const entity = this.#entity(segment.entity);
    return this.#rows(entity.table ?? entity.sql).flatMap((p) => {
      const pk = p[entity.primaryKey];
      return pk === null || pk === undefined ? [] : [String(pk)];
    });
  }

  /**
   * A priority list's waterfall: each member of any of `ids` with the index of the first of them
   * they are a member of.
   */
  firstMatch(ids: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    ids.forEach((id, i) => {
      for (const person of this.members(id)) if (!out.has(person)) out.set(person, i);
    });
    return out;
  }

  /**
   * What a sync of `segmentId` sends: its members, only those it is the first segment of `priority`
   * for (when it is in that list), without the members of any of `exclusions`.
   */
  audience(segmentId: string, o: { priority?: readonly string[]; exclusions?: readonly string[] } = {}): Set<string> {
    const index = o.priority?.indexOf(segmentId) ?? -1;
    const ranks = index >= 0 ? this.firstMatch(o.priority!) : undefined;
    const excluded = new Set((o.exclusions ?? []).flatMap((id) => [...this.members(id)]));
    return new Set([...this.members(segmentId)].filter((p) => (!ranks || ranks.get(p) === index) && !excluded.has(p)));
  }

  #all(match: 'all' | 'any', conditions: readonly Condition[], entity: EntityConfig, person: DataRow, id: string): boolean {
    const test = (c: Condition) => this.#condition(c, entity, person, id);
    return match === 'all' ? conditions.every(test) : conditions.some(test);
  }

  #condition(c: Condition, entity: EntityConfig, person: DataRow, id: string): boolean {
    const asOf = this.#asOf;
    switch (c.kind) {
      case 'group':
        return this.#all(c.match, c.conditions, entity, person, id);
      case 'segment':
        return this.members(c.segment).has(id) === c.member;
      case 'trait': {
        const [cell, type] = this.#trait(entity, person, c.trait);
        return matchFilter(cell, c.op, c.value, asOf, type);
      }
      case 'identified': {
        const identified = entity.identifiedColumn
          ? person[entity.identifiedColumn] === true
          : [entity.identifiers.email, entity.identifiers.phone].some((col) => col !== undefined && (person[col] ?? null) !== null);
        return identified === c.value;
      }
      case 'event': {
        const ev = entity.events!;
        let n = 0;
        for (const e of this.#eventsOf(entity, id)) {
          if (e[ev.name] !== c.event) continue;
          if (!inWindow(e[ev.timestamp] as Date | null, c.window, asOf)) continue;
          if (!(c.where ?? []).every((f) => matchFilter(e[f.column], f.op, f.value, asOf, this.#type(ev.table, f.column)))) continue;
          n++;
        }
        if (!c.performed) return n === 0;
        return c.count ? compareCount(n, c.count) : n >= 1;
      }
      case 'sessions': {
        const ev = entity.events!;
        const sessions = new Set<string>();
        for (const e of this.#eventsOf(entity, id)) {
          const key = e[ev.sessionKey!] ?? null;
          if (key !== null && inWindow(e[ev.timestamp] as Date | null, c.window, asOf)) sessions.add(String(key));
        }
        return compareCount(sessions.size, c.count);
      }
      case 'first_seen':
      case 'last_seen': {
        const ev = entity.events!;
        let seen: number | undefined;
        for (const e of this.#eventsOf(entity, id)) {
          const ts = e[ev.timestamp] as Date | null;
          if (!inWindow(ts, undefined, asOf)) continue;
          const t = ts!.getTime();
          if (seen === undefined || (c.kind === 'first_seen' ? t < seen : t > seen)) seen = t;
        }
        if (seen === undefined) return false;
        const start = subtractWindow(asOf, c.value).getTime();
        return c.op === 'within_last' ? start <= seen : seen < start;
      }
    }
  }

  #trait(entity: EntityConfig, person: DataRow, trait: string): [Cell, ColumnType | undefined] {
    const dot = trait.indexOf('.');
    if (dot < 0) return [person[trait] ?? null, this.#type(entity.table ?? entity.sql, trait)];
    const relation = entity.relations.find((r) => r.name === trait.slice(0, dot))!;
    const column = trait.slice(dot + 1);
    const type = this.#type(relation.table, column);
    const fk = person[relation.foreignKey] ?? null;
    if (fk === null) return [null, type];
    const row = this.#rows(relation.table).find((r) => r[relation.key] !== null && String(r[relation.key]) === String(fk));
    return [row ? (row[column] ?? null) : null, type];
  }

  #type(table: string | undefined, column: string): ColumnType | undefined {
    return (table === undefined ? undefined : this.#tables.get(table))?.columns.find((c) => c.name === column)?.type;
  }

  *#eventsOf(entity: EntityConfig, id: string): Generator<DataRow> {
    const ev = entity.events!;
    for (const e of this.#rows(ev.table)) {
      const key = e[ev.personKey] ?? null;
      if (key !== null && String(key) === id) yield e;
    }
  }

  #rows(table: string | undefined): readonly DataRow[] {
    const t = table === undefined ? undefined : this.#tables.get(table);
    if (!t) throw new Error(`reference evaluator: no data for table ${String(table)}`);
    return t.rows;
  }

  #segment(id: string): SegmentConfig {
    const s = this.#ws.segments.find((x) => x.id === id);
    if (!s) throw new Error(`reference evaluator: unknown segment ${id}`);
    return s;
  }

  #entity(id: string): EntityConfig {
    const e = this.#ws.entities.find((x) => x.id === id);
    if (!e) throw new Error(`reference evaluator: unknown entity ${id}`);
    return e;
  }
}
