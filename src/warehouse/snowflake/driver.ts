import { readFileSync } from 'node:fs';
import snowflake from 'snowflake-sdk';
import type { WarehouseConfig } from '../../config/schema';
import { asSubquery, type ColumnInfo, type Row, refuseEmpty, SqlRejectedError, type SqlValue, type WarehouseDriver, WarehouseError } from '../driver';
import { family } from '../duckdb/driver';
import { SnowflakeDialect } from './dialect';
import { collect, inPages, SessionTransactions } from '../pages';

type SnowflakeConfig = Extract<WarehouseConfig, { type: 'snowflake' }>;
type Connection = snowflake.Connection;
type Bind = string | number | boolean | null;

let configured = false;

/**
 * Snowflake through the official `snowflake-sdk`. `accessUrl` points it at a proxy or a local
 * fake. Results are consumed as a row stream (`streamResult`), paged, never held whole.
 *
 * Binds: Dates are sent as ISO-8601 text and lists as JSON text (the SDK reserves array binds for
 * multi-row inserts); the Snowflake templates cast them (`TO_TIMESTAMP_TZ(?)`, `PARSE_JSON(?)`).
 */
export class SnowflakeDriver implements WarehouseDriver {
  readonly dialect = new SnowflakeDialect();
  readonly #conn: Connection;
  readonly #transactions = new SessionTransactions();

  private constructor(conn: Connection) {
    this.#conn = conn;
  }

  static async open(config: SnowflakeConfig): Promise<SnowflakeDriver> {
    if (!configured) {
      // Outflow reports the SDK's errors itself; the SDK's own log would print them twice.
      snowflake.configure({ logLevel: 'OFF' });
      configured = true;
    }
    const auth = config.privateKeyPath
      ? { authenticator: 'SNOWFLAKE_JWT', privateKey: readFileSync(config.privateKeyPath, 'utf8') }
      : { password: config.password };
    const conn = snowflake.createConnection({
      account: config.account,
      username: config.username,
      ...auth,
      warehouse: config.warehouse,
      database: config.database,
      ...(config.role ? { role: config.role } : {}),
      ...(config.accessUrl ? { accessUrl: config.accessUrl } : {}),
      application: 'Outflow',
    });
    // connect() reports a failed login only through its callback.
    await new Promise<void>((resolve, reject) =>
      conn.connect((err) =>
        err
          ? reject(new WarehouseError(`Snowflake: cannot connect to account ${config.account}: ${err.message}`, { cause: err }))
          : resolve(),
      ),
    );
    return new SnowflakeDriver(conn);
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return collect(this.stream<T>(sql, params));
  }

  async *stream<T extends Row = Row>(
    sql: string,
    params: readonly SqlValue[] = [],
    options: { pageSize?: number } = {},
  ): AsyncIterable<T[]> {
    const statement = await this.#execute(sql, params, { streamResult: true });
    try {
      yield* inPages(plainRows<T>(statement.streamRows()), options.pageSize ?? 10_000);
    } catch (err) {
      throw err instanceof WarehouseError ? err : new WarehouseError(`Snowflake: ${(err as Error).message}`, { cause: err });
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const statement = await this.#execute(sql, params, {});
    const n = statement.getNumUpdatedRows();
    return n === undefined || n < 0 ? 0 : n;
  }

  transaction<T>(fn: (tx: WarehouseDriver) => Promise<T>): Promise<T> {
    return this.#transactions.run(this, fn);
  }

  async columns(table: string): Promise<ColumnInfo[] | undefined> {
    const parts = table.split('.');
    const name = parts.pop()!;
    const schema = parts.pop() ?? null;
    // Unquoted Snowflake names are stored upper-case; compare case-insensitively.
    const rows = await this.query<{ column_name: string; data_type: string }>(
      `select column_name as "column_name", data_type as "data_type" from information_schema.columns
        where upper(table_name) = upper(?) and (? is null or upper(table_schema) = upper(?))
        order by ordinal_position`,
      [name, schema, schema],
    );
    if (rows.length === 0) return undefined;
    return rows.map((r) => ({ name: r.column_name, dataType: r.data_type.toUpperCase(), family: snowflakeFamily(r.data_type) }));
  }

  async queryColumns(sql: string, params: readonly SqlValue[] = []): Promise<ColumnInfo[]> {
    const statement = await this.#execute(sql, params, { describeOnly: true });
    return (statement.getColumns() ?? []).map((c) => {
      const dataType = c.getType().toUpperCase();
      return { name: c.getName(), dataType, family: snowflakeFamily(dataType) };
    });
  }

  /**
   * Two describe-only requests (Snowflake compiles the statement and returns its columns without
   * running it), each allowed exactly one statement (`MULTI_STATEMENT_COUNT = 1`, so a text of
   * several statements is refused): the query as written, then as a subquery, which Snowflake
   * accepts only for a query. The SDK does not expose the statement type itself.
   * https://docs.snowflake.com/en/developer-guide/node-js/nodejs-driver-execute#executing-a-batch-of-sql-statements-multi-statement-support
   */
  async checkSelect(sql: string): Promise<ColumnInfo[]> {
    refuseEmpty(sql);
    const describeOne = async (text: string) => {
      try {
        return await this.#execute(text, [], { describeOnly: true, parameters: { MULTI_STATEMENT_COUNT: 1 } });
      } catch (err) {
        // A statement Snowflake cannot compile carries a SQL state; a lost session does not.
        const cause = (err as { cause?: { sqlState?: string } }).cause;
        if (cause?.sqlState) throw new SqlRejectedError((err as Error).message, { cause: err });
        throw err;
      }
    };
    await describeOne(sql);
    const statement = await describeOne(`SELECT * FROM ${asSubquery(sql)} AS q`);
    return (statement.getColumns() ?? []).map((c) => {
      const dataType = c.getType().toUpperCase();
      return { name: c.getName(), dataType, family: snowflakeFamily(dataType) };
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#conn.destroy(() => resolve()));
  }

  #execute(sql: string, params: readonly SqlValue[], extra: { streamResult?: boolean; describeOnly?: boolean; parameters?: Record<string, number> }) {
    return new Promise<snowflake.RowStatement>((resolve, reject) => {
      this.#conn.execute({
        sqlText: sql,
        binds: params.map(toBind),
        // One statement per request, whatever the account's default: text that ends Outflow's
        // statement and starts another is refused by Snowflake rather than run.
        parameters: { MULTI_STATEMENT_COUNT: 1 },
        ...extra,
        complete: (err, statement) => {
          if (err) reject(new WarehouseError(`Snowflake: ${err.message}`, { cause: err }));
          else resolve(statement as snowflake.RowStatement);
        },
      });
    });
  }
}

function toBind(v: SqlValue): Bind {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  return v as Bind;
}

async function* plainRows<T>(rows: AsyncIterable<unknown>): AsyncIterable<T> {
  for await (const row of rows) yield toRow(row as Record<string, unknown>) as T;
}

function toRow(r: Record<string, unknown>): Row {
  const out: Row = {};
  // The SDK's timestamps are Date subclasses with their own formatting; hand out plain Dates.
  for (const [k, v] of Object.entries(r)) out[k] = v instanceof Date ? new Date(v.getTime()) : v;
  return out;
}

function snowflakeFamily(dataType: string): ColumnInfo['family'] {
  const t = dataType.toUpperCase();
  if (t === 'FIXED' || t === 'REAL') return 'number';
  if (t === 'TEXT') return 'text';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  return family(t);
}
