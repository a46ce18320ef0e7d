import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBValue,
  listValue,
  StatementType,
  timestampTZValue,
} from '@duckdb/node-api';
import type { ColumnInfo, ReadOnlyStage, Row, SqlValue, WarehouseDriver } from '../driver';
import { asSubquery, refuseEmpty, SqlRejectedError, WarehouseError } from '../driver';
import { DuckDbDialect } from './dialect';
import { rechunk, SessionTransactions } from '../pages';

export interface DuckDbOptions {
  /** A database file, or `:memory:`. */
  path: string;
  /** DuckDB settings, e.g. `{ threads: '2', memory_limit: '8GB' }`; memory_limit defaults to DEFAULT_DUCKDB_MEMORY_LIMIT. */
  settings?: Record<string, string>;
}

/**
 * DuckDB's own default memory_limit is 80% of the machine's memory, which an embedded warehouse
 * shares with everything else on it (a first sync of 9.9M members reached 3.5 GB of RSS). Past this
 * budget DuckDB spills to a temporary folder beside the database file (docs/warehouses.md).
 */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '1GB';

/** The embedded default warehouse (`@duckdb/node-api`). */
export class DuckDbDriver implements WarehouseDriver {
  readonly dialect = new DuckDbDialect();
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  readonly #transactions = new SessionTransactions({ begin: 'BEGIN TRANSACTION', commit: 'COMMIT', rollback: 'ROLLBACK' });
  /** A session opened by `session()`: closing it closes its connection, not the database. */
  readonly #ownsInstance: boolean;

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection, ownsInstance = true) {
    this.#instance = instance;
    this.#conn = conn;
    this.#ownsInstance = ownsInstance;
  }

  static async open(options: DuckDbOptions): Promise<DuckDbDriver> {
    try {
      const instance = await DuckDBInstance.create(options.path, { memory_limit: DEFAULT_DUCKDB_MEMORY_LIMIT, ...options.settings });
      const conn = await instance.connect();
      // Time windows are defined in UTC (SPEC §2); the session time zone must not shift them.
      await conn.run("SET TimeZone = 'UTC'");
      return new DuckDbDriver(instance, conn);
    } catch (err) {
      const message = (err as Error).message;
      // One process opens a database file at a time (https://duckdb.org/docs/stable/connect/concurrency).
      // @duckdb/node-api gives its errors no code, so the lock conflict is known by DuckDB's own wording.
      const hint = /Conflicting lock is held/.test(message)
        ? '\nDuckDB lets one process open a database file at a time: another outflow process (a sync run, the worker or serve) is probably using it; try again when it has finished.'
        : '';
      throw new WarehouseError(`cannot open DuckDB database ${options.path}: ${message}${hint}`, { cause: err });
    }
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const reader = await this.#run(() => this.#prepared(sql, params, (p) => p.runAndReadAll()));
    return reader.getRowObjectsJS().map((r) => toRow(r) as T);
  }

  async *stream<T extends Row = Row>(
    sql: string,
    params: readonly SqlValue[] = [],
    options: { pageSize?: number } = {},
  ): AsyncIterable<T[]> {
    const result = await this.#run(() => this.#prepared(sql, params, (p) => p.stream()));
    const names = result.deduplicatedColumnNames();
    yield* rechunk(this.#chunks<T>(result.yieldRowsJs(), names), options.pageSize ?? 10_000);
  }

  /** DuckDB's result chunks as arrays of row objects (one await per chunk, not per row). */
  async *#chunks<T>(chunks: AsyncIterable<unknown[][]>, names: string[]): AsyncIterable<T[]> {
    const it = chunks[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.#run(() => it.next());
      if (next.done) return;
      yield next.value.map((values) => {
        const row: Row = {};
        values.forEach((v, i) => (row[names[i]!] = fromJs(v)));
        return row as T;
      });
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.#run(() => this.#prepared(sql, params, (p) => p.run()));
    return result.rowsChanged;
  }

  transaction<T>(fn: (tx: WarehouseDriver) => Promise<T>): Promise<T> {
    return this.#transactions.run(this, fn);
  }

  async columns(table: string): Promise<ColumnInfo[] | undefined> {
    const parts = table.split('.');
    const name = parts.pop()!;
    const schema = parts.pop();
    const rows = await this.query<{ column_name: string; data_type: string }>(
      `select column_name, data_type from information_schema.columns
        where table_name = $1 and ($2::varchar is null or table_schema = $2)
        order by ordinal_position`,
      [name, schema ?? null],
    );
    if (rows.length === 0) return undefined;
    return rows.map((r) => ({ name: r.column_name, dataType: r.data_type.toUpperCase(), family: family(r.data_type) }));
  }

  async queryColumns(sql: string, params: readonly SqlValue[] = []): Promise<ColumnInfo[]> {
    const result = await this.#run(() => this.#conn.stream(`select * from (${sql}) as q limit 0`, bind(params)));
    const names = result.columnNames();
    return names.map((name, i) => {
      const dataType = result.columnType(i).toString().toUpperCase();
      return { name, dataType, family: family(dataType) };
    });
  }

  /**
   * One statement (DuckDB's own statement splitter counts them), of type SELECT, prepared but
   * never run, as written and as the subquery Outflow embeds: preparing binds and plans a query,
   * and it happens inside a read-only transaction that is rolled back, so not even a table
   * function's side effect could commit.
   */
  async checkSelect(sql: string): Promise<ColumnInfo[]> {
    refuseEmpty(sql);
    const refused = (err: unknown) => new SqlRejectedError(`DuckDB: ${(err as Error).message.replace(/^Failed to extract statements: /, '')}`, { cause: err });
    await this.#run(() => this.#conn.run('BEGIN TRANSACTION READ ONLY'));
    try {
      let prepared: DuckDBPreparedStatement;
      try {
        const statements = await this.#conn.extractStatements(sql);
        if (statements.count !== 1) throw new SqlRejectedError(`expected one SELECT statement, found ${statements.count}`);
        prepared = await statements.prepare(0);
      } catch (err) {
        throw err instanceof SqlRejectedError ? err : refused(err);
      }
      try {
        if (prepared.statementType !== StatementType.SELECT)
          throw new SqlRejectedError(`expected a SELECT statement, found ${StatementType[prepared.statementType] ?? 'another kind of statement'}`);
      } finally {
        prepared.destroySync();
      }
      // As Outflow embeds it: a subquery (which a trailing "; -- comment" cannot be).
      let embedded: DuckDBPreparedStatement;
      try {
        embedded = await this.#conn.prepare(`SELECT * FROM ${asSubquery(sql)} AS q`);
      } catch (err) {
        throw refused(err);
      }
      try {
        return Array.from({ length: embedded.columnCount }, (_, i) => {
          const dataType = embedded.columnType(i).toString().toUpperCase();
          return { name: embedded.columnName(i), dataType, family: family(dataType) };
        });
      } finally {
        embedded.destroySync();
      }
    } finally {
      await this.#run(() => this.#conn.run('ROLLBACK'));
    }
  }

  /**
   * DuckDB lets a READ ONLY transaction write temporary tables only (the temp catalog), so the
   * fill reads the user's query with every other write refused, table functions' included.
   */
  async readOnlyStage<T>(stage: ReadOnlyStage, fn: (session: WarehouseDriver) => Promise<T>): Promise<T> {
    await this.execute(stage.create.sql, stage.create.params);
    try {
      await this.#run(() => this.#conn.run('BEGIN TRANSACTION READ ONLY'));
      try {
        await this.execute(stage.fill.sql, stage.fill.params);
        await this.#run(() => this.#conn.run('COMMIT'));
      } catch (err) {
        await this.#conn.run('ROLLBACK').catch(() => undefined);
        throw new SqlRejectedError((err as Error).message, { cause: err });
      }
      return await fn(this);
    } finally {
      await this.execute(stage.drop.sql, stage.drop.params);
    }
  }

  /** A second connection to the same database (DuckDB allows one process per file, and many connections in it). */
  async session(): Promise<DuckDbDriver> {
    const conn = await this.#run(() => this.#instance.connect());
    await this.#run(() => conn.run("SET TimeZone = 'UTC'"));
    return new DuckDbDriver(this.#instance, conn, false);
  }

  async close(): Promise<void> {
    this.#conn.closeSync();
    if (this.#ownsInstance) this.#instance.closeSync();
  }

  /**
   * Prepares `sql`, which must be exactly one statement, binds `params` and hands the prepared
   * statement to `use`. DuckDB's client would otherwise run every statement of a script before
   * the last, so text that closes Outflow's statement and starts another never runs.
   */
  async #prepared<T>(sql: string, params: readonly SqlValue[], use: (p: DuckDBPreparedStatement) => Promise<T>): Promise<T> {
    const statements = await this.#conn.extractStatements(sql);
    if (statements.count !== 1) throw new Error(`expected one statement, found ${statements.count}`);
    const prepared = await statements.prepare(0);
    try {
      if (params.length > 0) prepared.bind(bind(params));
      return await use(prepared);
    } finally {
      prepared.destroySync();
    }
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new WarehouseError(`DuckDB: ${(err as Error).message}`, { cause: err });
    }
  }
}

function bind(params: readonly SqlValue[]): DuckDBValue[] {
  return params.map((p): DuckDBValue => {
    if (p instanceof Date) return timestampTZValue(BigInt(p.getTime()) * 1000n);
    if (Array.isArray(p)) return listValue(p as DuckDBValue[]);
    return p as DuckDBValue;
  });
}

function fromJs(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(fromJs);
  return v;
}

function toRow(r: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k] = fromJs(v);
  return out;
}

/** Maps an engine type name to the family the compiler reasons about. */
export function family(dataType: string): ColumnInfo['family'] {
  const t = dataType.toUpperCase();
  if (/^(VARCHAR|TEXT|STRING|CHAR|CHARACTER|UUID|ENUM)/.test(t) || t.startsWith('CHARACTER VARYING')) return 'text';
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|DECIMAL|NUMERIC|REAL|FLOAT|DOUBLE|INT64|FLOAT64|NUMBER|BIGNUMERIC)/.test(t)) return 'number';
  if (/^BOOL/.test(t)) return 'boolean';
  if (/^TIMESTAMP|^DATETIME/.test(t)) return 'timestamp';
  if (t === 'DATE') return 'date';
  return 'other';
}
