import { BigQueryDialect } from './bigquery/dialect';
import type { DialectName, SqlDialect } from './dialect';
import { DuckDbDialect } from './duckdb/dialect';
import { PostgresDialect } from './postgres/dialect';
import { SnowflakeDialect } from './snowflake/dialect';

const DIALECT_CLASSES: Record<DialectName, new () => SqlDialect> = {
  duckdb: DuckDbDialect,
  postgres: PostgresDialect,
  bigquery: BigQueryDialect,
  snowflake: SnowflakeDialect,
};

/** The dialect of an engine, without a connection (compiling, golden SQL, templates). */
export function dialectFor(name: DialectName): SqlDialect {
  return new DIALECT_CLASSES[name]();
}
