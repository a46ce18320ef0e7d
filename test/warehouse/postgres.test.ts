import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WarehouseError } from '../../src/warehouse/driver';
import type { PostgresDriver } from '../../src/warehouse/postgres/driver';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';

const pgUp = await postgresReachable();

describe.skipIf(!pgUp)('PostgreSQL driver', () => {
  let pg: PostgresDriver;
  const schema = uniqueSchema('pgdrv');
  beforeAll(async () => {
    pg = await openTestPostgres();
    await pg.execute(`CREATE SCHEMA ${schema}`);
    await pg.execute(
      `CREATE TABLE ${schema}.t (id BIGINT, name TEXT, amount NUMERIC(12,2), ok BOOLEAN, at TIMESTAMP, at_tz TIMESTAMPTZ, day DATE)`,
    );
  });
  afterAll(async () => {
    await pg?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pg?.close();
  });

  it('binds parameters ($1..$n) and never interprets them as SQL', async () => {
    const rows = await pg.query('SELECT $1::text AS a, $2::int AS b, $3::boolean AS c', ["x'); DROP TABLE t; --", 7, true]);
    expect(rows).toEqual([{ a: "x'); DROP TABLE t; --", b: 7, c: true }]);
  });

  it('returns int8 and numeric as numbers where safe, as text beyond', async () => {
    const [row] = await pg.query('SELECT 9007199254740991::int8 AS safe, 9007199254740993::int8 AS big, 12.50::numeric AS amount, count(*) AS n FROM (VALUES (1)) v');
    expect(row).toEqual({ safe: 9007199254740991, big: '9007199254740993', amount: 12.5, n: 1 });
  });

  it('runs sessions in UTC and reads TIMESTAMP as UTC; Dates bind as instants', async () => {
    const at = new Date('2024-03-31T12:34:56.789Z');
    expect(await pg.execute(`INSERT INTO ${schema}.t (id, at, at_tz, day) VALUES (1, $1, $2, '2024-02-29')`, [at, at])).toBe(1);
    const [row] = await pg.query<{ at: Date; at_tz: Date; day: Date; tz: string }>(
      `SELECT at, at_tz, day, current_setting('TimeZone') AS tz FROM ${schema}.t WHERE id = 1`,
    );
    expect(row!.tz).toBe('UTC');
    expect(row!.at.toISOString()).toBe(at.toISOString());
    expect(row!.at_tz.toISOString()).toBe(at.toISOString());
    expect(row!.day.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('streams pages of at most pageSize through a cursor, and frees the connection on early exit', async () => {
    const pages: number[] = [];
    for await (const page of pg.stream<{ i: number }>('SELECT i FROM generate_series(1, $1::int) AS g(i) ORDER BY i', [25], { pageSize: 10 }))
      pages.push(page.length);
    expect(pages).toEqual([10, 10, 5]);
    // More early exits than the pool (2) has connections: each must give its connection back.
    for (let k = 0; k < 5; k++) {
      for await (const page of pg.stream('SELECT i FROM generate_series(1, 100000) AS g(i)', [], { pageSize: 100 })) {
        expect(page).toHaveLength(100);
        break;
      }
    }
    expect(await pg.query('SELECT 1 AS x')).toEqual([{ x: 1 }]);
  });

  it('commits a transaction together and rolls back on error', async () => {
    await pg.transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${schema}.t (id, name) VALUES (2, 'a')`);
      await tx.execute(`INSERT INTO ${schema}.t (id, name) VALUES (3, 'b')`);
    });
    await expect(
      pg.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${schema}.t (id, name) VALUES (4, 'c')`);
        await tx.execute('SELECT * FROM no_such_table');
      }),
    ).rejects.toThrow(WarehouseError);
    const rows = await pg.query<{ id: number }>(`SELECT id FROM ${schema}.t WHERE name IS NOT NULL ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual([2, 3]);
  });

  it('sees its own uncommitted writes inside a transaction, through stream too', async () => {
    await pg.transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${schema}.t (id, name) VALUES (5, 'tx')`);
      const seen: unknown[] = [];
      for await (const page of tx.stream(`SELECT id FROM ${schema}.t WHERE name = 'tx'`)) seen.push(...page);
      expect(seen).toEqual([{ id: 5 }]);
    });
  });

  it('introspects table and query columns', async () => {
    const cols = await pg.columns(`${schema}.t`);
    expect(cols?.map((c) => [c.name, c.family])).toEqual([
      ['id', 'number'],
      ['name', 'text'],
      ['amount', 'number'],
      ['ok', 'boolean'],
      ['at', 'timestamp'],
      ['at_tz', 'timestamp'],
      ['day', 'date'],
    ]);
    expect(await pg.columns(`${schema}.missing`)).toBeUndefined();
    const q = await pg.queryColumns(`SELECT name, at_tz, $1::int AS k FROM ${schema}.t`, [1]);
    expect(q).toEqual([
      { name: 'name', dataType: 'TEXT', family: 'text' },
      { name: 'at_tz', dataType: 'TIMESTAMP WITH TIME ZONE', family: 'timestamp' },
      { name: 'k', dataType: 'INTEGER', family: 'number' },
    ]);
  });

  it('reports SQL errors as WarehouseError', async () => {
    await expect(pg.query('SELECT * FROM no_such_table')).rejects.toThrow(WarehouseError);
  });
});
