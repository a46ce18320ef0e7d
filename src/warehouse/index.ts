import path from 'node:path';
import type { WarehouseConfig } from '../config/schema';
import type { WarehouseDriver } from './driver';

export type { WarehouseDriver } from './driver';

/**
 * Opens the warehouse a workspace names. Relative DuckDB paths resolve from the workspace
 * file's folder. Engines load lazily so an install that never uses Snowflake never loads its SDK.
 */
export async function openWarehouse(config: WarehouseConfig, baseDir = process.cwd()): Promise<WarehouseDriver> {
  const opener = OPENERS[config.type] as (c: WarehouseConfig, dir: string) => Promise<WarehouseDriver>;
  return opener(config, baseDir);
}

type Openers = { [K in WarehouseConfig['type']]: (c: Extract<WarehouseConfig, { type: K }>, dir: string) => Promise<WarehouseDriver> };

const OPENERS: Openers = {
  duckdb: async (c, dir) => {
    const { DuckDbDriver } = await import('./duckdb/driver');
    const settings = c.memoryLimit !== undefined ? { memory_limit: c.memoryLimit } : undefined;
    return DuckDbDriver.open({ path: c.path === ':memory:' ? c.path : path.resolve(dir, c.path), ...(settings ? { settings } : {}) });
  },
  postgres: async (c) => {
    const mod = await import('./postgres/driver');
    return mod.PostgresDriver.open({ connectionString: c.connectionString });
  },
  bigquery: async (c) => {
    const mod = await import('./bigquery/driver');
    return mod.BigQueryDriver.open(c);
  },
  snowflake: async (c) => {
    const mod = await import('./snowflake/driver');
    return mod.SnowflakeDriver.open(c);
  },
};
