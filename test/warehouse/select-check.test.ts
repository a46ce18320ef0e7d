import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigQueryDriver } from '../../src/warehouse/bigquery/driver';
import { SqlRejectedError, type WarehouseDriver } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { SnowflakeDriver } from '../../src/warehouse/snowflake/driver';
import { startBigQueryFake } from '../fakes/bigquery-fake';
import { startSnowflakeFake } from '../fakes/snowflake-fake';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';

// `checkSelect`: a user's SQL (an entity's `sql:`) is accepted only as one read-only SELECT, as
// the engine's own parser sees it, and checking it never changes anything.

const pgUp = await postgresReachable();

/** Statements that must be refused, written against schema `s` holding `canary` and `persons`. */
const REFUSED = (s: string) => [
  `SELECT * FROM ${s}.persons) AS q; DROP TABLE ${s}.canary; SELECT * FROM (SELECT 1`,
  `SELECT 1; DROP TABLE ${s}.canary`,
  `DROP TABLE ${s}.canary`,
  `DELETE FROM ${s}.canary`,
  `INSERT INTO ${s}.canary SELECT 99`,
  `UPDATE ${s}.canary SET id = id + 1`,
  `CREATE TABLE ${s}.made AS SELECT 1 AS x`,
  `SELECT 1) AS a, (SELECT 2`,
  `SELECT * FROM ${s}.persons /* never closed`,
  `SELECT * FROM ${s}.persons; -- a comment after the semicolon cannot be embedded`,
  ``,
  `  ;  `,
];

interface Engine {
  name: string;
  open(): Promise<{ wh: WarehouseDriver; schema: string; canary(): Promise<number>; close(): Promise<void> }>;
  /** Extra refusals only this engine's syntax allows. */
  extra?: (s: string) => string[];
}

const SEED = (s: string) => [
  `CREATE SCHEMA ${s}`,
  `CREATE TABLE ${s}.canary AS SELECT 1 AS id UNION ALL SELECT 2`,
  `CREATE TABLE ${s}.persons AS SELECT 'p1' AS person_id, 3 AS age`,
];

const ENGINES: Engine[] = [
  {
    name: 'DuckDB',
    extra: (s) => [`WITH d AS (DELETE FROM ${s}.canary RETURNING *) SELECT * FROM d`, `PIVOT ${s}.persons ON age`, `COPY ${s}.canary TO '/tmp/outflow-canary.csv'`, `ATTACH ':memory:' AS other`, `EXPLAIN SELECT 1`, `CALL pragma_version()`],
    async open() {
      const wh = await DuckDbDriver.open({ path: ':memory:' });
      for (const sql of SEED('app')) await wh.execute(sql);
      return { wh, schema: 'app', canary: async () => (await wh.query<{ n: number }>('select count(*)::int as n from app.canary'))[0]!.n, close: () => wh.close() };
    },
  },
  {
    name: 'PostgreSQL',
    extra: (s) => [`WITH d AS (DELETE FROM ${s}.canary RETURNING *) SELECT * FROM d`, `SELECT * INTO ${s}.made FROM ${s}.canary`, `EXPLAIN ANALYZE DELETE FROM ${s}.canary`, `SELECT 1; COMMIT; DROP TABLE ${s}.canary`],
    async open() {
      const wh = await openTestPostgres();
      const schema = uniqueSchema('selchk');
      for (const sql of SEED(schema)) await wh.execute(sql);
      return {
        wh,
        schema,
        canary: async () => (await wh.query<{ n: number }>(`select count(*)::int as n from ${schema}.canary`))[0]!.n,
        close: async () => {
          await wh.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await wh.close();
        },
      };
    },
  },
  {
    name: 'BigQuery (SDK against the local fake)',
    async open() {
      const fake = await startBigQueryFake();
      for (const sql of SEED('app')) await fake.seed(sql);
      const auth = new OAuth2Client();
      auth.setCredentials({ access_token: fake.token, expiry_date: Date.now() + 3_600_000 });
      const wh = await BigQueryDriver.open({ type: 'bigquery', projectId: 'proj', location: 'EU', apiEndpoint: fake.endpoint }, { authClient: auth });
      return { wh, schema: 'app', canary: () => fake.count('app.canary'), close: () => fake.stop() };
    },
  },
  {
    name: 'Snowflake (SDK against the local fake)',
    async open() {
      const fake = await startSnowflakeFake();
      for (const sql of SEED('app')) await fake.seed(sql);
      const wh = await SnowflakeDriver.open({
        type: 'snowflake',
        account: fake.account,
        username: fake.username,
        password: fake.password,
        warehouse: 'WH',
        database: 'DB',
        accessUrl: fake.accessUrl,
      });
      return {
        wh,
        schema: 'app',
        canary: () => fake.count('app.canary'),
        close: async () => {
          await wh.close();
          await fake.stop();
        },
      };
    },
  },
];

