import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigQueryDriver } from '../../src/warehouse/bigquery/driver';
import { type SqlValue, type WarehouseDriver, WarehouseError } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { SnowflakeDriver } from '../../src/warehouse/snowflake/driver';
import { UnsupportedFeatureError } from '../../src/warehouse/templates';
import { startBigQueryFake } from '../fakes/bigquery-fake';
import { startSnowflakeFake } from '../fakes/snowflake-fake';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';
import { staticToken } from '../sync/support/backends';

/**
 * One conformance suite every warehouse driver runs (STYLE "Dialect tests at three levels"):
 * DuckDB in memory, the real PostgreSQL, and BigQuery and Snowflake through their official SDKs
 * against the local protocol fakes. What an engine cannot do is in its skip list, with the reason.
 */

type Check =
  | 'session in UTC'
  | 'reads inside a transaction'
  | 'refuses bad credentials'
  | 'shows its wire';

interface Opened {
  driver: WarehouseDriver;
  /** Runs SQL on the engine directly (setup). */
  seed(sql: string): Promise<void>;
  /** Statements and values as they reached the engine, where a fake records them. */
  wire?: () => { sql: string; params: unknown[] }[];
  /** Opens a second driver with wrong credentials and makes one call. */
  badCredentials?: () => Promise<unknown>;
  close(): Promise<void>;
}

interface DriverCase {
  name: string;
  open(schema: string): Promise<Opened>;
  /** `schema.table` as the engine's SQL spells a name. */
  table(schema: string, name: string): string;
  /** SQL selecting `n` rows `i = 0..n-1` as a derived table `t(i)`. */
  range(n: number): string;
  /** An interval of `h` hours. */
  hours(h: string): string;
  /** What the engine's errors start with. */
  label: string;
  /** The engine's own type names of persons(person_id, email, vip, seen_at); absent where a fake reports DuckDB's. */
  dataTypes?: string[];
  /** What refusing bad credentials says. */
  badCredentials?: RegExp;
  skip: Partial<Record<Check, string>>;
}

const duckRange = (n: number) => `range(${n}) t(i)`;
const duckHours = (h: string) => `${h} * interval 1 hour`;

const CASES: DriverCase[] = [
  {
    name: 'duckdb',
    label: 'DuckDB',
    dataTypes: ['BIGINT', 'VARCHAR', 'BOOLEAN', 'TIMESTAMP WITH TIME ZONE'],
    table: (s, n) => `${s}.${n}`,
    range: duckRange,
    hours: duckHours,
    skip: { 'refuses bad credentials': 'an embedded database has no credentials', 'shows its wire': 'in process: no wire' },
    async open() {
      const driver = await DuckDbDriver.open({ path: ':memory:' });
      return { driver, seed: (sql) => driver.execute(sql).then(() => undefined), close: () => driver.close() };
    },
  },
  {
    name: 'postgres',
    label: 'PostgreSQL',
    dataTypes: ['INTEGER', 'TEXT', 'BOOLEAN', 'TIMESTAMP WITH TIME ZONE'],
    table: (s, n) => `${s}.${n}`,
    range: (n) => `generate_series(0, ${n - 1}) t(i)`,
    hours: (h) => `${h} * interval '1 hour'`,
    skip: { 'refuses bad credentials': 'the test server trusts every local user', 'shows its wire': 'a real server: no request log' },
    async open(schema) {
      const driver = await openTestPostgres();
      return {
        driver,
        seed: (sql) => driver.execute(sql).then(() => undefined),
        close: async () => {
          await driver.execute(`drop schema if exists ${schema} cascade`);
          await driver.close();
        },
      };
    },
  },
  {
    name: 'bigquery',
    label: 'BigQuery',
    dataTypes: ['INTEGER', 'STRING', 'BOOLEAN', 'TIMESTAMP'],
    badCredentials: /authentication/,
    table: (s, n) => `\`${s}\`.\`${n}\``,
    range: duckRange,
    hours: duckHours,
    skip: {
      'session in UTC': 'BigQuery has no session time zone: TIMESTAMP is UTC',
      'reads inside a transaction': 'a transaction is one script: reads inside it are refused (UnsupportedFeatureError)',
    },
    async open() {
      const fake = await startBigQueryFake();
      const config = { type: 'bigquery' as const, projectId: 'proj', location: 'EU', apiEndpoint: fake.endpoint };
      const driver = await BigQueryDriver.open(config, { authClient: staticToken(fake.token) });
      return {
        driver,
        seed: (sql) => fake.seed(sql),
        wire: () => fake.queries,
        badCredentials: async () => (await BigQueryDriver.open(config, { authClient: staticToken('wrong') })).query('select 1'),
        close: () => fake.stop(),
      };
    },
  },
  {
    name: 'snowflake',
    label: 'Snowflake',
    badCredentials: /cannot connect.*Incorrect username or password/,
    table: (s, n) => `${s}.${n}`,
    range: duckRange,
    hours: duckHours,
    skip: { 'session in UTC': 'the fake runs DuckDB in the machine zone; the driver sets TIMEZONE=UTC at login' },
    async open() {
      const fake = await startSnowflakeFake();
      const config = (password: string) => ({
        type: 'snowflake' as const,
        account: fake.account,
        username: fake.username,
        password,
        warehouse: 'WH',
        database: 'DB',
        accessUrl: fake.accessUrl,
      });
      const driver = await SnowflakeDriver.open(config(fake.password));
      return {
        driver,
        seed: (sql) => fake.seed(sql),
        wire: () => fake.queries,
        badCredentials: () => SnowflakeDriver.open(config('wrong')),
        close: async () => {
          await driver.close();
          await fake.stop();
        },
      };
    },
  },
];

