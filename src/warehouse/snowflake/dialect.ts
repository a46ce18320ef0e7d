import type { SqlValue } from '../driver';
import { SqlDialectBase } from '../dialect';

/** Snowflake: double-quoted names, `?` binds. */
export class SnowflakeDialect extends SqlDialectBase {
  readonly name = 'snowflake' as const;
  override readonly parserGrammar = 'snowflake' as const;

  // The Snowflake driver binds arrays only for multi-row inserts, so a list travels as JSON text
  // and is unpacked with PARSE_JSON in the template (sql-templates/snowflake/segments/in-list).
  override listParam(values: readonly (string | number | boolean)[]): SqlValue {
    return JSON.stringify(values);
  }

  // A backslash starts an escape in Snowflake string literals, so it is doubled along with quotes.
  // https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants
  protected override stringLiteral(value: string): string {
    return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
  }

  // The driver binds an instant as ISO-8601 text, which the templates convert.
  protected override instantLiteral(value: Date): string {
    return this.stringLiteral(value.toISOString());
  }
}
