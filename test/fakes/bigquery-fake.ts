import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBValue,
  listValue,
  timestampTZValue,
} from '@duckdb/node-api';

/**
 * A local stand-in for the BigQuery REST API (v2), enough for the official SDK's query-job path:
 * jobs.insert, jobs.get, jobs.getQueryResults (paged), tables.get. Data lives in an in-memory
 * DuckDB; BigQuery SQL is accepted where it is also valid DuckDB SQL once backticks become double
 * quotes. It enforces a bearer token and pages results with page tokens, as BigQuery does.
 *
 * https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs
 */
export interface BigQueryFake {
  /** The `apiEndpoint` to give the SDK. */
  endpoint: string;
  token: string;
  /** Runs SQL directly against the backing database (test setup). */
  seed(sql: string): Promise<void>;
  /** Rows of a table, read directly (tests check a canary table survived). */
  count(table: string): Promise<number>;
  /** Every SQL text the fake was asked to run, in order. */
  queries: { sql: string; params: unknown[] }[];
  stop(): Promise<void>;
}

interface Column {
  name: string;
  type: string;
  mode: 'NULLABLE' | 'REPEATED';
}
interface JobState {
  jobReference: { projectId: string; jobId: string; location: string };
  schema: Column[];
  rows: unknown[][];
  affected: number;
  statementType: string;
}

interface QueryParameter {
  parameterType: { type: string; arrayType?: { type: string } };
  parameterValue: { value?: string | null; arrayValues?: { value?: string }[] };
}

export async function startBigQueryFake(options: { token?: string } = {}): Promise<BigQueryFake> {
  const token = options.token ?? 'bq-test-token';
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const jobs = new Map<string, JobState>();
  const queries: BigQueryFake['queries'] = [];

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, apiError(500, String(err), 'internalError')));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.headers.authorization !== `Bearer ${token}`)
      return send(res, 401, apiError(401, 'Request is missing required authentication credential.', 'unauthorized'));
    const url = new URL(req.url ?? '/', 'http://fake');
    const parts = url.pathname.split('/').filter(Boolean);
    // /bigquery/v2/projects/{project}/...
    if (parts[0] !== 'bigquery' || parts[1] !== 'v2' || parts[2] !== 'projects')
      return send(res, 404, apiError(404, `Not found: ${url.pathname}`, 'notFound'));
    const project = parts[3]!;
    const rest = parts.slice(4);
    if (req.method === 'POST' && rest.length === 1 && rest[0] === 'jobs') {
      const body = JSON.parse(await readBody(req)) as {
        configuration?: { query?: { query?: string; queryParameters?: QueryParameter[] }; dryRun?: boolean };
        jobReference?: { jobId?: string; location?: string };
      };
      const sql = body.configuration?.query?.query;
      if (!sql) return send(res, 400, apiError(400, 'Missing query', 'invalid'));
      const params = (body.configuration?.query?.queryParameters ?? []).map(decodeParam);
      queries.push({ sql, params });
      const jobId = body.jobReference?.jobId ?? `job_${jobs.size + 1}`;
      const jobReference = { projectId: project, jobId, location: body.jobReference?.location ?? 'US' };
      let state: JobState;
      try {
        state = await run(conn, sql, params, jobReference, body.configuration?.dryRun === true);
      } catch (err) {
        return send(res, 400, apiError(400, (err as Error).message, 'invalidQuery'));
      }
      if (body.configuration?.dryRun !== true) jobs.set(jobId, state);
      return send(res, 200, jobResource(state, body.configuration));
    }
    if (req.method === 'GET' && rest[0] === 'jobs' && rest[1]) {
      const job = jobs.get(rest[1]);
      return job ? send(res, 200, jobResource(job, {})) : send(res, 404, apiError(404, `Not found: Job ${rest[1]}`, 'notFound'));
    }
    if (req.method === 'GET' && rest[0] === 'queries' && rest[1]) {
      const job = jobs.get(rest[1]);
      if (!job) return send(res, 404, apiError(404, `Not found: Job ${rest[1]}`, 'notFound'));
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const max = Number(url.searchParams.get('maxResults') ?? 100_000);
      const page = job.rows.slice(start, start + max);
      const next = start + page.length < job.rows.length ? String(start + page.length) : undefined;
      return send(res, 200, {
        kind: 'bigquery#getQueryResultsResponse',
        jobReference: job.jobReference,
        schema: { fields: job.schema },
        totalRows: String(job.rows.length),
        ...(max > 0 ? { rows: page.map((r) => ({ f: r.map((v, i) => encodeValue(v, job.schema[i]!)) })) } : {}),
        ...(next ? { pageToken: next } : {}),
        jobComplete: true,
        ...(job.statementType !== 'SELECT' ? { numDmlAffectedRows: String(job.affected) } : {}),
      });
    }
    if (req.method === 'GET' && rest[0] === 'datasets' && rest[2] === 'tables' && rest[3]) {
      const reader = await conn.runAndReadAll(
        `select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position`,
        [rest[1]!, rest[3]],
      );
      const rows = reader.getRowsJS() as [string, string][];
      if (rows.length === 0) return send(res, 404, apiError(404, `Not found: Table ${project}:${rest[1]}.${rest[3]}`, 'notFound'));
      return send(res, 200, {
        kind: 'bigquery#table',
        tableReference: { projectId: project, datasetId: rest[1], tableId: rest[3] },
        schema: { fields: rows.map(([name, type]) => columnOf(name, type)) },
      });
    }
    return send(res, 404, apiError(404, `Not found: ${req.method} ${url.pathname}`, 'notFound'));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    token,
    queries,
    seed: async (sql) => {
      await conn.run(sql);
    },
    count: async (table) => Number((await conn.runAndReadAll(`select count(*) from ${table}`)).getRowsJS()[0]![0]),
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      conn.closeSync();
      instance.closeSync();
    },
  };
}

