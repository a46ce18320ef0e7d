import type { Knex } from 'knex';
import type { Workspace } from '../config/schema';
import { AuditLog } from './audit';
import { isMigrated, type LightDb, migrate, openKnex, openLightDb } from './connection';
import { storeLocation, type StoreLocation } from './location';
import { MembershipRepository } from './membership';
import { META, type OpenStoreOptions, StoreReader } from './reader';
import { DefinitionRepository } from './repository';
import { RunRepository } from './runs';
import { TokenRepository, type TokenIdentity } from './tokens';


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
export class Store extends StoreReader {
  readonly limits: Workspace['limits'];
  readonly entities: DefinitionRepository<'entity'>;
  readonly segments: DefinitionRepository<'segment'>;
  readonly destinations: DefinitionRepository<'destination'>;
  readonly syncs: DefinitionRepository<'sync'>;
  readonly runs: RunRepository;
  readonly tokens: TokenRepository;
  readonly audit: AuditLog;
  /** The membership lookup's copy of segment membership (`GET /persons/{id}/segments`). */
  readonly membership: MembershipRepository;
  #fileName: string | undefined;
  #knex: Promise<Knex> | undefined;

  constructor(location: StoreLocation, options: OpenStoreOptions, light?: LightDb, opened?: Knex) {
    super(location, options, light);
    this.limits = options.limits ?? { maxConditions: 50 };
    this.#fileName = options.fileName;
    if (opened) this.#knex = Promise.resolve(opened);
    const knex = () => this.knex();
    this.entities = new DefinitionRepository('entity', this);
    this.segments = new DefinitionRepository('segment', this);
    this.destinations = new DefinitionRepository('destination', this);
    this.syncs = new DefinitionRepository('sync', this);
    this.runs = new RunRepository(knex);
    this.tokens = new TokenRepository(knex, () => this.light());
    this.audit = new AuditLog(knex);
    this.membership = new MembershipRepository(knex, () => this.light());
  }

  /** knex on the store, loaded on first use (writes, transactions, the API's queries). */
  knex(): Promise<Knex> {
    this.#knex ??= openKnex(this.location, this.options.trace);
    return this.#knex;
  }

  /** "outflow.yaml": the file whose objects the API may not change. */
  async fileName(): Promise<string> {
    this.#fileName ??= (await this.meta(META.appliedFile)) ?? 'outflow.yaml';
    return this.#fileName;
  }

  /** `authorize(token)` for the API: `{name, role}` of a valid bearer token, else undefined (401). */
  authorize(token: string | undefined): Promise<TokenIdentity | undefined> {
    return this.tokens.authorize(token);
  }

  override async close(): Promise<void> {
    const knex = this.#knex;
    this.#knex = undefined;
    await Promise.all([knex?.then((k) => k.destroy()), super.close()]);
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
