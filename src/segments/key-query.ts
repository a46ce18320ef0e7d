import { UserInputError } from '../config/errors';
import type { SqlDialect } from '../warehouse/dialect';
import { type ColumnInfo, SqlRejectedError, type WarehouseDriver } from '../warehouse/driver';
import { IDENTIFIER_PATTERN } from './rule-schema';

/**
 * Statement kinds node-sql-parser names in its tree (`type`) that read or change anything but
 * rows: found anywhere in a query, they refuse it.
 */
const NOT_A_READ = new Set([
  'insert',
  'replace',
  'update',
  'delete',
  'merge',
  'create',
  'drop',
  'alter',
  'truncate',
  'rename',
  'use',
  'set',
  'lock',
  'unlock',
  'call',
  'exec',
  'execute',
  'grant',
  'revoke',
  'transaction',
  'load_data',
  'copy',
  'attach',
  'detach',
  'pragma',
  'declare',
  'show',
  'desc',
  'explain',
]);

type Grammar = SqlDialect['parserGrammar'];
interface AstParser {
  astify(sql: string, options?: { database?: string }): unknown;
}
/** Each grammar is its own module of several megabytes: loaded when a query is first checked. */
const GRAMMARS: Record<Grammar, { database: string; load: () => Promise<{ Parser: new () => AstParser }> }> = {
  postgresql: { database: 'PostgresQL', load: async () => (await import('node-sql-parser/build/postgresql.js')).default },
  bigquery: { database: 'BigQuery', load: async () => (await import('node-sql-parser/build/bigquery.js')).default },
  snowflake: { database: 'Snowflake', load: async () => (await import('node-sql-parser/build/snowflake.js')).default },
};

/**
 * Why `sql` is not one read-only SELECT as a SQL parser (node-sql-parser, in the engine's
 * grammar) reads it, or undefined when it is: exactly one statement; a SELECT (WITH ... SELECT
 * allowed, UNION and the like too) in which no part, a CTE included, is another kind of statement;
 * no SELECT INTO, no locking clause (FOR UPDATE), no placeholders. Text the parser cannot read is
 * refused with its message: what a user's key query needs is plain SQL.
 *
 * @example
 * await selectProblem("select person_id from crm.vips", 'postgresql') // undefined
 * await selectProblem('with d as (delete from t returning id) select id from d', 'postgresql') // 'the SQL parser ...'
 */
export async function selectProblem(sql: string, grammar: Grammar): Promise<string | undefined> {
  const { database, load } = GRAMMARS[grammar];
  const { Parser } = await load();
  let tree: unknown;
  try {
    tree = new Parser().astify(sql, { database });
  } catch (err) {
    return `the SQL parser cannot read it as one SELECT statement: ${firstLine((err as Error).message)}`;
  }
  const statements = (Array.isArray(tree) ? tree : [tree]).filter((s) => s !== null && s !== undefined);
  if (statements.length !== 1) return `expected one SELECT statement, found ${statements.length}`;
  const [statement] = statements as { type?: unknown }[];
  if (statement!.type !== 'select') return `expected a SELECT statement, found ${String(statement!.type).toUpperCase()}`;
  return nodeProblem(statement);
}

/** The first part of the tree that is not plain reading, described. */
function nodeProblem(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const problem = nodeProblem(child);
      if (problem) return problem;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const n = node as Record<string, unknown>;
  if (typeof n.type === 'string' && NOT_A_READ.has(n.type.toLowerCase())) return `only a SELECT may be part of the query; it holds ${n.type.toUpperCase()}`;
  if (n.type === 'param' || n.type === 'var') return 'the query may not hold placeholders or variables';
  if (n.locking_read) return 'a locking clause (FOR UPDATE / FOR SHARE) is not allowed';
  const into = n.into as { position?: unknown } | undefined;
  if (into && into.position) return 'SELECT ... INTO is not allowed';
  for (const [key, value] of Object.entries(n)) {
    if (key === 'loc') continue;
    const problem = nodeProblem(value);
    if (problem) return problem;
  }
  return undefined;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0]!;
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/**
 * Checks a user's query of keys (a static segment's `populate` / remove-by-query) before it runs:
 * the SQL parser's reading (`selectProblem`), then the engine's own (`WarehouseDriver.checkSelect`:
 * one read-only SELECT, planned in a read-only transaction that is rolled back), and it must
 * return exactly one plainly named column, the members' primary keys. Returns that column.
 * Problems are input errors at `path`.
 */
export async function checkKeyQuery(warehouse: WarehouseDriver, sql: string, path: string): Promise<ColumnInfo> {
  const refuse = (message: string) => new UserInputError([{ path, message }]);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f]/.test(sql)) throw refuse('control characters are not allowed in SQL text');
  if (sql.trim().replace(/;+\s*$/, '') === '') throw refuse('the query is empty');
  const problem = await selectProblem(sql, warehouse.dialect.parserGrammar);
  if (problem) throw refuse(problem);
  let columns: ColumnInfo[];
  try {
    columns = await warehouse.checkSelect(sql);
  } catch (err) {
    if (err instanceof SqlRejectedError) throw refuse(err.message);
    throw err;
  }
  if (columns.length !== 1)
    throw refuse(`select exactly one column, the members' primary keys (e.g. "select person_id from ..."); the query returns ${columns.length}`);
  const [column] = columns as [ColumnInfo];
  if (!IDENTIFIER_PATTERN.test(column.name)) throw refuse(`name the key column plainly, e.g. "select ... as person_id" (got ${JSON.stringify(column.name)})`);
  return column;
}
