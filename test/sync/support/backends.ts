import { randomBytes } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import { parseWorkspace } from '../../../src/config/load';
import type { Workspace } from '../../../src/config/schema';
import { openWarehouse } from '../../../src/warehouse';
import { BigQueryDriver } from '../../../src/warehouse/bigquery/driver';
import type { WarehouseDriver } from '../../../src/warehouse/driver';
import { SnowflakeDriver } from '../../../src/warehouse/snowflake/driver';
import { startBigQueryFake } from '../../fakes/bigquery-fake';
import { startSnowflakeFake } from '../../fakes/snowflake-fake';
import { openTestPostgres, PG_URL, postgresReachable } from '../../support/pg';

/** A warehouse with a private data schema and state schema, so parallel test files never collide. */
export interface TestWarehouse {
  name: BackendName;
  warehouse: WarehouseDriver;
  /** Schema holding the test's source tables. */
  data: string;
  /** The workspace's stateSchema. */
  state: string;
  /** The `warehouse:` block of a workspace file for this backend. */
  config: string;
  close(): Promise<void>;
}

/**
 * Every engine the sync and state suites run on: DuckDB, the real PostgreSQL, and BigQuery and
 * Snowflake through their official SDKs talking to the local protocol fakes (test/fakes).
 */
export type BackendName = 'duckdb' | 'postgres' | 'bigquery' | 'snowflake';

/** A client holding a fixed access token: the BigQuery SDK authorises requests without reaching Google. */
export function staticToken(token: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

export async function openBackend(name: BackendName, tag: string): Promise<TestWarehouse> {
  const suffix = `${tag}_${randomBytes(3).toString('hex')}`;
  const state = `outflow_${suffix}`;
  if (name === 'duckdb') {
    const warehouse = await openWarehouse({ type: 'duckdb', path: ':memory:' });
    return { name, warehouse, data: 'main', state, config: '{type: duckdb}', close: () => warehouse.close() };
  }
  const opened = await OPEN[name]();
  const data = `t_${suffix}`;
  await opened.warehouse.execute(`create schema ${data}`);
  return {
    name,
    warehouse: opened.warehouse,
    data,
    state,
    config: opened.config,
    close: () => opened.close([data, state]),
  };
}

/** How each server-backed engine opens for a test, and what closing it takes (its schemas dropped, where they outlive it). */
const OPEN: Record<Exclude<BackendName, 'duckdb'>, () => Promise<{ warehouse: WarehouseDriver; config: string; close(schemas: string[]): Promise<void> }>> = {
  async postgres() {
    const warehouse = await openTestPostgres();
    return {
      warehouse,
      config: `{type: postgres, connectionString: "${PG_URL}"}`,
      close: async (schemas) => {
        for (const s of schemas) await warehouse.execute(`drop schema if exists ${s} cascade`);
        await warehouse.close();
      },
    };
  },
  async bigquery() {
    const fake = await startBigQueryFake();
    const config = { type: 'bigquery' as const, projectId: 'proj', location: 'EU', apiEndpoint: fake.endpoint };
    const warehouse = await BigQueryDriver.open(config, { authClient: staticToken(fake.token) });
    return { warehouse, config: JSON.stringify(config), close: () => fake.stop() };
  },
  async snowflake() {
    const fake = await startSnowflakeFake();
    const config = { type: 'snowflake' as const, account: fake.account, username: fake.username, password: fake.password, warehouse: 'WH', database: 'DB', accessUrl: fake.accessUrl };
    const warehouse = await SnowflakeDriver.open(config);
    return {
      warehouse,
      config: JSON.stringify(config),
      close: async () => {
        await warehouse.close();
        await fake.stop();
      },
    };
  },
};

/**
 * Backends these tests run on: DuckDB and the BigQuery and Snowflake fakes always; PostgreSQL
 * when the test server answers (under CI=true an unreachable server fails the suite instead).
 */
export async function availableBackends(): Promise<BackendName[]> {
  const always: BackendName[] = ['duckdb', 'bigquery', 'snowflake'];
  return (await postgresReachable()) ? [...always, 'postgres'] : always;
}

export function workspaceFor(b: TestWarehouse, body: string): Workspace {
  return parseWorkspace(`version: 1\nwarehouse: ${b.config}\nstateSchema: ${b.state}\n${body}`).workspace;
}
