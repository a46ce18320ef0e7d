import type { Knex } from 'knex';
import type { DestinationConfig, StoreConfig, Workspace } from '../config/schema';
import { AuditLog } from './audit';
import { isMigrated, type LightDb, migrate, openKnex, openLightDb, type StatementTrace } from './connection';
import { DEFINITION_COLUMNS, type DefinitionRow, type Definitions, readDefinitions, rowToObject } from './definitions';
import { storeLocation, type StoreLocation } from './location';
import { DefinitionRepository } from './repository';
import { RunRepository } from './runs';
import { openSettings, SecretKeyring } from './secrets';
import { TokenRepository, type TokenIdentity } from './tokens';

/** The workspace file's settings that are not definitions: how to reach the warehouse and the store. */
export type WorkspaceSettings = Omit<Workspace, 'entities' | 'segments' | 'destinations' | 'syncs'>;

export interface OpenStoreOptions {
  /** The workspace file's `store` key (default: SQLite at `.outflow/store.sqlite`). */
  config?: StoreConfig | undefined;
  /** Folder of the workspace file: a relative SQLite path and the key file resolve from here. */
  baseDir: string;
  /** Where `OUTFLOW_SECRET_KEY` and `${env:NAME}` references are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Limits definitions written through the repositories are checked against (the file's `limits`). */
  limits?: Workspace['limits'];
  /** The workspace file's name, for "managed in outflow.yaml" (default: the last applied file's). */
  fileName?: string;
  /** Sees every statement sent to the store; tests and benchmarks count writes with it. */
  trace?: StatementTrace;
}

/** Keys of `store_meta`. */
export const META = {
  /** Fingerprint of the last applied workspace file's definitions (see `definitionsFingerprint`). */
  fingerprint: 'definitions_fingerprint',
  /** Base name of the last applied workspace file. */
  appliedFile: 'applied_file',
  /** Written first by every apply transaction: two applies take turns. */
  applyLock: 'apply_lock',
} as const;

/**
 * The control-plane store (SPEC §6): definitions, runs, tokens and the audit log, behind knex on
 * SQLite or PostgreSQL. Opening it runs pending migrations. Reads that every command does
 * (definitions, a token's hash) go through the bare driver; knex is loaded on the first write.
 *
 * @example
 * const store = await openStore({ config: workspace.store, baseDir: loaded.dir, limits: workspace.limits });
 * try {
 *   const seg = await store.segments.get('recent-buyers');
 *   await store.segments.update('recent-buyers', { ...seg!.body, status: 'paused' }, { version: seg!.version }, { name: 'marketing-bot' });
 *   const ws = await store.workspace(loaded.workspace); // what compile, refresh and sync take
 * } finally {
 *   await store.close();
 * }
 */
export class Store {
  readonly location: StoreLocation;
  readonly keyring: SecretKeyring;
  readonly env: NodeJS.ProcessEnv;
  readonly limits: Workspace['limits'];
  readonly entities: DefinitionRepository<'entity'>;
  readonly segments: DefinitionRepository<'segment'>;
  readonly destinations: DefinitionRepository<'destination'>;
  readonly syncs: DefinitionRepository<'sync'>;
  readonly runs: RunRepository;
  readonly tokens: TokenRepository;
  readonly audit: AuditLog;
  #fileName: string | undefined;
  readonly #trace: StatementTrace | undefined;
  #knex: Promise<Knex> | undefined;
  #light: Promise<LightDb> | undefined;

  constructor(location: StoreLocation, options: OpenStoreOptions, light?: LightDb, opened?: Knex) {
    this.location = location;
    this.env = options.env ?? process.env;
    this.limits = options.limits ?? { maxConditions: 50 };
    this.keyring = new SecretKeyring(this.env, location.keyDir);
    this.#fileName = options.fileName;
    this.#trace = options.trace;
    if (light) this.#light = Promise.resolve(light);
    if (opened) this.#knex = Promise.resolve(opened);
    const knex = () => this.knex();
    const lightDb = () => this.light();
    this.entities = new DefinitionRepository('entity', this);
    this.segments = new DefinitionRepository('segment', this);
    this.destinations = new DefinitionRepository('destination', this);
    this.syncs = new DefinitionRepository('sync', this);
    this.runs = new RunRepository(knex);
    this.tokens = new TokenRepository(knex, lightDb);
    this.audit = new AuditLog(knex);
  }

