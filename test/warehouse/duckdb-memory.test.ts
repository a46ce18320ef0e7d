import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/load';
import { openWarehouse } from '../../src/warehouse';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import type { WarehouseDriver } from '../../src/warehouse/driver';

async function memoryLimit(w: WarehouseDriver): Promise<string> {
  try {
    const [row] = await w.query<{ m: string }>(`select current_setting('memory_limit') as m`);
    return row!.m;
  } finally {
    await w.close();
  }
}

/** DuckDB's own default is 80% of the machine's memory: a 9.9M-member first sync reached 3.5 GB of RSS. */
describe('DuckDB memory_limit', () => {
  it('defaults to 1GB, however much memory the machine has', async () => {
    expect(await memoryLimit(await openWarehouse({ type: 'duckdb', path: ':memory:' }))).toBe('953.6 MiB');
    expect(await memoryLimit(await DuckDbDriver.open({ path: ':memory:' }))).toBe('953.6 MiB');
  });

  it('takes warehouse.memoryLimit from the workspace file', async () => {
    const { workspace } = parseWorkspace('version: 1\nwarehouse: {type: duckdb, memoryLimit: 2GB}\nentities: [{id: person, table: persons, primaryKey: id}]\n');
    expect(await memoryLimit(await openWarehouse(workspace.warehouse))).toBe('1.8 GiB');
  });

  it('refuses a limit DuckDB would not understand, at warehouse.memoryLimit', () => {
    expect(() => parseWorkspace('version: 1\nwarehouse: {type: duckdb, memoryLimit: lots}\nentities: [{id: person, table: persons, primaryKey: id}]\n')).toThrow(
      /warehouse\.memoryLimit: a size such as "2GB"/,
    );
  });
});
