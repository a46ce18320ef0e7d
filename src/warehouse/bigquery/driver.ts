import { BigQuery, type BigQueryOptions, type Query } from '@google-cloud/bigquery';
import type { AuthClient } from 'google-auth-library';
import type { WarehouseConfig } from '../../config/schema';
import { UnsupportedFeatureError } from '../templates';
import { asSubquery, type ColumnInfo, type Row, refuseEmpty, SqlRejectedError, type SqlValue, type WarehouseDriver, WarehouseError } from '../driver';
import { BigQueryDialect } from './dialect';
import { collect } from '../pages';

type BigQueryConfig = Extract<WarehouseConfig, { type: 'bigquery' }>;

export interface BigQueryDriverOptions {
  /** Credentials other than `keyFilename`/ADC, e.g. a pre-authorised client (tests, workload identity). */
  authClient?: AuthClient;
}

/** A field of a BigQuery result schema (the REST `TableFieldSchema`). */
interface Field {
  name?: string | null;
  type?: string | null;
  mode?: string | null;
}

/**
 * BigQuery through the official `@google-cloud/bigquery` SDK. `apiEndpoint` points it at a
 * proxy or a local fake. Queries run as query jobs; results are read page by page with
 * `getQueryResults`, so a large result is never held whole.
 *
 * Multi-statement transactions need BigQuery sessions; `transaction()` runs the statements it is
 * given as one script (`BEGIN TRANSACTION; ...; COMMIT TRANSACTION;`), which BigQuery executes
 * atomically. Reads inside such a transaction are not supported.
 */
export class BigQueryDriver implements WarehouseDriver {
  readonly dialect = new BigQueryDialect();
  readonly #client: BigQuery;
  readonly #location: string;

  private constructor(client: BigQuery, location: string) {
    this.#client = client;
    this.#location = location;
  }

  static async open(config: BigQueryConfig, options: BigQueryDriverOptions = {}): Promise<BigQueryDriver> {
    const clientOptions: BigQueryOptions = {
      projectId: config.projectId,
      location: config.location,
      ...(config.keyFilename ? { keyFilename: config.keyFilename } : {}),
      ...(config.apiEndpoint ? { apiEndpoint: config.apiEndpoint } : {}),
      ...(options.authClient ? { authClient: options.authClient } : {}),
      autoRetry: true,
      maxRetries: 3,
    };
    return new BigQueryDriver(new BigQuery(clientOptions), config.location);
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return collect(this.stream<T>(sql, params));
  }