describe.each(ENGINES.filter((e) => e.name !== 'PostgreSQL' || pgUp))('checkSelect on $name', (engine) => {
  let ctx: Awaited<ReturnType<Engine['open']>>;
  beforeAll(async () => {
    ctx = await engine.open();
  });
  afterAll(() => ctx?.close());

  it('accepts one SELECT and returns its columns, with or without a trailing semicolon or comment', async () => {
    const s = ctx.schema;
    for (const sql of [
      `SELECT person_id, age FROM ${s}.persons`,
      `SELECT person_id, age FROM ${s}.persons;`,
      `WITH x AS (SELECT person_id, age FROM ${s}.persons) SELECT * FROM x -- trailing comment`,
    ]) {
      const columns = await ctx.wh.checkSelect(sql);
      expect(columns.map((c) => c.name.toLowerCase()), sql).toEqual(['person_id', 'age']);
      expect(columns.map((c) => c.family), sql).toEqual(['text', 'number']);
    }
  });

  it('refuses several statements, writes and fragments, with the reason; the canary survives', async () => {
    for (const sql of [...REFUSED(ctx.schema), ...(engine.extra?.(ctx.schema) ?? [])]) {
      const err = await ctx.wh.checkSelect(sql).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, sql).toBeInstanceOf(SqlRejectedError);
      expect((err as Error).message.length, sql).toBeGreaterThan(0);
    }
    expect(await ctx.canary()).toBe(2);
    // Nothing was left open or half-done: the connection still works.
    expect(await ctx.wh.checkSelect(`SELECT id FROM ${ctx.schema}.canary`)).toHaveLength(1);
  });
});

describe('every statement a driver runs is one statement', () => {
  it('DuckDB refuses a script in query, stream and execute', async () => {
    const wh = await DuckDbDriver.open({ path: ':memory:' });
    try {
      await wh.execute('create table canary as select 1 as id');
      await expect(wh.query('select 1; drop table canary')).rejects.toThrow(/one statement/);
      await expect(wh.execute('select 1; drop table canary')).rejects.toThrow(/one statement/);
      const pages = async () => {
        for await (const _ of wh.stream('select 1; drop table canary')) void _;
      };
      await expect(pages()).rejects.toThrow(/one statement/);
      expect(await wh.query('select count(*)::int as n from canary')).toEqual([{ n: 1 }]);
    } finally {
      await wh.close();
    }
  });

  it.skipIf(!pgUp)('PostgreSQL refuses a script even without parameters', async () => {
    const wh = await openTestPostgres();
    const schema = uniqueSchema('onestmt');
    try {
      await wh.execute(`CREATE SCHEMA ${schema}`);
      await wh.execute(`CREATE TABLE ${schema}.canary AS SELECT 1 AS id`);
      await expect(wh.query(`SELECT 1; DROP TABLE ${schema}.canary`)).rejects.toThrow(/multiple commands/);
      await expect(wh.execute(`SELECT 1; DROP TABLE ${schema}.canary`)).rejects.toThrow(/multiple commands/);
      expect(await wh.query(`SELECT count(*)::int AS n FROM ${schema}.canary`)).toEqual([{ n: 1 }]);
    } finally {
      await wh.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await wh.close();
    }
  });
});
