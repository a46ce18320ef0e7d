import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresDriver } from '../../src/warehouse/postgres/driver';
import { openTestPostgres, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';
import { type CliFixture, baseWorkspace, cliFixture } from './fixture';
import { expectInvalidInput, outflowInProcess } from './support';

// `validate --check-warehouse` checks event names against the events table: a misspelled name
// would otherwise silently match nothing ("did not purchase" would grow to everyone).

const pgUp = await postgresReachable();
let fx: CliFixture;
const shown = (file: string) => path.relative(process.cwd(), file);
beforeAll(async () => {
  fx = await cliFixture('outflow-events-');
});
afterAll(() => fx.close());

const withEvents = (names: string[]) =>
  baseWorkspace().replace(
    '{kind: event, event: purchase}',
    names.map((n) => `{kind: event, event: ${JSON.stringify(n)}, performed: false}`).join(', '),
  );

describe('event names in validate --check-warehouse (DuckDB)', () => {
  it('a misspelled name is an error with the closest name the table has', async () => {
    const file = fx.write('typo.yaml', withEvents(['purchase', 'purchse', 'Page_View', 'zzzzzzzz']));
    const run = await outflowInProcess(['--config', file, 'validate', '--check-warehouse']);
    expect(expectInvalidInput(run, shown(file), 'segments[1].rules.conditions[1].event')).toMatch(/no events named "purchse" in main\.events \(did you mean "purchase"\?\)$/);
    expect(expectInvalidInput(run, shown(file), 'segments[1].rules.conditions[2].event')).toContain('(did you mean "page_view"?)');
    expect(expectInvalidInput(run, shown(file), 'segments[1].rules.conditions[3].event')).toMatch(/no events named "zzzzzzzz" in main\.events$/);
    expect(run.stderr).not.toContain('conditions[0]');
  });

  it('names that exist pass', async () => {
    const file = fx.write('ok.yaml', withEvents(['purchase', 'page_view']));
    expect(await outflowInProcess(['--config', file, 'validate', '--check-warehouse'])).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('column names in another case', () => {
  it('DuckDB matches them (it ignores case in quoted names)', async () => {
    const file = fx.write('case.yaml', baseWorkspace().replace('trait: vip, op', 'trait: VIP, op'));
    expect(await outflowInProcess(['--config', file, 'segments', 'size', 'vips'])).toMatchObject({ code: 0, stdout: '7\n' });
  });
});

describe.skipIf(!pgUp)('event names in validate --check-warehouse (PostgreSQL)', () => {
  let pg: PostgresDriver;
  const schema = uniqueSchema('evnames');
  beforeAll(async () => {
    pg = await openTestPostgres();
    await pg.execute(`CREATE SCHEMA ${schema}`);
    await pg.execute(`CREATE TABLE ${schema}.persons AS SELECT 'p' || i AS person_id, 'u' || i AS email, true AS vip FROM generate_series(1, 3) i`);
    await pg.execute(
      `CREATE TABLE ${schema}.events AS SELECT 'p1'::text AS person_id, e AS event_name, now() AS occurred_at FROM unnest(ARRAY['purchase', 'signup', 'it''s odd']) e`,
    );
  });
  afterAll(async () => {
    await pg?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg?.close();
  });

  it('binds the names it looks for and suggests the closest', async () => {
    const text = withEvents(['purchase', 'signpu', "it's odd", "x'); DROP TABLE persons; --"])
      .replace('{type: duckdb, path: "./wh.duckdb"}', `{type: postgres, connectionString: "${PG_URL}"}`)
      .replaceAll('main.', `${schema}.`);
    const file = fx.write('pg.yaml', text);
    const run = await outflowInProcess(['--config', file, 'validate', '--check-warehouse']);
    expect(expectInvalidInput(run, shown(file), 'segments[1].rules.conditions[1].event')).toContain('(did you mean "signup"?)');
    expect(run.stderr).not.toContain('conditions[2]');
    expectInvalidInput(run, shown(file), 'segments[1].rules.conditions[3].event');
    expect(await pg.columns(`${schema}.persons`)).toBeDefined();
  });

  it('a column name in another case is not the column (PostgreSQL matches quoted names exactly): exit 2 in every command', async () => {
    const text = baseWorkspace()
      .replace('trait: vip, op', 'trait: VIP, op')
      .replace('{type: duckdb, path: "./wh.duckdb"}', `{type: postgres, connectionString: "${PG_URL}"}`)
      .replaceAll('main.', `${schema}.`);
    const file = fx.write('pg-case.yaml', text);
    for (const args of [['validate', '--check-warehouse'], ['segments', 'size', 'vips']]) {
      const line = expectInvalidInput(await outflowInProcess(['--config', file, ...args]), shown(file), 'segments[0].rules.conditions[0].trait');
      expect(line).toContain('did you mean "vip"?');
    }
  });
});
