import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';

/**
 * A local stand-in for Snowflake's SQL REST protocol as the official `snowflake-sdk` speaks it
 * (login-request, query-request with bindings, JSON row sets, session delete). Data lives in an
 * in-memory DuckDB, so Snowflake SQL that is also valid DuckDB SQL runs for real. It checks the
 * password at login and the session token on every query.
 */
export interface SnowflakeFake {
  /** The `accessUrl` to give the SDK. */
  accessUrl: string;
  account: string;
  username: string;
  password: string;
  seed(sql: string): Promise<void>;
  /** Rows of a table, read directly (tests check a canary table survived). */
  count(table: string): Promise<number>;
  /** Every statement and its bindings, in order. */
  queries: { sql: string; params: unknown[] }[];
  stop(): Promise<void>;
}

interface Binding {
  type: string;
  value: string | null;
}

// Statement type ids the SDK reads to decide whether a result counts updated rows.
const STATEMENT_TYPE = { SELECT: 0x1000, INSERT: 0x3100, UPDATE: 0x3200, DELETE: 0x3300, DDL: 0x6000 } as const;

export async function startSnowflakeFake(
  options: { account?: string; username?: string; password?: string } = {},
): Promise<SnowflakeFake> {
  const account = options.account ?? 'acme-test';
  const username = options.username ?? 'outflow';
  const password = options.password ?? 'secret-password';
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  // TO_NUMBER with a hex format model ('XXXXXXXX'), the only one Outflow uses (segments/split-bucket).
  await conn.run("create macro to_number(digits, format) as cast('0x' || digits as bigint)");
  const queries: SnowflakeFake['queries'] = [];
  const sessions = new Set<string>();
  let nextId = 1;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { success: false, message: String(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    const body = raw.length > 0 ? (JSON.parse(raw) as Record<string, unknown>) : {};
    if (url.pathname === '/session/v1/login-request') {
      const data = (body.data ?? {}) as { LOGIN_NAME?: string; PASSWORD?: string };
      if (data.LOGIN_NAME !== username || data.PASSWORD !== password)
        return send(res, 200, { success: false, code: '390100', message: 'Incorrect username or password was specified.', data: null });
      const token = `session-${nextId++}`;
      sessions.add(token);
      return send(res, 200, {
        success: true,
        code: null,
        message: null,
        data: {
          token,
          masterToken: `master-${token}`,
          validityInSeconds: 3600,
          masterValidityInSeconds: 14400,
          sessionId: nextId,
          parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
          sessionInfo: { databaseName: 'DB', schemaName: 'PUBLIC', warehouseName: 'WH', roleName: 'ROLE' },
        },
      });
    }
    const token = /Snowflake Token="([^"]+)"/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !sessions.has(token))
      return send(res, 200, { success: false, code: '390104', message: 'Authentication token has expired.', data: null });
    if (url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
      sessions.delete(token);
      return send(res, 200, { success: true, data: null });
    }
    if (url.pathname === '/session/heartbeat') return send(res, 200, { success: true, data: null });
    if (url.pathname === '/queries/v1/query-request') {
      const sql = String(body.sqlText ?? '');
      const bindings = (body.bindings ?? {}) as Record<string, Binding>;
      const params = Object.keys(bindings)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => decodeBinding(bindings[k]!));
      queries.push({ sql, params });
      const queryId = `01b-${nextId++}`;
      try {
        const data = await execute(sql, params, body.describeOnly === true, Number((body.parameters as Record<string, unknown> | undefined)?.MULTI_STATEMENT_COUNT ?? 1));
        return send(res, 200, { success: true, code: null, message: null, data: { ...data, queryId } });
      } catch (err) {
        return send(res, 200, {
          success: false,
          code: '000904',
          message: `SQL compilation error: ${(err as Error).message}`,
          data: { queryId, sqlState: '42000', errorCode: '000904' },
        });
      }
    }
    return send(res, 404, { success: false, message: `not found: ${url.pathname}` });
  }

  async function execute(snowflakeSql: string, params: DuckDBValue[], describeOnly: boolean, statementCount: number) {
    const sql = toDuckDb(snowflakeSql);
    // Snowflake runs one statement per request unless MULTI_STATEMENT_COUNT allows more (0: any).
    const statements = await conn.extractStatements(sql);
    if (statementCount !== 0 && statements.count !== statementCount)
      throw new Error(`Actual statement count ${statements.count} did not match the desired statement count ${statementCount}.`);
    const verb = sql.trim().split(/\s+/)[0]!.toUpperCase();
    const isSelect = verb === 'SELECT' || verb === 'WITH';
    if (describeOnly && !isSelect) {
      // Describe compiles a statement and never runs it.
      await statements.prepare(0);
      const type = STATEMENT_TYPE[verb as keyof typeof STATEMENT_TYPE] ?? STATEMENT_TYPE.DDL;
      return { rowtype: [rowType('status', 'VARCHAR')], rowset: [], total: 0, returned: 0, statementTypeId: type, version: 1, parameters: [], queryResultFormat: 'json' };
    }
    const reader = await conn.runAndReadAll(describeOnly && isSelect ? `select * from (\n${sql.replace(/[\s;]+$/, '')}\n) as q limit 0` : sql, params);
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => t.toString().toUpperCase());
    if (!isSelect) {
      const changed = Number(reader.getRowsJS()[0]?.[0] ?? 0);
      const type = STATEMENT_TYPE[verb as keyof typeof STATEMENT_TYPE] ?? STATEMENT_TYPE.DDL;
      const column = verb === 'INSERT' ? 'number of rows inserted' : verb === 'DELETE' ? 'number of rows deleted' : 'number of rows updated';
      const dml = type !== STATEMENT_TYPE.DDL;
      return {
        rowtype: [rowType(dml ? column : 'status', dml ? 'BIGINT' : 'VARCHAR')],
        rowset: [[dml ? String(changed) : 'Statement executed successfully.']],
        total: 1,
        returned: 1,
        statementTypeId: type,
        version: 1,
        parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
        queryResultFormat: 'json',
      };
    }
    const rows = describeOnly ? [] : (reader.getRowsJS() as unknown[][]);
    return {
      rowtype: names.map((n, i) => rowType(n, types[i]!)),
      rowset: rows.map((r) => r.map((v, i) => encode(v, types[i]!))),
      total: rows.length,
      returned: rows.length,
      statementTypeId: STATEMENT_TYPE.SELECT,
      version: 1,
      parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
      queryResultFormat: 'json',
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    accessUrl: `http://127.0.0.1:${port}`,
    account,
    username,
    password,
    queries,
    seed: async (sql) => {
      await conn.run(sql);
    },
    count: async (table) => Number((await conn.runAndReadAll(`select count(*) from ${table}`)).getRowsJS()[0]![0]),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** Snowflake SQL as DuckDB runs it: the few spellings DuckDB lacks are rewritten. */
function toDuckDb(sql: string): string {
  return sql
    .replace(/\bTIMESTAMP_TZ\b/g, 'TIMESTAMPTZ')
    .replace(/\bNUMBER\(38, 0\)/g, 'BIGINT')
    .replace(/\bARRAY_AGG\(([^()]+)\) WITHIN GROUP \(ORDER BY ([^()]+)\)/gi, 'ARRAY_AGG($1 ORDER BY $2)');
}

/** Snowflake's JSON row-set column description for a DuckDB type. */
function rowType(name: string, duckType: string) {
  const base = { name, nullable: true, length: null, byteLength: null, precision: null, scale: null, collation: null };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)/.test(duckType)) return { ...base, type: 'fixed', precision: 38, scale: 0 };
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL)/.test(duckType)) return { ...base, type: 'real' };
  if (duckType === 'BOOLEAN') return { ...base, type: 'boolean' };
  if (/^TIMESTAMP/.test(duckType)) return { ...base, type: 'timestamp_ltz', scale: 9, precision: 0 };
  if (duckType === 'DATE') return { ...base, type: 'date' };
  if (duckType.endsWith('[]')) return { ...base, type: 'array' };
  return { ...base, type: 'text', length: 16_777_216, byteLength: 16_777_216 };
}

function encode(v: unknown, duckType: string): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) {
    if (duckType === 'DATE') return String(Math.floor(v.getTime() / 86_400_000));
    const ms = v.getTime();
    const secs = Math.floor(ms / 1000);
    return `${secs}.${String((ms - secs * 1000) * 1_000_000).padStart(9, '0')}`;
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Array.isArray(v)) return JSON.stringify(v);
  return String(v);
}

function decodeBinding(b: Binding): DuckDBValue {
  if (b.value === null) return null;
  switch (b.type) {
    case 'FIXED':
    case 'REAL':
      return Number(b.value);
    case 'BOOLEAN':
      return b.value === 'true';
    default:
      return b.value;
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const buf = Buffer.concat(chunks);
      // The SDK gzips request bodies.
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
      resolve(text);
    });
    req.on('error', reject);
  });
}
