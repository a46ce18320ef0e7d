import type { Workspace } from '../config/schema';
import type { WarehouseDriver } from '../warehouse/driver';
import type { Catalog } from './catalog';

/**
 * Introspects the tables a workspace's entities read (entity, events and relation tables) into a
 * catalog for `CompileOptions.catalog`. Tables the warehouse does not have are left out; the
 * compiler then skips type checks for them.
 */
export async function loadCatalog(warehouse: WarehouseDriver, ws: Pick<Workspace, 'entities'>): Promise<Catalog> {
  const tables = new Set<string>();
  for (const e of ws.entities) {
    if (e.table) tables.add(e.table);
    if (e.events) tables.add(e.events.table);
    for (const r of e.relations) tables.add(r.table);
  }
  const catalog: Catalog = new Map();
  for (const table of tables) {
    const columns = await warehouse.columns(table);
    if (columns) catalog.set(table, columns);
  }
  return catalog;
}
