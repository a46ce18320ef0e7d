import type { DestinationConfig, StoreConfig, Workspace } from '../config/schema';
import { isMigrated, type LightDb, openLightDb, type StatementTrace } from './connection';
import { DEFINITION_COLUMNS, type DefinitionRow, type Definitions, readDefinitions, rowToObject } from './definitions';
import { storeLocation, type StoreLocation } from './location';
import { openSettings, SecretKeyring } from './secrets';

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
 * The store's read side, through the bare SQLite/pg driver only: what every command needs when its
 * workspace file has not changed. It loads neither knex nor the write paths, so reading costs a
 * command as little as possible. `Store` adds the repositories and the writes.
 */
export class StoreReader {
  readonly location: StoreLocation;
  readonly keyring: SecretKeyring;
  readonly env: NodeJS.ProcessEnv;
  protected readonly options: OpenStoreOptions;
  #light: Promise<LightDb> | undefined;

  constructor(location: StoreLocation, options: OpenStoreOptions, light?: LightDb) {
    this.location = location;
    this.options = options;
    this.env = options.env ?? process.env;
    this.keyring = new SecretKeyring(this.env, location.keyDir);
    if (light) this.#light = Promise.resolve(light);
  }

  /** The bare-driver connection reads go through. */
  light(): Promise<LightDb> {
    this.#light ??= openLightDb(this.location, this.options.trace).then((db) => {
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
      ...(settings.minAudienceSize !== undefined ? { minAudienceSize: settings.minAudienceSize } : {}),
      // Workspace-wide lists stay in the file: they are settings, like the state schema.
      exclusions: settings.exclusions ?? [],
      priorityLists: settings.priorityLists ?? [],
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

  async close(): Promise<void> {
    const light = this.#light;
    this.#light = undefined;
    await light?.then((l) => l.close(), () => undefined);
  }
}

/**
 * Opens the read side of an existing, migrated store; undefined when the store does not exist yet
 * or needs migrations (then `openStore`, which loads knex, creates or migrates it).
 */
export async function openStoreReader(options: OpenStoreOptions): Promise<StoreReader | undefined> {
  const location = storeLocation(options.config, options.baseDir);
  const light = await openLightDb(location, options.trace);
  if (light && (await isMigrated(light))) return new StoreReader(location, options, light);
  await light?.close();
  return undefined;
}
