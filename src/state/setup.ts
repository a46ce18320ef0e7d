import type { WarehouseDriver } from '../warehouse/driver';
import { IDENTIFIER_COLUMNS, STATE_TABLES, StateSql } from './state-sql';

const ready = new WeakMap<WarehouseDriver, Set<string>>();

/** The statements that create the state schema, in order; every one is idempotent. */
export function stateSchemaStatements(state: StateSql): string[] {
  const identifierColumns = Object.values(IDENTIFIER_COLUMNS).map((c) => state.quote(c));
  const index = (table: string) => state.quote(`${table}_key`);
  return [
    state.render('create-schema'),
    state.render('create-segment-membership'),
    state.render('index-segment-membership', { name: index('segment_membership') }),
    state.render('create-segment-membership-history'),
    state.render('create-segment-evaluations'),
    state.render('create-person-segments'),
    state.render('create-sync-runs'),
    state.render('create-sync-snapshots', { identifierColumns }),
    state.render('index-sync-snapshots', { name: index('sync_snapshots') }),
    state.render('create-sync-batches'),
    state.render('create-sync-rejections'),
    state.render('create-sync-locks'),
  ].filter((sql) => sql !== '');
}

/**
 * Creates the state schema's tables and views if they do not exist. Cheap to call before every
 * command: it runs once per connection and schema.
 */
export async function ensureStateSchema(warehouse: WarehouseDriver, schema: string): Promise<StateSql> {
  const state = new StateSql(warehouse, schema);
  let done = ready.get(warehouse);
  if (!done) ready.set(warehouse, (done = new Set()));
  if (!done.has(schema)) {
    // Every DDL statement is a commit; skip them all when the schema is already complete.
    if (!(await complete(state))) for (const sql of stateSchemaStatements(state)) await warehouse.execute(sql);
    done.add(schema);
  }
  return state;
}

async function complete(state: StateSql): Promise<boolean> {
  try {
    const b = state.binder();
    const rows = await state.query<{ table_name: string }>('list-tables', { schemaName: b.bind(state.schema) }, b.params);
    const have = new Set(rows.map((r) => r.table_name));
    return Object.values(STATE_TABLES).every((t) => have.has(t));
  } catch {
    // No schema yet (or no catalog access): create what is missing.
    return false;
  }
}
