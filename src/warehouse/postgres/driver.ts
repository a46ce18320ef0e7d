import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { ColumnInfo, ReadOnlyStage, Row, SqlValue, WarehouseDriver } from '../driver';
import { asSubquery, refuseEmpty, SqlRejectedError, WarehouseError } from '../driver';
import { PostgresDialect } from './dialect';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` */
  connectionString: string;
  /** Pool size (default 4). */
  maxConnections?: number;
}

// OIDs from pg_type: https://github.com/postgres/postgres/blob/master/src/include/catalog/pg_type.dat
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const TIMESTAMP = 1114;

const BUILTIN_PARSERS = pg.types;

/**
 * Integers that fit in a double come back as numbers (SPEC: counts are plain numbers), bigger ones
 * as text; TIMESTAMP (without time zone) reads as UTC, like the rest of Outflow.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === 'binary') return BUILTIN_PARSERS.getTypeParser(oid, 'binary');
    switch (oid) {
      case INT8:
        return (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
      case NUMERIC:
        return (v: string) => (/^-?\d{1,15}(\.\d*)?$/.test(v) && v.replace(/[-.]/g, '').length <= 15 ? Number(v) : v);
      case TIMESTAMP:
        return (v: string) => (/^\d{4}-/.test(v) ? new Date(`${v.replace(' ', 'T')}Z`) : v);
      case DATE:
        return (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T00:00:00Z`) : v);
      default:
        return BUILTIN_PARSERS.getTypeParser(oid, 'text');
    }
  }) as pg.CustomTypesConfig['getTypeParser'],
};

