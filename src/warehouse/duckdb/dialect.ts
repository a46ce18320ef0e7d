import { SqlDialectBase } from '../dialect';

export class DuckDbDialect extends SqlDialectBase {
  readonly name = 'duckdb' as const;

  // Numbered placeholders let one value be referenced twice without binding it twice.
  override placeholder(index: number): string {
    return `$${index + 1}`;
  }
}
