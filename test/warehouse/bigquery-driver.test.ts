import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigQueryDriver } from '../../src/warehouse/bigquery/driver';
import { type BigQueryFake, startBigQueryFake } from '../fakes/bigquery-fake';

/** A client holding a fixed access token: the SDK authorises requests without reaching Google. */
function staticToken(token: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

describe('BigQuery driver (official SDK against a local BigQuery API fake)', () => {
  let fake: BigQueryFake;
  let wh: BigQueryDriver;

  beforeAll(async () => {
    fake = await startBigQueryFake();
    await fake.seed(`create schema shop;
      create table shop.persons as
        select i as person_id, 'p' || i as email, i % 2 = 0 as vip, timestamptz '2026-01-01 00:00:00+00' + i * interval 1 hour as seen_at
        from range(2500) t(i)`);
    wh = await BigQueryDriver.open(
      { type: 'bigquery', projectId: 'proj', location: 'EU', apiEndpoint: fake.endpoint },
      { authClient: staticToken(fake.token) },
    );
  });
  afterAll(async () => {
    await wh?.close();
    await fake?.stop();
  });

  it('binds every value as a typed query parameter, never in the SQL text', async () => {
    const rows = await wh.query('select person_id, email, vip, seen_at from `shop`.`persons` where person_id = ? and email = ?', [
      7,
      "p7",
    ]);
    expect(rows).toEqual([{ person_id: 7, email: 'p7', vip: false, seen_at: new Date('2026-01-01T07:00:00Z') }]);
    const last = fake.queries.at(-1)!;
    expect(last.sql).not.toContain("'p7'");
    expect(last.params).toEqual([7, 'p7']);
  });

  it('binds timestamps and lists', async () => {
    const rows = await wh.query(
      'select count(*) as n from `shop`.`persons` where seen_at < ? and email in (select unnest(?))',
      [new Date('2026-01-01T03:00:00Z'), ['p1', 'p2', 'p9']],
    );
    expect(rows).toEqual([{ n: 2 }]);
  });

  it('streams results page by page with page tokens', async () => {
    const sizes: number[] = [];
    let total = 0;
    for await (const page of wh.stream('select person_id from `shop`.`persons` order by person_id', [], { pageSize: 1000 })) {
      sizes.push(page.length);
      total += page.reduce((s, r) => s + Number(r.person_id), 0);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(total).toBe((2499 * 2500) / 2);
  });

  it('reports affected rows of DML and describes tables and queries', async () => {
    await wh.execute('create table `shop`.`tmp` (id bigint, name varchar)');
    expect(await wh.execute('insert into `shop`.`tmp` select i, ? from range(5) t(i)', ['x'])).toBe(5);
    expect(await wh.columns('shop.persons')).toEqual([
      { name: 'person_id', dataType: 'INTEGER', family: 'number' },
      { name: 'email', dataType: 'STRING', family: 'text' },
      { name: 'vip', dataType: 'BOOLEAN', family: 'boolean' },
      { name: 'seen_at', dataType: 'TIMESTAMP', family: 'timestamp' },
    ]);
    expect(await wh.columns('shop.nope')).toBeUndefined();
    expect((await wh.queryColumns('select email, vip from `shop`.`persons`')).map((c) => c.family)).toEqual(['text', 'boolean']);
  });

  it('runs a transaction as one atomic script, with parameters numbered across statements', async () => {
    await wh.transaction(async (tx) => {
      await tx.execute('delete from `shop`.`tmp` where id < ?', [3]);
      await tx.execute('insert into `shop`.`tmp` values (?, ?)', [10, 'y']);
    });
    const script = fake.queries.at(-1)!;
    expect(script.sql).toMatch(/^BEGIN TRANSACTION;\n.*;\nCOMMIT TRANSACTION;$/s);
    expect(script.params).toEqual([3, 10, 'y']);
    expect(await wh.query('select id from `shop`.`tmp` order by id')).toEqual([{ id: 3 }, { id: 4 }, { id: 10 }]);
  });

  it('turns API errors into warehouse errors and refuses a bad token', async () => {
    await expect(wh.query('select nope from `shop`.`persons`')).rejects.toThrow(/BigQuery: .*nope/);
    const bad = await BigQueryDriver.open(
      { type: 'bigquery', projectId: 'proj', location: 'EU', apiEndpoint: fake.endpoint },
      { authClient: staticToken('wrong') },
    );
    await expect(bad.query('select 1')).rejects.toThrow(/authentication/);
  });
});