const quiet = (message: unknown) => {
  if (process.env.OUTFLOW_DEBUG) process.stderr.write(`knex: ${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
};
const KNEX_LOG = { warn: quiet, error: quiet, deprecate: quiet, debug: quiet };

/**
 * PostgreSQL (also the stand-in for Redshift-style warehouses): knex keeps the pool, queries go to
 * `pg` with native `$1..$n` placeholders, and results stream through a server-side cursor.
 * Every session runs in UTC, so TIMESTAMP columns and calendar arithmetic read as UTC.
 */
export class PostgresDriver implements WarehouseDriver {
  readonly dialect = new PostgresDialect();
  readonly #knex: Knex;
  /** Set on the driver handed to a transaction's or a session's callback: every statement uses this connection. */
  readonly #pinned: pg.PoolClient | pg.Client | undefined;
  /** The pinned connection has a transaction open (nested calls join it). */
  readonly #inTransaction: boolean;

  private constructor(knex: Knex, pinned?: pg.Client, inTransaction = pinned !== undefined) {
    this.#knex = knex;
    this.#pinned = pinned;
    this.#inTransaction = inTransaction;
  }

  static async open(options: PostgresOptions): Promise<PostgresDriver> {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: options.connectionString },
      // knex logs to stdout by default, which carries only a command's answer: its warnings (a
      // failed connection attempt, with a stack) reach the user as the error Outflow reports.
      log: KNEX_LOG,
      pool: {
        min: 0,
        max: options.maxConnections ?? 4,
        afterCreate: (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) => {
          conn.query("SET TIME ZONE 'UTC'").then(
            () => done(null, conn),
            (err: Error) => done(err, conn),
          );
        },
      },
    });
    const driver = new PostgresDriver(knex);
    // Fail at open, not at the first query, when the server is unreachable.
    await driver.query('SELECT 1');
    return driver;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#with(async (c) => (await c.query(extended({ text: sql, values: bind(params), types: TYPES }))).rows as T[]);
  }

  async *stream<T extends Row = Row>(
    sql: string,
    params: readonly SqlValue[] = [],
    options: { pageSize?: number } = {},
  ): AsyncIterable<T[]> {
    const pageSize = options.pageSize ?? 10_000;
    const conn = this.#pinned ?? (await this.#acquire());
    const cursor = conn.query(new Cursor<T>(sql, bind(params) as unknown[], { types: TYPES }));
    try {
      for (;;) {
        const rows = await fail(cursor.read(pageSize));
        if (rows.length === 0) break;
        yield rows;
        if (rows.length < pageSize) break;
      }
    } finally {
      await cursor.close().catch(() => undefined);
      if (!this.#pinned) await this.#knex.client.releaseConnection(conn);
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#with(async (c) => (await c.query(extended({ text: sql, values: bind(params) }))).rowCount ?? 0);
  }

  async transaction<T>(fn: (tx: WarehouseDriver) => Promise<T>): Promise<T> {
    if (this.#pinned && this.#inTransaction) return fn(this);
    const conn = this.#pinned ?? (await this.#acquire());
    const tx = new PostgresDriver(this.#knex, conn);
    try {
      await fail(conn.query('BEGIN'));
      const out = await fn(tx);
      await fail(conn.query('COMMIT'));
      return out;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      if (!this.#pinned) await this.#knex.client.releaseConnection(conn);
    }
  }

  /**
   * A READ ONLY transaction refuses every write but to temporary tables, and a call of a function
   * that writes (nextval, a sequence's setval, large objects): the fill reads the user's query
   * under it. The temporary table lives as long as the connection, which stays pinned to `fn`.
   */
  async readOnlyStage<T>(stage: ReadOnlyStage, fn: (session: WarehouseDriver) => Promise<T>): Promise<T> {
    if (this.#inTransaction) throw new Error('readOnlyStage cannot run inside a transaction');
    const conn = this.#pinned ?? (await this.#acquire());
    const session = new PostgresDriver(this.#knex, conn, false);
    try {
      await session.execute(stage.create.sql, stage.create.params);
      try {
        await fail(conn.query('BEGIN READ ONLY'));
        try {
          await conn.query(extended({ text: stage.fill.sql, values: bind(stage.fill.params) }));
          await fail(conn.query('COMMIT'));
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => undefined);
          throw rejected(err);
        }
        return await fn(session);
      } finally {
        await session.execute(stage.drop.sql, stage.drop.params);
      }
    } finally {
      if (!this.#pinned) await this.#knex.client.releaseConnection(conn);
    }
  }

  async columns(table: string): Promise<ColumnInfo[] | undefined> {
    const parts = table.split('.');
    const name = parts.pop()!;
    const schema = parts.pop();
    const rows = await this.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = $1 AND table_schema = COALESCE($2::text, current_schema())
        ORDER BY ordinal_position`,
      [name, schema ?? null],
    );
    if (rows.length === 0) return undefined;
    return rows.map((r) => ({ name: r.column_name, dataType: r.data_type.toUpperCase(), family: family(r.data_type) }));
  }

  async queryColumns(sql: string, params: readonly SqlValue[] = []): Promise<ColumnInfo[]> {
    return this.#with(async (c) => describe(c, await c.query(extended({ text: `SELECT * FROM ${asSubquery(sql)} AS q LIMIT 0`, values: bind(params) }))));
  }

  /**
   * Inside a READ ONLY transaction that is always rolled back, and through the extended query
   * protocol, which refuses a text holding several commands: `EXPLAIN` plans the query as the
   * user wrote it without running it (a plan that modifies a table is refused), then the query
   * runs as a subquery with LIMIT 0, which PostgreSQL accepts only for a query (SELECT, VALUES,
   * TABLE, WITH ... SELECT) and which yields the column types.
   */
  async checkSelect(sql: string): Promise<ColumnInfo[]> {
    refuseEmpty(sql);
    const conn = this.#pinned ?? (await this.#acquire());
    try {
      await fail(conn.query('BEGIN READ ONLY'));
      try {
        const plan = await conn.query<{ 'QUERY PLAN': unknown }>(extended({ text: `EXPLAIN (FORMAT JSON)\n${sql}` })).catch((err: unknown) => {
          throw rejected(err);
        });
        if (JSON.stringify(plan.rows).includes('"ModifyTable"')) throw new SqlRejectedError('expected a SELECT statement; this one changes a table');
        const result = await conn
          .query(extended({ text: `SELECT * FROM ${asSubquery(sql)} AS q LIMIT 0` }))
          .catch((err: unknown) => {
            throw rejected(err);
          });
        return await describe(conn, result);
      } finally {
        await conn.query('ROLLBACK').catch(() => undefined);
      }
    } finally {
      if (!this.#pinned) await this.#knex.client.releaseConnection(conn);
    }
  }

  async close(): Promise<void> {
    if (!this.#pinned) await this.#knex.destroy();
  }

  async #acquire(): Promise<pg.Client> {
    try {
      return (await this.#knex.client.acquireConnection()) as pg.Client;
    } catch (err) {
      throw new WarehouseError(`PostgreSQL: cannot connect: ${(err as Error).message}`, { cause: err });
    }
  }

  async #with<T>(fn: (c: pg.Client | pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.#pinned) return fail(fn(this.#pinned));
    const conn = await this.#acquire();
    try {
      return await fail(fn(conn));
    } finally {
      await this.#knex.client.releaseConnection(conn);
    }
  }
}