async function run(
  conn: DuckDBConnection,
  script: string,
  params: DuckDBValue[],
  jobReference: JobState['jobReference'],
  dryRun: boolean,
): Promise<JobState> {
  // A script's positional parameters are numbered across its statements.
  const statements = script
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map(toDuckDb);
  let offset = 0;
  let last: JobState = { jobReference, schema: [], rows: [], affected: 0, statementType: 'SCRIPT' };
  for (const sql of statements) {
    const count = (sql.match(/\?/g) ?? []).length;
    const values = params.slice(offset, offset + count);
    offset += count;
    const verb = sql.split(/\s+/)[0]!.toUpperCase();
    const statementType = verb === 'WITH' ? 'SELECT' : verb;
    if (dryRun) {
      // BigQuery dry-runs a script as a whole (statement type SCRIPT) and never executes anything.
      if (statements.length > 1 || (await conn.extractStatements(script.replace(/`/g, `"`))).count > 1) return { jobReference, schema: [], rows: [], affected: 0, statementType: 'SCRIPT' };
      if (statementType !== 'SELECT') {
        await (await conn.extractStatements(sql)).prepare(0);
        return { jobReference, schema: [], rows: [], affected: 0, statementType };
      }
      const reader = await conn.runAndReadAll(`select * from (\n${sql}\n) as q limit 0`, values);
      const names = reader.columnNames();
      const schema = reader.columnTypes().map((t, i) => columnOf(names[i]!, t.toString()));
      return { jobReference, schema, rows: [], affected: 0, statementType };
    }
    let reader;
    try {
      reader = await conn.runAndReadAll(sql, values);
    } catch (err) {
      // A failed script rolls back the transaction it opened, as BigQuery does.
      if (/^BEGIN\b/i.test(statements[0] ?? '')) await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    const names = reader.columnNames();
    const schema = reader.columnTypes().map((t, i) => columnOf(names[i]!, t.toString()));
    const isSelect = statementType === 'SELECT' || statementType === 'WITH';
    last = {
      jobReference,
      schema: isSelect ? schema : [],
      rows: isSelect ? (reader.getRowsJS() as unknown[][]) : [],
      affected: isSelect ? 0 : Number(reader.getRowsJS()[0]?.[0] ?? 0),
      statementType: isSelect ? 'SELECT' : statementType,
    };
  }
  if (statements.length > 1) last.statementType = 'SCRIPT';
  return last;
}

/**
 * GoogleSQL as DuckDB runs it: backtick-quoted names become double-quoted, and the few spellings
 * DuckDB lacks are rewritten (FLOAT64, unenforced keys, a dataset's INFORMATION_SCHEMA, and
 * TO_HEX(MD5(x)): BigQuery's MD5 gives bytes, DuckDB's the lowercase hex that TO_HEX makes of them).
 */
function toDuckDb(sql: string): string {
  return sql
    .replace(/`([^`]+)`\.INFORMATION_SCHEMA\.TABLES/gi, (_, dataset: string) => `(select table_name from information_schema.tables where table_schema = '${dataset.replace(/'/g, "''")}')`)
    .replace(/\bto_hex\(md5\(/gi, '(md5(')
    .replace(/`/g, '"')
    .replace(/\bFLOAT64\b/g, 'DOUBLE')
    .replace(/\s+not enforced\b/gi, '');
}

function columnOf(name: string, duckType: string): Column {
  const t = duckType.toUpperCase();
  const repeated = t.endsWith('[]');
  const base = repeated ? t.slice(0, -2) : t;
  const type = /^(VARCHAR|TEXT)/.test(base)
    ? 'STRING'
    : /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UBIGINT|UINTEGER)/.test(base)
      ? 'INTEGER'
      : /^(DOUBLE|FLOAT|REAL)/.test(base)
        ? 'FLOAT'
        : /^DECIMAL/.test(base)
          ? 'NUMERIC'
          : base === 'BOOLEAN'
            ? 'BOOLEAN'
            : /^TIMESTAMP/.test(base)
              ? 'TIMESTAMP'
              : base === 'DATE'
                ? 'DATE'
                : 'STRING';
  return { name, type, mode: repeated ? 'REPEATED' : 'NULLABLE' };
}

function encodeValue(v: unknown, col: Column): { v: unknown } {
  if (v === null || v === undefined) return { v: null };
  if (col.mode === 'REPEATED') return { v: (v as unknown[]).map((x) => encodeValue(x, { ...col, mode: 'NULLABLE' })) };
  if (v instanceof Date) {
    // useInt64Timestamp: microseconds since the epoch, as the SDK asks for.
    if (col.type === 'TIMESTAMP') return { v: String(BigInt(v.getTime()) * 1000n) };
    return { v: v.toISOString().slice(0, 10) };
  }
  return { v: String(v) };
}

function decodeParam(p: QueryParameter): DuckDBValue {
  const type = p.parameterType.type;
  if (type === 'ARRAY') {
    const inner = p.parameterType.arrayType?.type ?? 'STRING';
    return listValue((p.parameterValue.arrayValues ?? []).map((x) => scalar(inner, x.value ?? null)));
  }
  return scalar(type, p.parameterValue.value ?? null);
}

function scalar(type: string, value: string | null): DuckDBValue {
  if (value === null) return null;
  switch (type) {
    case 'INT64':
      return Number(value);
    case 'FLOAT64':
    case 'NUMERIC':
      return Number(value);
    case 'BOOL':
      return String(value) === 'true'; // the SDK sends a JSON boolean, not the API's "true" text
    case 'TIMESTAMP':
      return timestampTZValue(BigInt(Date.parse(value.replace(' ', 'T').replace(/(\.\d{3})\d*/, '$1'))) * 1000n);
    default:
      return value;
  }
}

function apiError(code: number, message: string, reason: string) {
  return { error: { code, message, errors: [{ message, domain: 'global', reason }], status: reason } };
}

function jobResource(state: JobState, configuration: unknown) {
  return {
    kind: 'bigquery#job',
    id: `${state.jobReference.projectId}:${state.jobReference.location}.${state.jobReference.jobId}`,
    jobReference: state.jobReference,
    configuration,
    status: { state: 'DONE' },
    statistics: {
      query: {
        statementType: state.statementType,
        schema: { fields: state.schema },
        ...(state.statementType !== 'SELECT' ? { numDmlAffectedRows: String(state.affected) } : {}),
      },
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
