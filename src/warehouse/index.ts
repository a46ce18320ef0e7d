import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserInputError } from '../config/errors';
import type { WarehouseConfig } from '../config/schema';
import type { WarehouseDriver } from './driver';

export type { WarehouseDriver } from './driver';

/**
 * Opens the warehouse a workspace names. Relative DuckDB paths resolve from the workspace
 * file's folder, and the file must exist: a mistyped path is an error naming `warehouse.path`,
 * never a new empty database (only `outflow demo` creates one, through DuckDbDriver). Engines load
 * lazily so an install that never uses Snowflake never loads its SDK.
 */
export async function openWarehouse(config: WarehouseConfig, baseDir = process.cwd()): Promise<WarehouseDriver> {
  const opener = OPENERS[config.type] as (c: WarehouseConfig, dir: string) => Promise<WarehouseDriver>;
  return opener(config, baseDir);
}

type Openers = { [K in WarehouseConfig['type']]: (c: Extract<WarehouseConfig, { type: K }>, dir: string) => Promise<WarehouseDriver> };

const OPENERS: Openers = {
  duckdb: async (c, dir) => {
    const file = c.path === ':memory:' ? c.path : existingDuckDbFile(path.resolve(dir, c.path));
    const { DuckDbDriver } = await import('./duckdb/driver');
    const settings = c.memoryLimit !== undefined ? { memory_limit: c.memoryLimit } : undefined;
    return DuckDbDriver.open({ path: file, ...(settings ? { settings } : {}) });
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

/** A DuckDB database file starts with a checksum (8 bytes) and the magic bytes "DUCK". */
const DUCKDB_MAGIC = { offset: 8, bytes: 'DUCK' };

/** `file` when it is an existing DuckDB database; otherwise an input error naming `warehouse.path`. */
function existingDuckDbFile(file: string): string {
  const problem = (message: string) => new UserInputError([{ path: 'warehouse.path', message }]);
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw problem(`${file} is a folder; expected a DuckDB database file`);
    size = stat.size;
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    throw problem(`no DuckDB database at ${file}; check the path (only "outflow demo" creates a warehouse)`);
  }
  const head = Buffer.alloc(DUCKDB_MAGIC.offset + DUCKDB_MAGIC.bytes.length);
  try {
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw problem(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (size < head.length || head.subarray(DUCKDB_MAGIC.offset).toString('latin1') !== DUCKDB_MAGIC.bytes)
    throw problem(`${file} is not a DuckDB database`);
  return file;
}
