import { UserInputError } from '../config/errors';
import type { EntityConfig, Workspace } from '../config/schema';
import { type ColumnInfo, SqlRejectedError, type WarehouseDriver } from '../warehouse/driver';
import { ensureSegmentState } from '../state/state-sql';
import type { Catalog } from './catalog';

/** The catalog key of an entity's own rows: its table, or its `sql:` query. */
export function entitySource(entity: EntityConfig): string {
  return entity.table ?? `(sql of entity "${entity.id}")`;
}

/**
 * The columns of entity `index`'s `sql:` query, which must be one read-only SELECT
 * (`WarehouseDriver.checkSelect`); otherwise an input error at `entities[index].sql`.
 */
export async function checkEntitySql(warehouse: WarehouseDriver, entity: EntityConfig, index: number): Promise<ColumnInfo[]> {
  try {
    return await warehouse.checkSelect(entity.sql ?? '');
  } catch (err) {
    if (!(err instanceof SqlRejectedError)) throw err;
    // The engine's first line says what is wrong; the rest (a caret under the query) would not
    // line up after the file and path.
    throw new UserInputError([{ path: `entities[${index}].sql`, message: `must be one read-only SELECT: ${err.message.split('\n')[0]}` }]);
  }
}

/**
 * Introspects the tables a workspace's entities read (entity, events and relation tables) into a
 * catalog for `CompileOptions.catalog`. Tables the warehouse does not have are left out; the
 * compiler then skips type checks for them. An entity's `sql:` is checked to be one read-only
 * SELECT before anything embeds it (an input error otherwise), and its columns join the catalog.
 * When a segment reads the state schema (static members, retention), it is created first (ensureSegmentState).
 */
export async function loadCatalog(warehouse: WarehouseDriver, ws: Pick<Workspace, 'entities'> & Partial<Pick<Workspace, 'segments' | 'stateSchema'>>): Promise<Catalog> {
  // Static segments and segments with retention read state tables: it exists before anything compiled against this catalog runs.
  await ensureSegmentState(warehouse, ws);
  const tables = new Set<string>();
  const catalog: Catalog = new Map();
  for (const [i, e] of ws.entities.entries()) {
    if (e.table) tables.add(e.table);
    else catalog.set(entitySource(e), await checkEntitySql(warehouse, e, i));
    if (e.events) tables.add(e.events.table);
    for (const r of e.relations) tables.add(r.table);
  }
  for (const table of tables) {
    const columns = await warehouse.columns(table);
    if (columns) catalog.set(table, columns);
  }
  return catalog;
}

