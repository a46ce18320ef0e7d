import { SqlDialectBase } from '../dialect';

export class PostgresDialect extends SqlDialectBase {
  readonly name = 'postgres' as const;

  override placeholder(index: number): string {
    return `$${index + 1}`;
  }

  protected override listLiteral(items: readonly string[]): string {
    return `ARRAY[${items.join(', ')}]`;
  }
}
