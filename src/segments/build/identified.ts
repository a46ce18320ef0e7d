import type { EntityConfig } from '../../config/schema';
import type { SqlWriter } from '../sql-writer';

/**
 * `identified`: the entity's `identifiedColumn` is true, or by default its email or phone
 * column is not null. `false` is the exact complement (a null flag means not identified).
 */
export function identifiedSql(w: SqlWriter, entity: EntityConfig, value: boolean): string {
  if (entity.identifiedColumn) {
    const col = w.column('p', entity.identifiedColumn);
    return value ? `${col} = TRUE` : `(${col} IS NULL OR ${col} = FALSE)`;
  }
  const cols = [entity.identifiers.email, entity.identifiers.phone]
    .filter((c): c is string => c !== undefined)
    .map((c) => w.column('p', c));
  if (cols.length === 0) return value ? 'FALSE' : 'TRUE';
  return value ? `(${cols.map((c) => `${c} IS NOT NULL`).join(' OR ')})` : `(${cols.map((c) => `${c} IS NULL`).join(' AND ')})`;
}
