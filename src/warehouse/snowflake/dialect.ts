import type { SqlValue } from '../driver';
import { SqlDialectBase } from '../dialect';

/** Snowflake: double-quoted names, `?` binds. */
export class SnowflakeDialect extends SqlDialectBase {
  readonly name = 'snowflake' as const;

  // The Snowflake driver binds arrays only for multi-row inserts, so a list travels as JSON text
  // and is unpacked with PARSE_JSON in the template (sql-templates/snowflake/segments/in-list).
  override listParam(values: readonly (string | number | boolean)[]): SqlValue {
    return JSON.stringify(values);
  }
}