const pgUp = await postgresReachable();
const drivers = CASES.filter((c) => c.name !== 'postgres' || pgUp);

describe.each(drivers)('$name driver', (c) => {
  const schema = uniqueSchema('conf');
  const persons = c.table(schema, 'persons');
  const tmp = c.table(schema, 'tmp');
  let o: Opened;
  let wh: WarehouseDriver;
  const p = (i: number) => wh.dialect.placeholder(i);
  const check = (name: Check) => (c.skip[name] ? it.skip : it);

  beforeAll(async () => {
    o = await c.open(schema);
    wh = o.driver;
    await o.seed(`create schema ${schema}`);
    await o.seed(
      `create table ${schema}.persons as select i as person_id, 'p' || cast(i as varchar) as email, i % 2 = 0 as vip, ` +
        `timestamptz '2026-01-01 00:00:00+00' + ${c.hours('i')} as seen_at from ${c.range(2500)}`,
    );
    await o.seed(`create table ${schema}.tmp (id bigint, name varchar)`);
  });
  afterAll(async () => {
    await o?.close();
  });

  it('binds every value as a parameter, never in the SQL text', async () => {
    const rows = await wh.query(`select person_id, email, vip, seen_at from ${persons} where person_id = ${p(0)} and email = ${p(1)}`, [7, 'p7']);
    expect(rows).toEqual([{ person_id: 7, email: 'p7', vip: false, seen_at: new Date('2026-01-01T07:00:00Z') }]);
    if (o.wire) expect(o.wire().at(-1)).toMatchObject({ params: [7, 'p7'] });
    const hostile = "x'); drop table persons; --";
    expect(await wh.query(`select ${p(0)} as a`, [hostile])).toEqual([{ a: hostile }]);
    if (o.wire) {
      const sent = o.wire().at(-1)!;
      expect(sent.sql).not.toContain('drop table');
      expect(sent.params).toEqual([hostile]);
    }
  });

  it('binds Dates as instants and returns counts as numbers', async () => {
    const at: SqlValue = new Date('2026-01-01T03:00:00Z');
    expect(await wh.query(`select count(*) as n from ${persons} where seen_at < ${p(0)}`, [at])).toEqual([{ n: 3 }]);
  });

  it('streams results in pages of at most pageSize', async () => {
    const sizes: number[] = [];
    let total = 0;
    for await (const page of wh.stream(`select person_id from ${persons} order by person_id`, [], { pageSize: 1000 })) {
      sizes.push(page.length);
      total += page.reduce((s, r) => s + Number(r.person_id), 0);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(total).toBe((2499 * 2500) / 2);
  });

  it('reports the rows a statement changed', async () => {
    expect(await wh.execute(`insert into ${tmp} select i, ${p(0)} from ${c.range(5)}`, ['x'])).toBe(5);
  });

  it('commits a transaction whole, and not at all when it fails', async () => {
    await wh.transaction(async (tx) => {
      await tx.execute(`delete from ${tmp} where id < ${p(0)}`, [3]);
      await tx.execute(`insert into ${tmp} values (${p(0)}, ${p(1)})`, [10, 'y']);
    });
    await expect(
      wh.transaction(async (tx) => {
        await tx.execute(`delete from ${tmp}`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // A statement the engine rejects fails the transaction the same way.
    await expect(
      wh.transaction(async (tx) => {
        await tx.execute(`delete from ${tmp}`);
        await tx.execute(`insert into ${c.table(schema, 'no_such_table')} values (1)`);
      }),
    ).rejects.toBeInstanceOf(WarehouseError);
    expect(await wh.query(`select id from ${tmp} order by id`)).toEqual([{ id: 3 }, { id: 4 }, { id: 10 }]);
  });

  check('reads inside a transaction')('reads its own uncommitted writes inside a transaction', async () => {
    await wh.transaction(async (tx) => {
      await tx.execute(`insert into ${tmp} values (${p(0)}, ${p(1)})`, [20, 'tx']);
      const seen: unknown[] = [];
      for await (const page of tx.stream(`select id from ${tmp} where name = ${p(0)}`, ['tx'])) seen.push(...page);
      expect(seen).toEqual([{ id: 20 }]);
      expect(await tx.query(`select count(*) as n from ${tmp} where name = ${p(0)}`, ['tx'])).toEqual([{ n: 1 }]);
    });
  });

  it.runIf(c.skip['reads inside a transaction'] !== undefined)('refuses reads inside a transaction with a named error', async () => {
    await expect(wh.transaction((tx) => tx.query('select 1'))).rejects.toBeInstanceOf(UnsupportedFeatureError);
  });

  it('describes tables and queries; a missing table is undefined', async () => {
    const families = ['number', 'text', 'boolean', 'timestamp'];
    const columns = await wh.columns(`${schema}.persons`);
    expect(columns?.map((col) => [col.name, col.family])).toEqual(['person_id', 'email', 'vip', 'seen_at'].map((name, i) => [name, families[i]]));
    if (c.dataTypes) expect(columns?.map((col) => col.dataType)).toEqual(c.dataTypes);
    expect(await wh.columns(`${schema}.nope`)).toBeUndefined();
    const q = await wh.queryColumns(`select email, vip, person_id from ${persons} where person_id = ${p(0)}`, [1]);
    expect(q.map((col) => [col.name, col.family])).toEqual([
      ['email', 'text'],
      ['vip', 'boolean'],
      ['person_id', 'number'],
    ]);
  });

  it('reports SQL errors as WarehouseError naming the engine', async () => {
    const err: unknown = await wh.query(`select nope from ${persons}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarehouseError);
    expect((err as Error).message).toMatch(new RegExp(`^${c.label}: .*nope`));
  });

  check('session in UTC')('runs its session in UTC whatever the machine time zone', async () => {
    const [row] = await wh.query(`select cast(cast(timestamptz '2026-01-01 02:00:00+00' as date) as varchar) as d`);
    expect(row).toEqual({ d: '2026-01-01' });
  });

  check('refuses bad credentials')('refuses bad credentials with an error that says so', async () => {
    await expect(o.badCredentials!()).rejects.toThrow(c.badCredentials!);
  });
});

/** What only one engine does, beside the shared contract. */
describe.skipIf(!pgUp)('postgres driver, beyond the contract', () => {
  const schema = uniqueSchema('pgdrv');
  let pg: Awaited<ReturnType<typeof openTestPostgres>>;
  beforeAll(async () => {
    pg = await openTestPostgres();
  });
  afterAll(async () => {
    await pg?.execute(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    await pg?.close();
  });

  it('returns int8 and numeric as numbers where safe, as text beyond', async () => {
    const [row] = await pg.query('SELECT 9007199254740991::int8 AS safe, 9007199254740993::int8 AS big, 12.50::numeric AS amount');
    expect(row).toEqual({ safe: 9007199254740991, big: '9007199254740993', amount: 12.5 });
  });

  it('reads TIMESTAMP as UTC and DATE as midnight UTC', async () => {
    const at = new Date('2024-03-31T12:34:56.789Z');
    await pg.execute(`CREATE SCHEMA ${schema}`);
    await pg.execute(`CREATE TABLE ${schema}.t (at TIMESTAMP, day DATE)`);
    await pg.execute(`INSERT INTO ${schema}.t VALUES ($1, '2024-02-29')`, [at]);
    const [row] = await pg.query<{ at: Date; day: Date }>(`SELECT at, day FROM ${schema}.t`);
    expect(row!.at.toISOString()).toBe(at.toISOString());
    expect(row!.day.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('gives a cursor connection back when a stream is left early', async () => {
    // More early exits than the pool (2) has connections: each must give its connection back.
    for (let k = 0; k < 5; k++) {
      for await (const page of pg.stream('SELECT i FROM generate_series(1, 100000) AS g(i)', [], { pageSize: 100 })) {
        expect(page).toHaveLength(100);
        break;
      }
    }
    expect(await pg.query('SELECT 1 AS x')).toEqual([{ x: 1 }]);
  });
});

describe('bigquery and snowflake drivers, beyond the contract', () => {
  it('BigQuery runs a transaction as one script, parameters numbered across its statements', async () => {
    const fake = await startBigQueryFake();
    try {
      const wh = await BigQueryDriver.open({ type: 'bigquery', projectId: 'proj', location: 'EU', apiEndpoint: fake.endpoint }, { authClient: staticToken(fake.token) });
      await fake.seed('create schema shop; create table shop.tmp (id bigint, name varchar)');
      await wh.transaction(async (tx) => {
        await tx.execute('delete from `shop`.`tmp` where id < ?', [3]);
        await tx.execute('insert into `shop`.`tmp` values (?, ?)', [10, 'y']);
      });
      const script = fake.queries.at(-1)!;
      expect(script.sql).toMatch(/^BEGIN TRANSACTION;\n.*;\nCOMMIT TRANSACTION;$/s);
      expect(script.params).toEqual([3, 10, 'y']);
    } finally {
      await fake.stop();
    }
  });

  it('BigQuery binds lists as ARRAY parameters', async () => {
    const fake = await startBigQueryFake();
    try {
      const wh = await BigQueryDriver.open({ type: 'bigquery', projectId: 'proj', location: 'EU', apiEndpoint: fake.endpoint }, { authClient: staticToken(fake.token) });
      await fake.seed(`create schema shop; create table shop.p as select 'p' || cast(i as varchar) as email from range(10) t(i)`);
      expect(await wh.query('select count(*) as n from `shop`.`p` where email in (select unnest(?))', [['p1', 'p2', 'p99']])).toEqual([{ n: 2 }]);
      expect(fake.queries.at(-1)!.sql).not.toContain('p99');
    } finally {
      await fake.stop();
    }
  });

  it('Snowflake receives Dates as ISO text and lists as JSON text', async () => {
    const fake = await startSnowflakeFake();
    const wh = await SnowflakeDriver.open({ type: 'snowflake', account: fake.account, username: fake.username, password: fake.password, warehouse: 'WH', database: 'DB', accessUrl: fake.accessUrl });
    try {
      await wh.query('select ? as t, ? as l', [new Date('2026-01-01T03:00:00Z'), ['a', 'b']]);
      expect(fake.queries.at(-1)!.params).toEqual(['2026-01-01T03:00:00.000Z', '["a","b"]']);
    } finally {
      await wh.close();
      await fake.stop();
    }
  });

  it('DuckDB binds lists and returns them as arrays', async () => {
    const wh = await DuckDbDriver.open({ path: ':memory:' });
    try {
      expect(await wh.query('select $1 as l', [['a', 'b']])).toEqual([{ l: ['a', 'b'] }]);
    } finally {
      await wh.close();
    }
  });
});
