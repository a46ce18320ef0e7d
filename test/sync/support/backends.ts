import { randomBytes } from 'node:crypto';
import { parseWorkspace } from '../../../src/config/load';
import type { Workspace } from '../../../src/config/schema';
import { openWarehouse } from '../../../src/warehouse';
import type { WarehouseDriver } from '../../../src/warehouse/driver';
import { openTestPostgres, PG_URL, postgresReachable } from '../../support/pg';

/** A warehouse with a private data schema and state schema, so parallel test files never collide. */
export interface TestWarehouse {
  name: 'duckdb' | 'postgres';
  warehouse: WarehouseDriver;
  /** Schema holding the test's source tables. */
  data: string;
  /** The workspace's stateSchema. */
  state: string;
  /** The `warehouse:` block of a workspace file for this backend. */
  config: string;
  close(): Promise<void>;
}

export type BackendName = TestWarehouse['name'];

export async function openBackend(name: BackendName, tag: string): Promise<TestWarehouse> {
  const suffix = `${tag}_${randomBytes(3).toString('hex')}`;
  if (name === 'duckdb') {
    const warehouse = await openWarehouse({ type: 'duckdb', path: ':memory:' });
    return { name, warehouse, data: 'main', state: `outflow_${suffix}`, config: '{type: duckdb}', close: () => warehouse.close() };
  }
  const warehouse = await openTestPostgres();
  const data = `t_${suffix}`;
  const state = `outflow_${suffix}`;
  await warehouse.execute(`create schema ${data}`);
  return {
    name,
    warehouse,
    data,
    state,
    config: `{type: postgres, connectionString: "${PG_URL}"}`,
    close: async () => {
      await warehouse.execute(`drop schema if exists ${data} cascade`);
      await warehouse.execute(`drop schema if exists ${state} cascade`);
      await warehouse.close();
    },
  };
}

/**
 * Backends these tests run on: DuckDB always; PostgreSQL when the test server answers (under
 * CI=true an unreachable server fails the suite instead).
 */
export async function availableBackends(): Promise<BackendName[]> {
  return (await postgresReachable()) ? ['duckdb', 'postgres'] : ['duckdb'];
}

export function workspaceFor(b: TestWarehouse, body: string): Workspace {
  return parseWorkspace(`version: 1\nwarehouse: ${b.config}\nstateSchema: ${b.state}\n${body}`).workspace;
}
