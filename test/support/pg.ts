import pg from 'pg';
import { PostgresDriver } from '../../src/warehouse/postgres/driver';

/** The PostgreSQL server live tests use: `OUTFLOW_TEST_PG_URL`, else the local trust-auth server. */
export const PG_URL = process.env.OUTFLOW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/**
 * Whether the test server answers. Under `CI=true` an unreachable server is an error (the suite
 * fails instead of silently skipping); elsewhere callers skip with a message.
 *
 * @example
 * const pgUp = await postgresReachable();
 * describe.skipIf(!pgUp)('on PostgreSQL', () => { ... });
 */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (err) {
      if (process.env.CI === 'true' || process.env.CI === '1')
        throw new Error(`PostgreSQL test server ${PG_URL} is unreachable under CI: ${(err as Error).message}`, {
          cause: err,
        });
      console.warn(`skipping PostgreSQL tests: ${PG_URL} is unreachable (${(err as Error).message})`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** Opens a driver on the test server. */
export function openTestPostgres(): Promise<PostgresDriver> {
  return PostgresDriver.open({ connectionString: PG_URL, maxConnections: 2 });
}

/** A schema name no parallel test run will use: `<prefix>_<random>`. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Drops schemas a test created on the test server (cascade). */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`drop schema if exists "${s.replace(/"/g, '""')}" cascade`);
  } finally {
    await client.end();
  }
}
