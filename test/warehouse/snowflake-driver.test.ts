import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnowflakeDriver } from '../../src/warehouse/snowflake/driver';
import { type SnowflakeFake, startSnowflakeFake } from '../fakes/snowflake-fake';

describe('Snowflake driver (official SDK against a local Snowflake protocol fake)', () => {
  let fake: SnowflakeFake;
  let wh: SnowflakeDriver;
  const config = (f: SnowflakeFake, password = f.password) => ({
    type: 'snowflake' as const,
    account: f.account,
    username: f.username,
    password,
    warehouse: 'WH',
    database: 'DB',
    accessUrl: f.accessUrl,
  });

  beforeAll(async () => {
    fake = await startSnowflakeFake();
    await fake.seed(`create schema shop;
      create table shop.persons as
        select i as person_id, 'p' || i as email, i % 2 = 0 as vip, timestamptz '2026-01-01 00:00:00+00' + i * interval 1 hour as seen_at
        from range(2500) t(i)`);
    wh = await SnowflakeDriver.open(config(fake));
  });
  afterAll(async () => {
    await wh?.close();
    await fake?.stop();
  });

  it('binds values, never pasting them into the SQL text', async () => {
    const rows = await wh.query('select person_id, email, vip, seen_at from shop.persons where person_id = ? and email = ?', [7, 'p7']);
    expect(rows).toEqual([{ person_id: 7, email: 'p7', vip: false, seen_at: new Date('2026-01-01T07:00:00Z') }]);
    expect(fake.queries.at(-1)).toMatchObject({ params: [7, 'p7'] });
    expect(fake.queries.at(-1)!.sql).not.toContain("'p7'");
  });

  it('sends dates as ISO text and lists as JSON text', async () => {
    await wh.query('select ? as t, ? as l', [new Date('2026-01-01T03:00:00Z'), ['a', 'b']]);
    expect(fake.queries.at(-1)!.params).toEqual(['2026-01-01T03:00:00.000Z', '["a","b"]']);
  });

  it('streams rows in pages', async () => {
    const sizes: number[] = [];
    for await (const page of wh.stream('select person_id from shop.persons order by person_id', [], { pageSize: 1000 }))
      sizes.push(page.length);
    expect(sizes).toEqual([1000, 1000, 500]);
  });

  it('reports updated rows, runs transactions and describes tables and queries', async () => {
    await wh.execute('create table shop.tmp (id bigint, name varchar)');
    expect(await wh.execute('insert into shop.tmp select i, ? from range(5) t(i)', ['x'])).toBe(5);
    await expect(
      wh.transaction(async (tx) => {
        await tx.execute('delete from shop.tmp');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await wh.query('select count(*) as n from shop.tmp')).toEqual([{ n: 5 }]);
    expect((await wh.columns('shop.persons'))?.map((c) => [c.name, c.family])).toEqual([
      ['person_id', 'number'],
      ['email', 'text'],
      ['vip', 'boolean'],
      ['seen_at', 'timestamp'],
    ]);
    expect(await wh.columns('shop.nope')).toBeUndefined();
    expect((await wh.queryColumns('select email, person_id from shop.persons')).map((c) => c.family)).toEqual(['text', 'number']);
  });

  it('surfaces SQL errors and refuses a wrong password', async () => {
    await expect(wh.query('select nope from shop.persons')).rejects.toThrow(/Snowflake: .*nope/);
    await expect(SnowflakeDriver.open(config(fake, 'wrong'))).rejects.toThrow(/cannot connect.*Incorrect username or password/);
  });
});
