import { SqlDialectBase } from '../dialect';

/** GoogleSQL: backtick-quoted names, positional `?` parameters, arrays bind as ARRAY<T>. */
export class BigQueryDialect extends SqlDialectBase {
  readonly name = 'bigquery' as const;
  // Column names are case-insensitive: https://cloud.google.com/bigquery/docs/schemas#column_names
  override readonly identifiersIgnoreCase = true;
  override readonly parserGrammar = 'bigquery' as const;
  protected override readonly quoteChar = '`';

  // GoogleSQL strings escape with a backslash; a doubled quote would end the literal.
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#string_and_bytes_literals
  protected override stringLiteral(value: string): string {
    return `'${value.replace(/[\\'\n\r\t]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!)}'`;
  }

  // Instants are bound as TIMESTAMP, already a UTC instant.
  protected override instantLiteral(value: Date): string {
    return `TIMESTAMP '${value.toISOString().replace('T', ' ').replace('Z', '+00')}'`;
  }
}
