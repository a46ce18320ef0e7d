import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectFor } from '../../src/segments';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import type { PostgresDriver } from '../../src/warehouse/postgres/driver';
import { openTestPostgres, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';
import { type CliFixture, cliFixture } from './fixture';
import { outflowInProcess } from './support';

// `segments sql --inline` prints SQL that pastes into a warehouse console (values shown as
// literals, for display only); `segments members --format ids` lists keys in their own order.

const pgUp = await postgresReachable();
let fx: CliFixture;
beforeAll(async () => {
  fx = await cliFixture('outflow-output-');
  const db = await DuckDbDriver.open({ path: fx.warehouse });
  try {
    await db.execute(`create table main.people as
      select i as id, case when i % 3 = 0 then 'O''Brien \\ ' || i else 'plain ' || i end as name, i * 1.5 as score,
             date '2026-01-01' + i::integer as joined, i % 2 = 0 as vip
      from range(1, 25) t(i)`);
    await db.execute('create table main.ints as select i as id from range(1, 25) t(i) order by hash(i)');
  } finally {
    await db.close();
  }
});
afterAll(() => fx.close());

/** Segments whose values need every kind of literal: quotes and backslashes, numbers, lists, dates, booleans, instants. */
const SEGMENTS = `segments:
  - {id: quoted, entity: person, name: Q, rules: {conditions: [{kind: trait, trait: name, op: starts_with, value: "O'Brien \\\\"}]}}
  - {id: exact, entity: person, name: E, rules: {match: any, conditions: [{kind: trait, trait: name, op: "=", value: "O'Brien \\\\ 3"}, {kind: trait, trait: name, op: in, value: ["plain 1", "it's", "a\\\\b"]}]}}
  - {id: numbers, entity: person, name: N, rules: {conditions: [{kind: trait, trait: score, op: ">", value: 7.5}, {kind: trait, trait: id, op: not_in, value: [5, 6.5]}, {kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: dates, entity: person, name: D, rules: {conditions: [{kind: trait, trait: joined, op: within_last, value: {last: 10, unit: day}}, {kind: trait, trait: joined, op: ">=", value: "2026-01-05"}]}}
`;

const workspace = (warehouse: string, table: string) => `version: 1
warehouse: ${warehouse}
entities: [{id: person, table: ${table}, primaryKey: id}]
${SEGMENTS}`;

const AS_OF = '2026-01-20T00:00:00Z';

async function compare(config: string, run: (sql: string) => Promise<number>) {
  for (const id of ['quoted', 'exact', 'numbers', 'dates']) {
    const inline = await outflowInProcess(['--config', config, 'segments', 'sql', id, '--inline', '--as-of', AS_OF]);
    expect(inline.code, inline.stderr).toBe(0);
    expect(inline.stdout, id).not.toMatch(/\$\d|\?|parameters/);
    const size = await outflowInProcess(['--config', config, 'segments', 'size', id, '--as-of', AS_OF]);
    expect(Number(size.stdout), id).toBeGreaterThan(0);
    const pasted = await run(`SELECT COUNT(*) AS n FROM (${inline.stdout.trim().replace(/;$/, '')}) AS pasted`);
    expect(pasted, `${id}: ${inline.stdout}`).toBe(Number(size.stdout));
  }
}

describe('segments sql --inline', () => {
  it('DuckDB: the printed SQL, pasted as it is, counts what segments size counts', async () => {
    const config = fx.write('inline.yaml', workspace('{type: duckdb, path: ./wh.duckdb}', 'main.people'));
    await compare(config, async (sql) => {
      const db = await DuckDbDriver.open({ path: fx.warehouse });
      try {
        // a console in another time zone: the literals must not depend on it
        await db.execute("SET TimeZone = 'America/Los_Angeles'");
        return (await db.query<{ n: number }>(sql))[0]!.n;
      } finally {
        await db.close();
      }
    });
  });

  it('the default output keeps placeholders and lists the parameters', async () => {
    const config = fx.write('inline.yaml', workspace('{type: duckdb, path: ./wh.duckdb}', 'main.people'));
    const run = await outflowInProcess(['--config', config, 'segments', 'sql', 'quoted', '--as-of', AS_OF]);
    expect(run.stdout).toMatch(/\$1/);
    expect(run.stdout).toContain('-- parameters, in placeholder order:');
    expect(run.stdout).not.toContain("O''Brien");
  });

  describe.skipIf(!pgUp)('PostgreSQL', () => {
    let pg: PostgresDriver;
    const schema = uniqueSchema('inline');
    beforeAll(async () => {
      pg = await openTestPostgres();
      await pg.execute(`CREATE SCHEMA ${schema}`);
      await pg.execute(`CREATE TABLE ${schema}.people AS
        SELECT i AS id, CASE WHEN i % 3 = 0 THEN 'O''Brien \\ ' || i ELSE 'plain ' || i END AS name, i * 1.5 AS score,
               DATE '2026-01-01' + i AS joined, i % 2 = 0 AS vip
        FROM generate_series(1, 24) i`);
    });
    afterAll(async () => {
      await pg?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pg?.close();
    });

    it('the printed SQL, pasted as it is, counts what segments size counts', async () => {
      const config = fx.write('pg-inline.yaml', workspace(`{type: postgres, connectionString: "${PG_URL}"}`, `${schema}.people`));
      await compare(config, async (sql) => {
        await pg.execute("SET TIME ZONE 'Asia/Tokyo'");
        return (await pg.query<{ n: number }>(sql))[0]!.n;
      });
    });
  });
});

describe('literals per dialect (display only)', () => {
  it('escape quotes and backslashes the way each engine reads them', () => {
    const value = "O'Brien \\ x";
    expect(dialectFor('duckdb').literal(value)).toBe("'O''Brien \\ x'");
    expect(dialectFor('postgres').literal(value)).toBe("'O''Brien \\ x'");
    expect(dialectFor('bigquery').literal(`${value}\n`)).toBe("'O\\'Brien \\\\ x\\n'");
    expect(dialectFor('snowflake').literal(value)).toBe("'O''Brien \\\\ x'");
    expect(dialectFor('postgres').literal(['a', 1])).toBe("ARRAY['a', 1]");
    expect(dialectFor('bigquery').literal(new Date('2026-01-02T03:04:05Z'))).toBe("TIMESTAMP '2026-01-02 03:04:05.000+00'");
  });
});

describe('segments members --format ids', () => {
  it('orders integer keys as integers', async () => {
    const config = fx.write('ints.yaml', 'version: 1\nwarehouse: {type: duckdb, path: ./wh.duckdb}\nentities: [{id: person, table: main.ints, primaryKey: id}]\nsegments: [{id: all, entity: person, name: All, type: everyone}]\n');
    const run = await outflowInProcess(['--config', config, 'segments', 'members', 'all']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${Array.from({ length: 24 }, (_, i) => i + 1).join('\n')}\n`);
    const csv = await outflowInProcess(['--config', config, 'segments', 'members', 'all', '--format', 'csv']);
    expect(csv.stdout.split('\n').slice(1, 4)).toEqual(['1', '2', '3']);
  });
});
