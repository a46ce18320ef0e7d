import type { ColumnInfo } from '../warehouse/driver';
import { isIsoInstant, LIST_OPS, PRESENCE_OPS, RELATIVE_TIME_OPS, TEXT_OPS, type EventFilter, type FilterOp, type ScalarValue } from './rule-schema';

/** Column types per table (`schema.table` as written in the workspace) from introspection. */
export type Catalog = Map<string, ColumnInfo[]>;

/** A type problem with one comparison: which field of the condition is wrong, and why. */
export interface TypeProblem {
  field: 'column' | 'op' | 'value';
  message: string;
}

/**
 * The column `name` of `columns`: by its exact name, or, where the engine ignores case
 * (`SqlDialect.identifiersIgnoreCase`), by any case.
 */
export function findColumn(columns: readonly ColumnInfo[], name: string, ignoreCase = true): ColumnInfo | undefined {
  return columns.find((c) => c.name === name) ?? (ignoreCase ? columns.find((c) => c.name.toLowerCase() === name.toLowerCase()) : undefined);
}

/** "no column" for `column` of `table`, pointing at a column that differs only in case. */
export function noColumn(columns: readonly ColumnInfo[], table: string, column: string): string {
  const near = findColumn(columns, column, true);
  return `no column "${column}" in ${table}${near ? ` (column names are case-sensitive in this warehouse: did you mean "${near.name}"?)` : ''}`;
}

/** The type family of `table.column`, when the catalog knows it. */
export function columnFamily(catalog: Catalog | undefined, table: string, column: string): ColumnInfo['family'] | undefined {
  const columns = catalog?.get(table);
  return (columns?.find((c) => c.name === column) ?? columns?.find((c) => c.name.toLowerCase() === column.toLowerCase()))?.family;
}

const is = (list: readonly string[], op: FilterOp) => list.includes(op);

/**
 * Checks one comparison against the catalog: the column exists (when its table is known), text
 * operators meet text, time windows meet dates or timestamps, and values have the column's type.
 * Columns of a type family the compiler does not reason about pass.
 */
export function checkFilterTypes(
  catalog: Catalog,
  table: string,
  column: string,
  op: FilterOp,
  value: EventFilter['value'],
  ignoreCase = true,
): TypeProblem | undefined {
  const columns = catalog.get(table);
  if (!columns) return undefined;
  const info = findColumn(columns, column, ignoreCase);
  if (!info) return { field: 'column', message: noColumn(columns, table, column) };
  const described = `column "${column}" of ${table} is ${info.dataType}`;
  if (is(PRESENCE_OPS, op) || info.family === 'other') return undefined;
  if (is(RELATIVE_TIME_OPS, op)) {
    return info.family === 'timestamp' || info.family === 'date'
      ? undefined
      : { field: 'op', message: `"${op}" needs a date or timestamp column; ${described}` };
  }
  if (is(TEXT_OPS, op)) {
    return info.family === 'text' ? undefined : { field: 'op', message: `"${op}" needs a text column; ${described}` };
  }
  const values: readonly ScalarValue[] = is(LIST_OPS, op) ? (value as ScalarValue[]) : [value as ScalarValue];
  for (const v of values) {
    if (!fits(info.family, v))
      return { field: 'value', message: `${JSON.stringify(v)} is ${kindOf(v)}, but ${described} (${info.family})` };
  }
  return undefined;
}

function fits(family: ColumnInfo['family'], v: ScalarValue): boolean {
  switch (family) {
    case 'number':
      return typeof v === 'number';
    case 'text':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'timestamp':
    case 'date':
      return typeof v === 'string' && isIsoInstant(v);
    case 'other':
      return true;
  }
}

function kindOf(v: ScalarValue): string {
  if (typeof v === 'string') return isIsoInstant(v) ? 'text (or a date)' : 'text (not an ISO-8601 date or timestamp from 1900 to 9999)';
  return typeof v === 'number' ? 'a number' : 'a boolean';
}
