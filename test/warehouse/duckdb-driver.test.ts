import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';

describe('DuckDB driver', () => {
  let wh: DuckDbDriver;
  beforeAll(async () => {
    wh = await DuckDbDriver.open({ path: ':memory:' });
    await wh.execute('create table t as select range as i, range % 2 = 0 as even from range(25)');
  });
  afterAll(() => wh.close());

  it('binds values, Dates as instants and lists, and returns plain numbers', async () => {
    const [row] = await wh.query('select $1::int + 1 as x, $2 as t, $3 as l, 10::bigint as b', [
      1,
      new Date('2024-01-01T00:00:00Z'),
      ['a', 'b'],
    ]);
    expect(row).toEqual({ x: 2, t: new Date('2024-01-01T00:00:00Z'), l: ['a', 'b'], b: 10 });
  });

  it('runs its session in UTC whatever the machine time zone', async () => {
    const [row] = await wh.query("select current_setting('TimeZone') as tz, (timestamptz '2026-01-01 02:00:00+00')::date::varchar as d");
    expect(row).toEqual({ tz: 'UTC', d: '2026-01-01' });
  });

  it('streams results in pages of at most pageSize', async () => {
    const sizes: number[] = [];
    for await (const page of wh.stream('select i from t order by i', [], { pageSize: 10 })) sizes.push(page.length);
    expect(sizes).toEqual([10, 10, 5]);
  });

  it('commits a transaction whole or not at all', async () => {
    await wh.transaction(async (tx) => {
      await tx.execute('insert into t values (100, true)');
    });
    await expect(
      wh.transaction(async (tx) => {
        await tx.execute('insert into t values (101, false)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await wh.query('select count(*) as n from t where i >= 100')).toEqual([{ n: 1 }]);
  });

  it('describes tables and queries, and reports a missing table as undefined', async () => {
    expect(await wh.columns('t')).toEqual([
      { name: 'i', dataType: 'BIGINT', family: 'number' },
      { name: 'even', dataType: 'BOOLEAN', family: 'boolean' },
    ]);
    expect(await wh.columns('main.nope')).toBeUndefined();
    expect((await wh.queryColumns('select 1::int as a, now() as b')).map((c) => c.family)).toEqual(['number', 'timestamp']);
  });

  it('wraps engine errors as warehouse errors', async () => {
    await expect(wh.query('select nope from t')).rejects.toThrow(/^DuckDB: .*nope/);
  });
});
