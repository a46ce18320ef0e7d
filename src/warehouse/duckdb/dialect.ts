import type { SqlValue } from '../driver';
import { SqlDialectBase } from '../dialect';

export class DuckDbDialect extends SqlDialectBase {
  readonly name = 'duckdb' as const;
  // https://duckdb.org/docs/sql/dialect/keywords_and_identifiers#case-sensitivity-of-identifiers
  override readonly identifiersIgnoreCase = true;

  // Numbered placeholders let one value be referenced twice without binding it twice.
  override placeholder(index: number): string {
    return `$${index + 1}`;
  }

  // @duckdb/node-api types an untyped list after its first element, so [30, 20.5] fails as an
  // INTEGER list. Numbers travel as their exact decimal text; the template casts the list to
  // DOUBLE[] (sql-templates/_base/segments/in-list).
  override listParam(values: readonly (string | number | boolean)[]): SqlValue {
    return values.every((v) => typeof v === 'number') ? values.map(String) : values;
  }

  // The driver binds instants as TIMESTAMPTZ and the `instant` template takes their UTC wall
  // clock; an explicit offset keeps the literal independent of the session's TimeZone.
  protected override instantLiteral(value: Date): string {
    return `TIMESTAMPTZ '${value.toISOString().replace('T', ' ').replace('Z', '+00')}'`;
  }
}
