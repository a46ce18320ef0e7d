import { SqlDialectBase } from '../dialect';

/** GoogleSQL: backtick-quoted names, positional `?` parameters, arrays bind as ARRAY<T>. */
export class BigQueryDialect extends SqlDialectBase {
  readonly name = 'bigquery' as const;
  protected override readonly quoteChar = '`';
}
