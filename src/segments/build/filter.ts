import type { RelativeWindow, ScalarValue } from '../rule-schema';
import type { SqlWriter } from '../sql-writer';
import type { Comparison } from '../tree';
import { utcInstant, windowStart } from './window';

/**
 * One comparison of SPEC §2 on a column expression, with its null rules: positive operators are
 * false on null (SQL's NULL does that at the top of a WHERE), while `!=`, `not_contains`,
 * `not_in` and negated leaves say `col IS NULL OR ...` explicitly.
 */
export function filterSql(w: SqlWriter, col: string, c: Comparison, negated = false): string {
  if (negated) return `(${col} IS NULL OR NOT (${filterSql(w, col, c)}))`;
  const { op, value } = c;
  switch (op) {
    case '=':
      return `${col} = ${scalar(w, c)}`;
    case '!=':
      return `(${col} IS NULL OR ${col} <> ${scalar(w, c)})`;
    case '>':
    case '>=':
    case '<':
    case '<=':
      return `${col} ${op} ${scalar(w, c)}`;
    case 'contains':
      return like(w, col, `%${escapeLike(value as string)}%`);
    case 'not_contains':
      return `(${col} IS NULL OR NOT (${like(w, col, `%${escapeLike(value as string)}%`)}))`;
    case 'starts_with':
      return like(w, col, `${escapeLike(value as string)}%`);
    case 'ends_with':
      return like(w, col, `%${escapeLike(value as string)}`);
    case 'in':
      return inList(w, col, listOf(c), c.family === 'date' ? 'date' : undefined);
    case 'not_in':
      return `(${col} IS NULL OR NOT (${inList(w, col, listOf(c), c.family === 'date' ? 'date' : undefined)}))`;
    case 'is_set':
      return `${col} IS NOT NULL`;
    case 'is_not_set':
      return `${col} IS NULL`;
    case 'within_last':
      return `(${windowStart(w, value as RelativeWindow)} <= ${col} AND ${col} <= ${w.asOfParam()})`;
    case 'not_within_last':
      return `${col} < ${windowStart(w, value as RelativeWindow)}`;
  }
}

/**
 * A bound scalar, typed so the engine compares it as the value it is: numbers as numbers (an
 * engine that types the placeholder after the column would reject 1.5 for an INTEGER column).
 * When the catalog knows the column: ISO text on a timestamp column is a UTC instant, and on a
 * DATE column it is that instant's UTC date (`signup_date = 2026-11-02T08:00Z` holds on
 * 2026-11-02), which is also how both engines read it without a catalog.
 */
function scalar(w: SqlWriter, c: Comparison): string {
  const v = c.value as ScalarValue;
  if (typeof v === 'number') return w.render('number', { param: w.bind(v) }, { integer: Number.isSafeInteger(v) });
  if (typeof v === 'string' && c.family === 'timestamp' && isInstant(v)) return w.instant(utcInstant(v));
  return w.bind(c.family === 'date' ? asDate(v) : v);
}

const isInstant = (v: string) => !Number.isNaN(utcInstant(v).getTime());

/** ISO text as its UTC date (`YYYY-MM-DD`); anything else unchanged. */
function asDate<T extends ScalarValue>(v: T): T | string {
  return typeof v === 'string' && isInstant(v) ? utcInstant(v).toISOString().slice(0, 10) : v;
}

function listOf(c: Comparison): ScalarValue[] {
  const values = c.value as ScalarValue[];
  return c.family === 'date' ? values.map(asDate) : values;
}

/** Makes `%`, `_` and the escape character itself match literally in a LIKE pattern. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function like(w: SqlWriter, col: string, pattern: string): string {
  return w.render('ilike', { expr: col, pattern: w.bind(pattern) });
}

/** Lists up to this long are also offered to the template as one placeholder per value. */
const MAX_LIST_ITEMS = 100;

/**
 * `col` equals one of `values` (numbers, and dates when known, typed). The template gets the list
 * bound as one parameter (`list`) and, for short lists, one bound parameter per value (`items`);
 * only the placeholders the dialect's template prints are sent.
 */
export function inList(w: SqlWriter, col: string, values: readonly ScalarValue[], type?: 'date'): string {
  const listType = type ?? (values.every((v) => typeof v === 'number') ? 'number' : 'other');
  const fragments: Record<string, string> = { expr: col, list: w.bind(w.dialect.listParam(values)) };
  if (values.length > 0 && values.length <= MAX_LIST_ITEMS) fragments.items = values.map((v) => listItem(w, v, listType)).join(', ');
  return w.render('in-list', fragments, { listType });
}

function listItem(w: SqlWriter, v: ScalarValue, listType: string): string {
  if (listType === 'number') return w.render('number', { param: w.bind(v) }, { integer: Number.isSafeInteger(v) });
  if (listType === 'date') return w.render('date', { param: w.bind(v) });
  return w.bind(v);
}
