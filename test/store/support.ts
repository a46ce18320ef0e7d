import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadWorkspace, type LoadedWorkspace } from '../../src/config/load';
import { applyWorkspace, openStoreFor, type ApplyResult, type Store } from '../../src/store';
import { dropSchemas, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';

export type StoreBackend = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL when the test server answers (under CI=true an unreachable one fails the suite). */
export async function storeBackends(): Promise<StoreBackend[]> {
  return (await postgresReachable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** The entity, segments, destinations and syncs most store tests start from. */
export const BASE_DEFINITIONS = `entities:
  - id: person
    table: main.persons
    primaryKey: person_id
    identifiers: {email: email}
    relations: [{name: company, table: main.companies, key: company_id, foreignKey: company_id}]
segments:
  - {id: vips, entity: person, name: VIPs, alias: vip-people, rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: big-co, entity: person, name: Big companies, rules: {match: all, conditions: [{kind: trait, trait: company.employees, op: ">", value: 100}]}}
destinations:
  - {id: out, type: file, settings: {path: ./exports}}
syncs:
  - {id: vip-file, segment: vips, destination: out}
`;

/**
 * A workspace folder with its file and a store of the given backend (a private PostgreSQL schema,
 * dropped by `cleanup`).
 */
export class StoreFixture {
  readonly dir: string;
  readonly file: string;
  readonly backend: StoreBackend;
  readonly schema: string;
  readonly #open: Store[] = [];

  constructor(backend: StoreBackend) {
    this.backend = backend;
    this.dir = mkdtempSync(path.join(tmpdir(), 'outflow-store-'));
    this.file = path.join(this.dir, 'outflow.yaml');
    this.schema = uniqueSchema('store');
  }

  /** The `store:` line of this fixture's workspace file. */
  storeLine(): string {
    return this.backend === 'postgres' ? `store: {type: postgres, connectionString: "${PG_URL}", schema: ${this.schema}}\n` : '';
  }

  write(definitions: string, name = 'outflow.yaml'): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, `version: 1\nwarehouse: {type: duckdb, path: ./wh.duckdb}\n${this.storeLine()}${definitions}`);
    return file;
  }

  load(env: NodeJS.ProcessEnv = process.env, file = this.file): LoadedWorkspace {
    return loadWorkspace(file, env);
  }

  async store(options: { env?: NodeJS.ProcessEnv; trace?: (sql: string) => void } = {}): Promise<Store> {
    const store = await openStoreFor(this.load(options.env), options);
    this.#open.push(store);
    return store;
  }

  async apply(store: Store, options: { env?: NodeJS.ProcessEnv; prune?: boolean; dryRun?: boolean; file?: string } = {}): Promise<ApplyResult> {
    const loaded = this.load(options.env, options.file);
    return applyWorkspace(store, loaded, readFileSync(loaded.file, 'utf8'), { actor: { name: 'apply', origin: 'test' }, ...options });
  }

  /** Every byte the store holds: the SQLite files, or every row of every table in the PostgreSQL schema as text. */
  async storeBytes(): Promise<Buffer> {
    if (this.backend === 'sqlite') {
      const folder = path.join(this.dir, '.outflow');
      return Buffer.concat(readdirSync(folder).filter((f) => f.startsWith('store.sqlite')).map((f) => readFileSync(path.join(folder, f))));
    }
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1', [this.schema]);
      const parts: string[] = [];
      for (const { table_name } of tables.rows) {
        const rows = await client.query(`select t::text as row from "${this.schema}"."${table_name}" t`);
        parts.push(...rows.rows.map((r: { row: string }) => r.row));
      }
      return Buffer.from(parts.join('\n'), 'utf8');
    } finally {
      await client.end();
    }
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((s) => s.close()));
    if (this.backend === 'postgres') await dropSchemas([this.schema]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Statements that change something. */
export function isWrite(sql: string): boolean {
  return /^\s*(insert|update|delete|create|drop|alter|replace)\b/i.test(sql);
}
