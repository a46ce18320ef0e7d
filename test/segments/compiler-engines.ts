import type { WarehouseDriver } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { openTestPostgres, postgresReachable } from '../support/pg';

const pgUp = await postgresReachable();

/** The engines the compiler's live tests run on (PostgreSQL when its test server answers). */
export function engines(): { name: string; open: () => Promise<WarehouseDriver> }[] {
  return [
    { name: 'duckdb', open: () => DuckDbDriver.open({ path: ':memory:' }) },
    ...(pgUp ? [{ name: 'postgres', open: openTestPostgres }] : []),
  ];
}