/**
 * An error of a user's query: the query's fault (SqlRejectedError) unless its SQLSTATE says the
 * connection was lost (class 08) or an operator intervened (class 57).
 */
function rejected(err: unknown): WarehouseError {
  if (err instanceof WarehouseError) return err;
  const code = (err as { code?: string }).code;
  if (code === undefined || /^(08|57)/.test(code)) return new WarehouseError(`PostgreSQL: ${(err as Error).message}`, { cause: err });
  return new SqlRejectedError(`PostgreSQL: ${(err as Error).message}`, { cause: err });
}

/**
 * The extended query protocol for every statement, with or without parameters: PostgreSQL refuses
 * a text holding several commands there, so text that ends Outflow's statement and starts another
 * is an error rather than a second statement.
 */
function extended(config: pg.QueryConfig): pg.QueryConfig {
  // `queryMode` is node-postgres' own option (lib/query.js), not yet in @types/pg.
  return Object.assign(config, { queryMode: 'extended' });
}

/** Column names and type names of a result. */
async function describe(c: pg.Client | pg.PoolClient, result: pg.QueryResult): Promise<ColumnInfo[]> {
  const oids = [...new Set(result.fields.map((f) => f.dataTypeID))];
  const names = await fail(c.query<{ oid: number; name: string }>('SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1)', [oids]));
  const byOid = new Map(names.rows.map((r) => [r.oid, r.name.toUpperCase()]));
  return result.fields.map((f) => {
    const dataType = byOid.get(f.dataTypeID) ?? 'UNKNOWN';
    return { name: f.name, dataType, family: family(dataType) };
  });
}

async function fail<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new WarehouseError(`PostgreSQL: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Dates travel as UTC ISO text: `pg` would otherwise write local time, which a TIMESTAMP
 * (without time zone) parameter would keep while dropping the offset.
 */
function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (p instanceof Date ? p.toISOString() : typeof p === 'bigint' ? p.toString() : p));
}

/** Maps a PostgreSQL type name to the family the compiler reasons about. */
export function family(dataType: string): ColumnInfo['family'] {
  const t = dataType.toUpperCase();
  if (/^(TEXT|CHARACTER|CHAR|VARCHAR|NAME|CITEXT|UUID)/.test(t)) return 'text';
  if (/^(SMALLINT|INTEGER|BIGINT|INT|NUMERIC|DECIMAL|REAL|DOUBLE PRECISION|FLOAT)/.test(t)) return 'number';
  if (t === 'BOOLEAN' || t === 'BOOL') return 'boolean';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'DATE') return 'date';
  return 'other';
}
