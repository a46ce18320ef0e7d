import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresDriver } from '../../src/warehouse/postgres/driver';
import { openTestPostgres, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';
import { type CliFixture, cliFixture } from './fixture';
import { expectInvalidInput, outflowInProcess } from './support';

// An entity's `sql:` is a user's query: it is accepted only as one read-only SELECT, in every
// command that runs it, and a hostile one never changes the warehouse.

const pgUp = await postgresReachable();
const HOSTILE = (schema: string) => `SELECT * FROM ${schema}.persons) AS q; DROP TABLE ${schema}.canary; SELECT * FROM (SELECT 1`;
const COMMANDS = [
  ['validate', '--check-warehouse'],
  ['segments', 'size', 'all'],
  ['segments', 'size', 'some'],
  ['segments', 'members', 'all'],
  ['segments', 'refresh', 'all'],
  ['sync', 'run', 'all-file', '--dry-run'],
];

function workspace(warehouse: string, schema: string, sql: string): string {
  return `version: 1
warehouse: ${warehouse}
entities:
  - id: person
    sql: ${JSON.stringify(sql)}
    primaryKey: person_id
    identifiers: {email: email}
segments:
  - {id: all, entity: person, name: All, type: everyone}
  - {id: some, entity: person, name: Some, rules: {conditions: [{kind: trait, trait: email, op: contains, value: "1"}]}}
destinations: [{id: out, type: file, settings: {path: ./exports}}]
syncs: [{id: all-file, segment: all, destination: out}]
stateSchema: ${schema.replace(/\W/g, '_')}_state
`;
}

let fx: CliFixture;
const shown = (file: string) => path.relative(process.cwd(), file);
beforeAll(async () => {
  fx = await cliFixture('outflow-user-sql-');
});
afterAll(() => fx.close());

describe('an entity sql: on DuckDB', () => {
  it('several statements are refused with exit 2 naming entities[0].sql in every command; the canary survives', async () => {
    const file = fx.write('hostile.yaml', workspace('{type: duckdb, path: ./wh.duckdb}', 'main', HOSTILE('main')));
    for (const args of COMMANDS) {
      const line = expectInvalidInput(await outflowInProcess(['--config', file, ...args]), shown(file), 'entities[0].sql');
      expect(line).toContain('must be one read-only SELECT');
    }
    expect(await fx.canary()).toBe(3);
  });

  it('a write is refused even though it is one statement', async () => {
    const file = fx.write('write.yaml', workspace('{type: duckdb, path: ./wh.duckdb}', 'main', 'DELETE FROM main.canary RETURNING id AS person_id, 1 AS email'));
    for (const args of COMMANDS) expectInvalidInput(await outflowInProcess(['--config', file, ...args]), shown(file), 'entities[0].sql');
    expect(await fx.canary()).toBe(3);
  });

  it('a query with line comments runs in every command, also where Outflow embeds it in its own statements', async () => {
    const file = fx.write('comments.yaml', workspace('{type: duckdb, path: ./wh.duckdb}', 'main', 'SELECT person_id, email -- ) AS p; DROP TABLE main.canary\nFROM main.persons -- all of them'));
    for (const args of [['segments', 'size', 'all'], ['segments', 'refresh', 'all'], ['sync', 'run', 'all-file', '--dry-run'], ['validate', '--check-warehouse']]) {
      const run = await outflowInProcess(['--config', file, ...args]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    }
    expect(await fx.canary()).toBe(3);
  });

  it('a well-formed query with a trailing semicolon and comment runs', async () => {
    const file = fx.write('fine.yaml', workspace('{type: duckdb, path: ./wh.duckdb}', 'main', 'SELECT person_id, email -- the key and the address\nFROM main.persons;'));
    expect(await outflowInProcess(['--config', file, 'segments', 'size', 'all'])).toMatchObject({ code: 0, stdout: '20\n' });
    expect(await outflowInProcess(['--config', file, 'validate', '--check-warehouse'])).toMatchObject({ code: 0 });
  });
});

describe.skipIf(!pgUp)('an entity sql: on PostgreSQL', () => {
  let pg: PostgresDriver;
  const schema = uniqueSchema('usersql');
  beforeAll(async () => {
    pg = await openTestPostgres();
    await pg.execute(`CREATE SCHEMA ${schema}`);
    await pg.execute(`CREATE TABLE ${schema}.canary AS SELECT generate_series(1, 3) AS id`);
    await pg.execute(`CREATE TABLE ${schema}.persons AS SELECT 'p' || i AS person_id, 'u' || i || '@example.com' AS email FROM generate_series(1, 5) i`);
  });
  afterAll(async () => {
    await pg?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg?.execute(`DROP SCHEMA IF EXISTS ${schema}_state CASCADE`);
    await pg?.close();
  });
  const canary = async () => (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.canary`))[0]!.n;

  it('several statements, a data-modifying CTE or SELECT INTO are refused in every command; the canary survives', async () => {
    for (const sql of [
      HOSTILE(schema),
      `WITH d AS (DELETE FROM ${schema}.canary RETURNING id) SELECT 'p' || id AS person_id, 'e' AS email FROM d`,
      `SELECT 'p' AS person_id, 'e' AS email INTO ${schema}.made FROM ${schema}.canary`,
    ]) {
      const file = fx.write('pg-hostile.yaml', workspace(`{type: postgres, connectionString: "${PG_URL}"}`, schema, sql));
      for (const args of COMMANDS) expectInvalidInput(await outflowInProcess(['--config', file, ...args]), shown(file), 'entities[0].sql');
      expect(await canary()).toBe(3);
    }
    expect(await pg.columns(`${schema}.made`)).toBeUndefined();
  });

  it('a well-formed query runs', async () => {
    const file = fx.write('pg-fine.yaml', workspace(`{type: postgres, connectionString: "${PG_URL}"}`, schema, `SELECT person_id, email FROM ${schema}.persons;`));
    expect(await outflowInProcess(['--config', file, 'segments', 'size', 'all'])).toMatchObject({ code: 0, stdout: '5\n' });
  });
});