  /** knex on the store, loaded on first use (writes, transactions, the API's queries). */
  knex(): Promise<Knex> {
    this.#knex ??= openKnex(this.location, this.#trace);
    return this.#knex;
  }

  /** The bare-driver connection the read path uses. */
  light(): Promise<LightDb> {
    this.#light ??= openLightDb(this.location, this.#trace).then((db) => {
      if (!db) throw new Error(`the store ${this.location.shown} is missing`);
      return db;
    });
    return this.#light;
  }

  /** Every definition as stored (secrets sealed, references unresolved), in display order. */
  async definitions(): Promise<Definitions> {
    return readDefinitions(await this.light());
  }

  async meta(key: string): Promise<string | undefined> {
    const [row] = await (await this.light()).all<{ value: string }>('select value from store_meta where key = ?', [key]);
    return row?.value;
  }

  /** "outflow.yaml": the file whose objects the API may not change. */
  async fileName(): Promise<string> {
    this.#fileName ??= (await this.meta(META.appliedFile)) ?? 'outflow.yaml';
    return this.#fileName;
  }

  /**
   * The `Workspace` the rest of Outflow takes (compile, refresh, sync, schedules): the file's
   * settings with the store's definitions, file- and UI-managed. Destination settings come
   * resolved: secrets decrypted, `${env:NAME}` references replaced.
   */
  async workspace(settings: WorkspaceSettings): Promise<Workspace> {
    const defs = await this.definitions();
    return {
      version: settings.version,
      warehouse: settings.warehouse,
      stateSchema: settings.stateSchema,
      limits: settings.limits,
      ...(settings.store ? { store: settings.store } : {}),
      ...(settings.orchestrator ? { orchestrator: settings.orchestrator } : {}),
      entities: defs.entity.map((o) => o.body),
      segments: defs.segment.map((o) => o.body),
      destinations: defs.destination.map((o) => this.resolveDestination(o.body)),
      syncs: defs.sync.map((o) => o.body),
    };
  }

  /** One destination with its settings ready for its connector (`POST /destinations/{id}/test`), or undefined. */
  async resolvedDestination(id: string): Promise<DestinationConfig | undefined> {
    const [row] = await (await this.light()).all<DefinitionRow>(`select ${DEFINITION_COLUMNS} from destinations where id = ?`, [id]);
    return row ? this.resolveDestination(rowToObject('destination', row).body) : undefined;
  }

  /** A destination with its settings ready for its connector. Never log the result. */
  resolveDestination(body: DestinationConfig): DestinationConfig {
    return { ...body, settings: openSettings({ destinationId: body.id, settings: body.settings, keyring: this.keyring, env: this.env }) };
  }

  /** `authorize(token)` for the API: `{name, role}` of a valid bearer token, else undefined (401). */
  authorize(token: string | undefined): Promise<TokenIdentity | undefined> {
    return this.tokens.authorize(token);
  }

  async close(): Promise<void> {
    const [knex, light] = [this.#knex, this.#light];
    this.#knex = undefined;
    this.#light = undefined;
    await Promise.all([knex?.then((k) => k.destroy()), light?.then((l) => l.close(), () => undefined)]);
  }
}

/**
 * Opens the store a workspace file names, creating and migrating it when needed. When the schema
 * is current this touches only the bare driver (no knex).
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const location = storeLocation(options.config, options.baseDir);
  let light = await openLightDb(location, options.trace);
  if (light && (await isMigrated(light))) return new Store(location, options, light);
  await light?.close();
  const knex = await openKnex(location, options.trace);
  try {
    await migrate(knex, location);
    light = await openLightDb(location, options.trace);
  } catch (err) {
    await knex.destroy();
    throw err;
  }
  return new Store(location, options, light, knex);
}
