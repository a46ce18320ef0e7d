import { afterAll, beforeAll } from 'vitest';
import { dialectFor } from '../../src/segments';
import type { SqlDialect } from '../../src/warehouse/dialect';
import type { Row, SqlValue } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { openTestPostgres, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';
import { withStateSchema } from './compiler-engines';

/** The little an engine needs in the property suites: run SQL with bound values. */
export interface Engine {
  readonly name: 'duckdb' | 'postgres';
  readonly dialect: SqlDialect;
  run(sql: string, params: readonly SqlValue[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** DuckDB and a real PostgreSQL, each with the default state schema (static segments read it). */
export const PROPERTY_ENGINES = [
  {
    name: 'duckdb',
    reachable: async () => true,
    open: async (): Promise<Engine> => {
      const db = await withStateSchema(DuckDbDriver.open({ path: ':memory:', settings: { threads: '1' } }));
      return { name: 'duckdb', dialect: dialectFor('duckdb'), run: (sql, params) => db.query(sql, params), close: () => db.close() };
    },
  },
  {
    name: 'postgres',
    // Under CI=true an unreachable server throws here, failing the suite instead of skipping it.
    reachable: postgresReachable,
    open: async (): Promise<Engine> => {
      const db = await withStateSchema(openTestPostgres());
      return { name: 'postgres', dialect: dialectFor('postgres'), run: (sql, params) => db.query(sql, params), close: () => db.close() };
    },
  },
] as const;

/** One engine of a describe block, in a schema of its own. */
export interface EngineFixture {
  /** The schema the block's scenarios load their tables into. */
  readonly schema: string;
  /** The open engine (after beforeAll), undefined when it is unavailable. */
  readonly engine: Engine | undefined;
  /** Why the engine is not there (PostgreSQL unreachable, outside CI): tests skip with it. */
  readonly unavailable: string | undefined;
}

/**
 * Opens `entry` for the enclosing describe block (beforeAll) with a fresh schema named after
 * `prefix`, and drops the schema and closes the engine after it (afterAll).
 */
export function useEngine(entry: (typeof PROPERTY_ENGINES)[number], prefix: string): EngineFixture {
  const fixture: { schema: string; engine: Engine | undefined; unavailable: string | undefined } = { schema: uniqueSchema(prefix), engine: undefined, unavailable: undefined };
  beforeAll(async () => {
    if (!(await entry.reachable())) {
      fixture.unavailable = `${entry.name} at ${PG_URL} is unreachable; skipped (under CI=true this fails)`;
      return;
    }
    const engine = await entry.open();
    fixture.engine = engine;
    await engine.run(`create schema ${engine.dialect.quoteIdentifier(fixture.schema)}`, []);
  });
  afterAll(async () => {
    const { engine } = fixture;
    if (!engine) return;
    await engine.run(`drop schema if exists ${engine.dialect.quoteIdentifier(fixture.schema)} cascade`, []);
    await engine.close();
  });
  return fixture;
}
