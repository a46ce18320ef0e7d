import type { SqlDialect } from './dialect';

/** A value bound to a placeholder. Dates bind as timestamps with time zone (UTC). */
export type SqlValue = string | number | boolean | bigint | Date | null | readonly (string | number | boolean)[];

/** SQL text with placeholders in the dialect's own form, and the values bound to them in order. */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/** A result row. Integers that fit in a double come back as numbers; timestamps as Dates. */
export type Row = Record<string, unknown>;

export interface ColumnInfo {
  name: string;
  /** The engine's own type name, upper-case (e.g. `VARCHAR`, `TIMESTAMP WITH TIME ZONE`). */
  dataType: string;
  /** The type family the compiler reasons about. */
  family: 'text' | 'number' | 'boolean' | 'timestamp' | 'date' | 'other';
}

/**
 * The connection to one warehouse. Drivers only move SQL and rows; how SQL is written for an
 * engine is the dialect's business (`driver.dialect`).
 *
 * @example
 * const wh = await openWarehouse({ type: 'duckdb', path: ':memory:' });
 * const rows = await wh.query('select ? as x', [1]);
 * for await (const page of wh.stream('select * from t', [], { pageSize: 10_000 })) send(page);
 * await wh.close();
 */
export interface WarehouseDriver {
  readonly dialect: SqlDialect;
  /** Runs a query with bound parameters and returns every row (for small results only). */
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a query and yields its rows in pages of at most `pageSize`, never holding the whole result. */
  stream<T extends Row = Row>(
    sql: string,
    params?: readonly SqlValue[],
    options?: { pageSize?: number },
  ): AsyncIterable<T[]>;
  /** Runs a statement; returns the number of rows changed where the engine reports it. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs `fn` in one transaction: every statement commits together or none does. */
  transaction<T>(fn: (tx: WarehouseDriver) => Promise<T>): Promise<T>;
  /** Columns of a table (`schema.table` or `table`), or undefined when it does not exist. */
  columns(table: string): Promise<ColumnInfo[] | undefined>;
  /** Columns a query would return, without running it in full. */
  queryColumns(sql: string, params?: readonly SqlValue[]): Promise<ColumnInfo[]>;
  /**
   * Checks SQL a user wrote (an entity's `sql:`, a static list's query) before Outflow embeds it
   * as a subquery: it must be exactly one read-only SELECT as the engine's own parser sees it.
   * Returns the columns it would return. Nothing it does changes data: the engine parses or plans
   * the query, or runs it inside a read-only transaction that is rolled back (docs/warehouses.md
   * says what each engine guarantees). Throws SqlRejectedError saying what is wrong.
   *
   * @example
   * const columns = await wh.checkSelect('select person_id, email from crm.people');
   */
  checkSelect(sql: string): Promise<ColumnInfo[]>;
  /**
   * Another session on the same database, for reads that must not share this driver's session
   * (a long-lived server reading while a run holds a transaction). Only engines whose driver is
   * one session have it (DuckDB); pooled and stateless drivers give every query its own already.
   * Closing the session leaves this driver open.
   */
  session?(): Promise<WarehouseDriver>;
  /**
   * Runs a user's query where the engine holds it to reading, and keeps its rows in the warehouse:
   * on a session of its own, `stage.create` makes a temporary table, `stage.fill` (an INSERT into
   * it that reads the user's query) runs in a READ ONLY transaction of its own, then `fn` runs on
   * the same session (its statements read the table) and `stage.drop` removes it. An error of the
   * fill (the query tried to write, or does not run) is a SqlRejectedError. Not to be called
   * inside a transaction. Engines without read-only transactions leave it out (docs/warehouses.md).
   *
   * @example
   * await wh.readOnlyStage({ create, fill, drop }, (session) => session.execute(insertFromStage.sql, insertFromStage.params));
   */
  readOnlyStage?<T>(stage: ReadOnlyStage, fn: (session: WarehouseDriver) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The statements of `WarehouseDriver.readOnlyStage`. */
export interface ReadOnlyStage {
  readonly create: CompiledQuery;
  readonly fill: CompiledQuery;
  readonly drop: CompiledQuery;
}

export class WarehouseError extends Error {
  override readonly name: string = 'WarehouseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A user's SQL is not one read-only SELECT (or the engine cannot compile it); the message says why. */
export class SqlRejectedError extends WarehouseError {
  override readonly name = 'SqlRejectedError';
}

/** Refuses a query that is nothing but blanks and semicolons; engines word that case very differently. */
export function refuseEmpty(sql: string): void {
  if (trimStatement(sql).trim() === '') throw new SqlRejectedError('the query is empty');
}

/**
 * A user's query as Outflow embeds it: without trailing semicolons or blanks, which would end
 * the enclosing statement. Everything else is left exactly as written.
 */
export function trimStatement(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/**
 * A user's query as a subquery of Outflow's own statement. The line breaks keep a trailing
 * `-- comment` from swallowing the closing parenthesis.
 */
export function asSubquery(sql: string): string {
  return `(\n${trimStatement(sql)}\n)`;
}