  async *stream<T extends Row = Row>(
    sql: string,
    params: readonly SqlValue[] = [],
    options: { pageSize?: number } = {},
  ): AsyncIterable<T[]> {
    const job = await this.#startJob(sql, params);
    let pageToken: string | undefined;
    do {
      const [rows, next, response] = await this.#call(() =>
        job.getQueryResults({ maxResults: options.pageSize ?? 10_000, pageToken, autoPaginate: false }),
      );
      const fields = (response as { schema?: { fields?: Field[] } } | undefined)?.schema?.fields ?? [];
      if (rows.length > 0) yield rows.map((r) => toRow(r as Record<string, unknown>, fields) as T);
      pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
    } while (pageToken);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const job = await this.#startJob(sql, params);
    await this.#call(() => job.getQueryResults({ maxResults: 0, autoPaginate: false }));
    const [metadata] = await this.#call(() => job.getMetadata());
    const affected = (metadata as { statistics?: { query?: { numDmlAffectedRows?: string } } }).statistics?.query
      ?.numDmlAffectedRows;
    return affected === undefined ? 0 : Number(affected);
  }

  async transaction<T>(fn: (tx: WarehouseDriver) => Promise<T>): Promise<T> {
    const statements: { sql: string; params: readonly SqlValue[] }[] = [];
    const unsupported = (): never => {
      throw new UnsupportedFeatureError('bigquery', 'reads inside a transaction');
    };
    const tx: WarehouseDriver = {
      dialect: this.dialect,
      query: unsupported,
      stream: unsupported,
      queryColumns: unsupported,
      checkSelect: (sql) => this.checkSelect(sql),
      columns: (table) => this.columns(table),
      execute: async (sql, params = []) => {
        statements.push({ sql, params });
        return 0;
      },
      transaction: (inner) => inner(tx),
      close: async () => undefined,
    };
    const out = await fn(tx);
    if (statements.length > 0) {
      // Positional parameters are numbered across the whole script, in order.
      const script = ['BEGIN TRANSACTION', ...statements.map((s) => s.sql), 'COMMIT TRANSACTION'].join(';\n');
      await this.execute(`${script};`, statements.flatMap((s) => s.params));
    }
    return out;
  }

  async columns(table: string): Promise<ColumnInfo[] | undefined> {
    const parts = table.split('.');
    const tableId = parts.pop()!;
    const datasetId = parts.pop();
    if (!datasetId) throw new WarehouseError(`BigQuery tables are named "dataset.table", got "${table}"`);
    try {
      const [metadata] = await this.#client.dataset(datasetId).table(tableId).getMetadata();
      const fields = (metadata as { schema?: { fields?: Field[] } }).schema?.fields ?? [];
      return fields.map(columnInfo);
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new WarehouseError(`BigQuery: ${(err as Error).message}`, { cause: err });
    }
  }

  async queryColumns(sql: string, params: readonly SqlValue[] = []): Promise<ColumnInfo[]> {
    const [job] = await this.#call(() =>
      this.#client.createQueryJob({ ...this.#queryOptions(sql, params), dryRun: true }),
    );
    const fields = (job.metadata as { statistics?: { query?: { schema?: { fields?: Field[] } } } }).statistics?.query
      ?.schema?.fields;
    return (fields ?? []).map(columnInfo);
  }

  /**
   * Dry-run jobs: BigQuery parses and plans the query without running it (nothing is read,
   * nothing is billed) and reports its statement type, which must be SELECT: a script of several
   * statements is `SCRIPT`, a write is `INSERT`, `DELETE`, ... BigQuery has no read-only
   * transaction; a dry run never executes anything.
   * https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatistics2 (statementType)
   */
  async checkSelect(sql: string): Promise<ColumnInfo[]> {
    refuseEmpty(sql);
    const dryRun = async (text: string) => {
      let job: { metadata?: unknown };
      try {
        [job] = await this.#client.createQueryJob({ ...this.#queryOptions(text, []), dryRun: true });
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 400) throw new SqlRejectedError(`BigQuery: ${(err as Error).message}`, { cause: err });
        throw new WarehouseError(`BigQuery: ${(err as Error).message}`, { cause: err });
      }
      const query = (job.metadata as { statistics?: { query?: { statementType?: string; schema?: { fields?: Field[] } } } }).statistics?.query;
      if (query?.statementType !== 'SELECT')
        throw new SqlRejectedError(`expected one SELECT statement, found ${query?.statementType ?? 'a statement of unknown type'}`);
      return (query.schema?.fields ?? []).map(columnInfo);
    };
    // As written (one SELECT, not a fragment that only parses inside Outflow's statement), then as
    // the subquery Outflow embeds.
    await dryRun(sql);
    return dryRun(`SELECT * FROM ${asSubquery(sql)} AS q`);
  }

  async close(): Promise<void> {
    // The SDK keeps no open connections between requests.
  }

  async #startJob(sql: string, params: readonly SqlValue[]) {
    const [job] = await this.#call(() => this.#client.createQueryJob(this.#queryOptions(sql, params)));
    return job;
  }

  #queryOptions(sql: string, params: readonly SqlValue[]): Query {
    const values = params.map(toParam);
    return {
      query: sql,
      location: this.#location,
      useLegacySql: false,
      ...(values.length > 0 ? {
            params: values.map((v) => v.value),
            // Scalars are named by type and arrays by a one-element list of their element type.
            types: values.map((v) => v.type) as Query['types'],
          } : {}),
    };
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new WarehouseError(`BigQuery: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** BigQuery needs a type for nulls and empty arrays; give every parameter an explicit one. */
function toParam(v: SqlValue): { value: unknown; type: string | string[] } {
  if (v === null) return { value: null, type: 'STRING' };
  if (v instanceof Date) return { value: BigQuery.timestamp(v), type: 'TIMESTAMP' };
  if (Array.isArray(v)) {
    const first = v[0];
    const type = typeof first === 'number' ? (v.every(Number.isInteger) ? 'INT64' : 'FLOAT64') : typeof first === 'boolean' ? 'BOOL' : 'STRING';
    return { value: [...v], type: [type] };
  }
  if (typeof v === 'number') return { value: v, type: Number.isInteger(v) ? 'INT64' : 'FLOAT64' };
  if (typeof v === 'bigint') return { value: v.toString(), type: 'INT64' };
  if (typeof v === 'boolean') return { value: v, type: 'BOOL' };
  return { value: v, type: 'STRING' };
}

function columnInfo(f: Field): ColumnInfo {
  const type = (f.type ?? 'STRING').toUpperCase();
  const dataType = f.mode === 'REPEATED' ? `ARRAY<${type}>` : type;
  const family: ColumnInfo['family'] =
    f.mode === 'REPEATED'
      ? 'other'
      : ['STRING'].includes(type)
        ? 'text'
        : ['INT64', 'INTEGER', 'FLOAT64', 'FLOAT', 'NUMERIC', 'BIGNUMERIC'].includes(type)
          ? 'number'
          : ['BOOL', 'BOOLEAN'].includes(type)
            ? 'boolean'
            : ['TIMESTAMP', 'DATETIME'].includes(type)
              ? 'timestamp'
              : type === 'DATE'
                ? 'date'
                : 'other';
  return { name: f.name ?? '', dataType, family };
}

/** The SDK wraps timestamps and dates in small classes; rows carry plain values and Dates. */
function toRow(r: Record<string, unknown>, fields: Field[]): Row {
  const out: Row = {};
  for (const f of fields) {
    const name = f.name ?? '';
    out[name] = plain(r[name], (f.type ?? '').toUpperCase());
  }
  return out;
}

function plain(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => plain(x, type));
  if (typeof v === 'object' && 'value' in v) {
    const value = (v as { value: unknown }).value;
    if (type === 'TIMESTAMP' || type === 'DATETIME') return new Date(String(value).replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1') + (type === 'DATETIME' ? 'Z' : ''));
    return value;
  }
  return v;
}
