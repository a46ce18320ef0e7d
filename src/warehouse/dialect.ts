import type { SqlValue } from './driver';

/**
 * How SQL is written for one engine: quoting, placeholders, templates. Engines differ by
 * capability flags and template overrides (sql-templates/<name>/), never by `if (name === ...)`
 * in shared code.
 */
export type DialectName = 'duckdb' | 'postgres' | 'bigquery' | 'snowflake';
export const DIALECTS: readonly DialectName[] = ['duckdb', 'postgres', 'bigquery', 'snowflake'];

export interface SqlDialect {
  readonly name: DialectName;
  /**
   * Whether the engine matches a quoted identifier to a column regardless of case (DuckDB,
   * BigQuery). Where it does not (PostgreSQL, Snowflake), `"Score"` is not the column `score`.
   */
  readonly identifiersIgnoreCase: boolean;
  /**
   * The grammar of `node-sql-parser` that reads a user's query on this engine before the engine
   * itself checks it (src/segments/key-query.ts). DuckDB's SQL is read as PostgreSQL's.
   */
  readonly parserGrammar: 'postgresql' | 'bigquery' | 'snowflake';
  /** Quotes one identifier part; rejects anything that is not a plain identifier. */
  quoteIdentifier(name: string): string;
  /** Quotes a possibly qualified name (`schema.table`). */
  quoteQualified(name: string): string;
  /** The placeholder for the parameter at 0-based `index`. */
  placeholder(index: number): string;
  /**
   * The value bound for a list (`x = ANY($1)` and its per-dialect forms): an array where the
   * engine binds arrays, JSON text where it cannot.
   */
  listParam(values: readonly (string | number | boolean)[]): SqlValue;
  /**
   * `value` written as a SQL literal that means what the bound value means where the dialect's
   * templates use it. For display only (`segments sql --inline`): SQL Outflow runs binds values.
   */
  literal(value: SqlValue): string;
}

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]{0,127}$/;

export class UnsafeIdentifierError extends Error {
  override readonly name = 'UnsafeIdentifierError';
  constructor(readonly identifier: string) {
    super(`not a plain identifier: ${JSON.stringify(identifier)}`);
  }
}

/** Defaults shared by every dialect: double-quoted identifiers, `?` placeholders. */
export abstract class SqlDialectBase implements SqlDialect {
  abstract readonly name: DialectName;
  readonly identifiersIgnoreCase: boolean = false;
  readonly parserGrammar: SqlDialect['parserGrammar'] = 'postgresql';
  protected readonly quoteChar: string = '"';

  quoteIdentifier(name: string): string {
    if (!PLAIN_IDENTIFIER.test(name)) throw new UnsafeIdentifierError(name);
    return `${this.quoteChar}${name}${this.quoteChar}`;
  }

  quoteQualified(name: string): string {
    return name
      .split('.')
      .map((part) => this.quoteIdentifier(part))
      .join('.');
  }

  placeholder(_index: number): string {
    return '?';
  }

  listParam(values: readonly (string | number | boolean)[]): SqlValue {
    return values;
  }

  literal(value: SqlValue): string {
    if (value === null) return 'NULL';
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    if (value instanceof Date) return this.instantLiteral(value);
    if (Array.isArray(value)) return this.listLiteral(value.map((v) => this.literal(v)));
    return this.stringLiteral(value as string);
  }

  /** A string literal; the SQL standard doubles a quote and leaves backslashes alone. */
  protected stringLiteral(value: string): string {
    return `'${value.replaceAll("'", "''")}'`;
  }

  /**
   * An instant as the templates' `instant` cast reads it: a TIMESTAMP in UTC wall-clock time, so
   * the session's time zone cannot shift it.
   */
  protected instantLiteral(value: Date): string {
    return `TIMESTAMP '${value.toISOString().replace('T', ' ').replace('Z', '')}'`;
  }

  protected listLiteral(items: readonly string[]): string {
    return `[${items.join(', ')}]`;
  }
}
