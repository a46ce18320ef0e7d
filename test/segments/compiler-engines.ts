import type { WarehouseDriver } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';

/** The engines the compiler's live tests run on. */
export function engines(): { name: string; open: () => Promise<WarehouseDriver> }[] {
  return [{ name: 'duckdb', open: () => DuckDbDriver.open({ path: ':memory:' }) }];
}
