import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ApiContext, RunService } from '../../src/api/context';
import { buildApi } from '../../src/api/server';
import { loadWorkspace } from '../../src/config/load';
import { LocalRuns } from '../../src/scheduler/runs';
import { ServerWarehouse } from '../../src/scheduler/warehouse';
import { MetaFake } from '../../src/sandbox/meta';
import { applyIfChanged, openStoreFor, type Role, ROLES, type Store, type WorkspaceSettings } from '../../src/store';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { dropSchemas, PG_URL, uniqueSchema } from '../support/pg';
import type { StoreBackend } from '../store/support';

export { storeBackends, type StoreBackend } from '../store/support';

/** 40 persons: p00..p39; even ones are VIPs; every third bought something in the last week of January 2026. */
export const PERSONS = 40;
export const AS_OF = '2026-02-01T00:00:00.000Z';

/** The workspace file of the API tests: a DuckDB warehouse, two segments, a sandbox Meta account and a file destination. */
export function workspaceYaml(storeLine: string, metaSettings: Record<string, unknown>): string {
  return `version: 1
warehouse: {type: duckdb, path: ./wh.duckdb}
${storeLine}entities:
  - id: person
    table: main.persons
    primaryKey: person_id
    identifiers: {email: email, phone: phone}
    events: {table: main.events, personKey: person_id, name: event_name, timestamp: occurred_at, sessionKey: session_id}
segments:
  - {id: vips, entity: person, name: VIPs, alias: vip-people, rules: {conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: buyers, entity: person, name: Buyers, alias: buyers-aud, rules: {conditions: [{kind: event, event: purchase, window: {last: 30, unit: day}}]}}
destinations:
  - {id: meta-main, type: meta, minAudienceSize: 0, settings: ${JSON.stringify(metaSettings)}}
  - {id: out, type: file, settings: {path: ./exports}}
syncs:
  - {id: vip-file, segment: vips, destination: out}
`;
}

/** Creates the test tables in a DuckDB file. */
export async function createWarehouse(file: string): Promise<void> {
  const db = await DuckDbDriver.open({ path: file });
  try {
    await db.execute(`create table persons as
      select 'p' || lpad(i::varchar, 2, '0') as person_id, 'user' || i || '@example.com' as email,
        '+4479460' || lpad(i::varchar, 5, '0') as phone, i % 2 = 0 as vip, ['US', 'GB', 'DE'][1 + i % 3] as country
      from range(0, ${PERSONS}) t(i)`);
    await db.execute(`create table events as
      select 'p' || lpad(i::varchar, 2, '0') as person_id, case when i % 3 = 0 then 'purchase' else 'page_view' end as event_name,
        TIMESTAMPTZ '2026-01-25 12:00:00+00' as occurred_at, 's' || i as session_id
      from range(0, ${PERSONS}) t(i)`);
  } finally {
    await db.close();
  }
}

/**
 * An API over a real store (SQLite or PostgreSQL), a DuckDB warehouse and a sandbox Meta account,
 * served in-process (`inject`), with a token of every role.
 */
export class ApiFixture {
  readonly dir: string;
  readonly backend: StoreBackend;
  readonly schema = uniqueSchema('api');
  readonly meta = new MetaFake({ adAccountId: '1234567890', accessToken: 'sandbox-access-token' });
  readonly tokens = {} as Record<Role, string>;
  logs: { event: string; fields: Record<string, unknown> }[] = [];
  store!: Store;
  app!: FastifyInstance;
  runs!: LocalRuns;
  warehouse!: ServerWarehouse;
  settings!: WorkspaceSettings;
  clock: () => Date = () => new Date(AS_OF);

  constructor(backend: StoreBackend) {
    this.backend = backend;
    this.dir = mkdtempSync(path.join(tmpdir(), 'outflow-api-'));
  }

  get file(): string {
    return path.join(this.dir, 'outflow.yaml');
  }

  storeLine(): string {
    return this.backend === 'postgres' ? `store: {type: postgres, connectionString: "${PG_URL}", schema: ${this.schema}}\n` : '';
  }

  /** `runs`: another run service than the in-process one (Temporal, with a mocked client); `uiDir`: the web UI's files; `extraYaml`: appended to the workspace file. */
  static async start(backend: StoreBackend, options: { runs?: (fx: ApiFixture) => RunService; uiDir?: string; extraYaml?: string } = {}): Promise<ApiFixture> {
    const fx = new ApiFixture(backend);
    await fx.meta.start();
    await createWarehouse(path.join(fx.dir, 'wh.duckdb'));
    writeFileSync(fx.file, workspaceYaml(fx.storeLine(), fx.meta.settings()) + (options.extraYaml ?? ''));
    const loaded = loadWorkspace(fx.file);
    const { entities: _e, segments: _s, destinations: _d, syncs: _y, ...settings } = loaded.workspace;
    fx.settings = settings;
    fx.store = await openStoreFor(loaded);
    await applyIfChanged(fx.store, loaded);
    for (const role of ROLES) fx.tokens[role] = (await fx.store.tokens.create({ name: `${role}-token`, role }, { name: 'cli' })).token;
    fx.warehouse = await ServerWarehouse.open(settings.warehouse, fx.dir);
    const log = (event: string, fields: Record<string, unknown> = {}) => void fx.logs.push({ event, fields });
    fx.runs = new LocalRuns({ store: fx.store, settings, baseDir: fx.dir, warehouse: fx.warehouse, log, clock: () => fx.clock(), syncDeps: { sleep: async () => undefined } });
    const runs = options.runs?.(fx) ?? fx.runs;
    const ctx: ApiContext = { store: fx.store, settings, baseDir: fx.dir, warehouse: fx.warehouse, runs, log, clock: () => fx.clock() };
    fx.app = await buildApi(ctx, options.uiDir !== undefined ? { uiDir: options.uiDir } : {});
    return fx;
  }

  /** A request through the app (no socket); `token` is a role's token, a raw string, or none. */
  async request(method: string, url: string, opts: { token?: Role | string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
    const token = opts.token === undefined ? 'admin' : opts.token;
    const bearer = token === null ? undefined : ((this.tokens as Record<string, string>)[token] ?? token);
    const res = await this.app.inject({
      method: method as 'GET',
      url: url.startsWith('/api/') ? url : `/api/v1${url}`,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(opts.body !== undefined || opts.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      ...(opts.raw !== undefined ? { payload: opts.raw } : opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
    });
    const json = res.body ? (JSON.parse(res.body) as unknown) : undefined;
    return { status: res.statusCode, body: json as Record<string, unknown> & unknown[], raw: res.body };
  }

  async close(): Promise<void> {
    await this.app?.close();
    this.runs?.close();
    await this.warehouse?.close();
    await this.store?.close();
    await this.meta.stop();
    if (this.backend === 'postgres') await dropSchemas([this.schema]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
