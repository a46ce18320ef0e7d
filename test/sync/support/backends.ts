import { randomBytes } from 'node:crypto';
import { parseWorkspace } from '../../../src/config/load';
import type { Workspace } from '../../../src/config/schema';
import { openWarehouse } from '../../../src/warehouse';
import type { WarehouseDriver } from '../../../src/warehouse/driver';

export const PG_URL = process.env.OUTFLOW_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

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
  const warehouse = await openWarehouse({ type: 'postgres', connectionString: PG_URL });
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
 * Backends these tests run on: DuckDB always; PostgreSQL when its driver can reach the server.
 * Under CI=true an unreachable PostgreSQL is a failure, not a skip.
 */
export async function availableBackends(): Promise<BackendName[]> {
  try {
    const w = await openWarehouse({ type: 'postgres', connectionString: PG_URL });
    await w.query('select 1');
    await w.close();
    return ['duckdb', 'postgres'];
  } catch (err) {
    if (process.env.CI) throw new Error(`PostgreSQL at ${PG_URL} is required under CI: ${(err as Error).message}`, { cause: err });
    console.warn(`skipping PostgreSQL state tests: ${(err as Error).message}`);
    return ['duckdb'];
  }
}

export function workspaceFor(b: TestWarehouse, body: string): Workspace {
  return parseWorkspace(`version: 1\nwarehouse: ${b.config}\nstateSchema: ${b.state}\n${body}`).workspace;
}
