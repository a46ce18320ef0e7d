import { ensureStateSchema } from '../../src/state/state-sql';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { openTestPostgres, postgresReachable } from '../support/pg';

const pgUp = await postgresReachable();

/** The engines the compiler's live tests run on (PostgreSQL when its test server answers). */
export function engines(): { name: string; open: () => Promise<WarehouseDriver> }[] {
  return [
    { name: 'duckdb', open: () => withStateSchema(DuckDbDriver.open({ path: ':memory:' })) },
    ...(pgUp ? [{ name: 'postgres', open: () => withStateSchema(openTestPostgres()) }] : []),
  ];
}

/**
 * A warehouse with the default state schema, whose `static_segment_members` static segments read
 * (what commands do before they run a segment's SQL: `ensureSegmentState`).
 */
export async function withStateSchema<W extends WarehouseDriver>(opening: Promise<W>): Promise<W> {
  const wh = await opening;
  await ensureStateSchema(wh, 'outflow');
  return wh;
}
