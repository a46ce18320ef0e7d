import type { Knex } from 'knex';
import type { z } from 'zod';
import { type Problem, UserInputError } from '../config/errors';
import { zodProblems } from '../config/load';
import { type DestinationConfig, destinationSchema, entitySchema, type SegmentConfig, segmentSchema, syncSchema } from '../config/schema';
import { settleSplits } from '../segments/splits';
import { type Actor, definitionDiff, writeAudit } from './audit';
import { bodiesOf, checkDefinitions, describeProblem } from './check';
import type { LightDb } from './connection';
import { connectorFacts } from './connectors';
import {
  DEFINITION_COLUMNS,
  type DefinitionBodies,
  type DefinitionKind,
  type DefinitionRow,
  type Definitions,
  DISPLAY_ORDER,
  indexedColumns,
  nowIso,
  readDefinitionsIn,
  rowToObject,
  type StoredObject,
  TABLE,
} from './definitions';
import { ConflictError, ManagedByFileError, NotFoundError } from './errors';
import { isSetMarker, maskSettings, openSettings, type SecretKeyring, sealSettings, type SecretKeys } from './secrets';

const SCHEMA: Record<DefinitionKind, z.ZodType> = {
  entity: entitySchema,
  segment: segmentSchema,
  destination: destinationSchema,
  sync: syncSchema,
};

/** Columns a list can be filtered on, by the names the API uses. */
export interface ListFilters {
  entity: Record<never, never>;
  segment: { entity?: string | readonly string[]; status?: string | readonly string[] };
  destination: { type?: string | readonly string[] };
  sync: { segment?: string | readonly string[]; destination?: string | readonly string[] };
}
const FILTER_COLUMN: Record<string, string> = { entity: 'entity_id', status: 'status', type: 'type', segment: 'segment_id', destination: 'destination_id' };

/** What a repository needs of its store. */
export interface RepositoryContext {
  knex(): Promise<Knex>;
  light(): Promise<LightDb>;
  fileName(): Promise<string>;
  readonly keyring: SecretKeyring;
  readonly env: NodeJS.ProcessEnv;
  readonly limits: { maxConditions: number };
}

/**
 * One kind of definition (entities, segments, destinations, syncs) for the API. Objects carry a
 * `version`; an update or delete naming a stale version is a ConflictError (409). Objects the
 * workspace file manages refuse both with a ManagedByFileError (409, "managed in outflow.yaml").
 * Bodies are checked like the workspace file (UserInputError, paths relative to the body), and
 * together with everything else in the store (references, cycles): a change that would break
 * another object is a ConflictError naming it. Every change writes an audit entry.
 *
 * Destination settings come back masked (`{"set": true}` for each secret); send `{"set": true}`
 * back to keep a stored secret.
 *
 * @example
 * const created = await store.segments.create({ id: 'vips', entity: 'person', name: 'VIPs', rules: { ... } }, actor);
 * const paused = await store.segments.update('vips', { ...created.body, status: 'paused' }, { version: created.version }, actor);
 * await store.segments.delete('vips', { version: paused.version }, actor);
 */
export class DefinitionRepository<K extends DefinitionKind> {
  readonly kind: K;
  readonly #ctx: RepositoryContext;

  constructor(kind: K, ctx: RepositoryContext) {
    this.kind = kind;
    this.#ctx = ctx;
  }

  /** Every object of this kind in display order (file order, then the UI's by creation), secrets masked. */
  async list(filter: ListFilters[K] = {}): Promise<StoredObject<K>[]> {
    const where: string[] = [];
    const params: string[] = [];
    for (const [key, value] of Object.entries(filter) as [string, string | readonly string[] | undefined][]) {
      if (value === undefined || !FILTER_COLUMN[key]) continue;
      const values = typeof value === 'string' ? [value] : value;
      if (values.length === 0) return [];
      where.push(`${FILTER_COLUMN[key]} in (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    }
    const sql = `select ${DEFINITION_COLUMNS} from ${TABLE[this.kind]}${where.length ? ` where ${where.join(' and ')}` : ''} ${DISPLAY_ORDER}`;
    const rows = await (await this.#ctx.light()).all<DefinitionRow>(sql, params);
    return Promise.all(rows.map((r) => this.#display(rowToObject(this.kind, r))));
  }

  /** One object, secrets masked; undefined when there is none. */
  async get(id: string): Promise<StoredObject<K> | undefined> {
    const [row] = await (await this.#ctx.light()).all<DefinitionRow>(`select ${DEFINITION_COLUMNS} from ${TABLE[this.kind]} where id = ?`, [id]);
    return row ? this.#display(rowToObject(this.kind, row)) : undefined;
  }

  /** Creates a UI-managed object (version 1). */
  async create(input: unknown, actor: Actor): Promise<StoredObject<K>> {
    const body = this.#parse(input);
    const stored = await this.#seal(body, undefined);
    const knex = await this.#ctx.knex();
    const object = await knex.transaction(async (trx) => {
      const defs = await readDefinitionsIn(trx);
      const existing = defs[this.kind].find((o) => o.id === body.id);
      if (existing)
        throw new ConflictError(`${this.kind} "${body.id}" exists${existing.managedBy === 'file' ? ` (managed in ${await this.#ctx.fileName()})` : ''}`);
      this.#check(defs, { id: body.id, body: stored });
      const now = nowIso();
      const created: StoredObject<K> = { kind: this.kind, id: body.id, body: stored, managedBy: 'ui', version: 1, position: null, createdAt: now, updatedAt: now };
      await trx(TABLE[this.kind]).insert(objectRow(created));
      await writeAudit(trx, actor, [{ action: 'create', objectType: this.kind, objectId: body.id, diff: definitionDiff(this.kind, null, stored, await this.#secretKeys(stored)) }]);
      return created;
    });
    return this.#display(object);
  }

  /** Replaces a UI-managed object's body; `version` must be the one read. */
  async update(id: string, input: unknown, opts: { version: number }, actor: Actor): Promise<StoredObject<K>> {
    const body = this.#parse(input);
    if (body.id !== id) throw new UserInputError([{ path: 'id', message: `the id cannot change (is "${id}")` }]);
    const knex = await this.#ctx.knex();
    const object = await knex.transaction(async (trx) => {
      const defs = await readDefinitionsIn(trx);
      const current = await this.#writable(defs, id, opts.version);
      if (this.kind === 'destination' && (body as DestinationConfig).type !== (current.body as DestinationConfig).type)
        throw new UserInputError([{ path: 'type', message: `the type cannot change (is "${(current.body as DestinationConfig).type}"); create another destination` }]);
      const stored = await this.#seal(body, current.body);
      this.#check(defs, { id, body: stored });
      const updated: StoredObject<K> = { ...current, body: stored, version: current.version + 1, updatedAt: nowIso() };
      const n = await trx(TABLE[this.kind]).where({ id, version: current.version }).update(objectRow(updated));
      if (n !== 1) throw new ConflictError(`${this.kind} "${id}" was changed meanwhile; read it again`);
      await writeAudit(trx, actor, [
        { action: 'update', objectType: this.kind, objectId: id, diff: definitionDiff(this.kind, current.body, stored, await this.#secretKeys(stored)) },
      ]);
      return updated;
    });
    return this.#display(object);
  }

  /** Deletes a UI-managed object, unless another object uses it (ConflictError naming it). */
  async delete(id: string, opts: { version?: number }, actor: Actor): Promise<void> {
    const knex = await this.#ctx.knex();
    await knex.transaction(async (trx) => {
      const defs = await readDefinitionsIn(trx);
      const current = await this.#writable(defs, id, opts.version);
      this.#check(defs, { id, body: undefined });
      const n = await trx(TABLE[this.kind]).where({ id, version: current.version }).delete();
      if (n !== 1) throw new ConflictError(`${this.kind} "${id}" was changed meanwhile; read it again`);
      await writeAudit(trx, actor, [
        { action: 'delete', objectType: this.kind, objectId: id, diff: definitionDiff(this.kind, current.body, null, await this.#secretKeys(current.body)) },
      ]);
    });
  }

  #parse(input: unknown): DefinitionBodies[K] {
    const parsed = SCHEMA[this.kind].safeParse(input);
    if (!parsed.success) throw new UserInputError(zodProblems(parsed.error).map(({ path, message }) => ({ path, message })));
    return parsed.data as DefinitionBodies[K];
  }

  async #writable(defs: Definitions, id: string, version: number | undefined): Promise<StoredObject<K>> {
    const current = (defs[this.kind] as StoredObject<K>[]).find((o) => o.id === id);
    if (!current) throw new NotFoundError(`no ${this.kind} "${id}"`);
    if (current.managedBy === 'file') {
      const file = await this.#ctx.fileName();
      throw new ManagedByFileError(`${this.kind} "${id}" is managed in ${file}: change it there and run outflow apply`);
    }
    if (version !== undefined && version !== current.version)
      throw new ConflictError(`${this.kind} "${id}" is at version ${current.version}, not ${version}: read it again`, current.version);
    return current;
  }

  /** Checks the store as it would be after the change: this object's problems are input errors, others' conflicts. */
  #check(defs: Definitions, change: { id: string; body: DefinitionBodies[K] | undefined }): void {
    const bodies = bodiesOf((kind) => {
      const list: object[] = defs[kind].filter((o) => kind !== this.kind || o.id !== change.id).map((o) => o.body);
      if (kind === this.kind && change.body) {
        const at = defs[kind].findIndex((o) => o.id === change.id);
        list.splice(at < 0 ? list.length : at, 0, change.body);
      }
      return list;
    });
    const problems = checkDefinitions(bodies, this.#ctx.limits);
    if (problems.length === 0) return;
    const own = problems.filter((p) => p.kind === this.kind && p.id === change.id);
    if (own.length > 0) throw new UserInputError(own.map((p): Problem => ({ path: p.path, message: p.message })));
    const verb = change.body ? 'change' : 'delete';
    throw new ConflictError(`cannot ${verb} ${this.kind} "${change.id}": ${problems.map(describeProblem).join('; ')}`);
  }

  /**
   * A segment's split layout settled (`settleSplits`); a destination's settings checked against its connector (with secrets and references as the
   * connector would see them) and sealed; other kinds as they are.
   */
  async #seal(body: DefinitionBodies[K], previous: DefinitionBodies[K] | undefined): Promise<DefinitionBodies[K]> {
    // A split segment is stored with the buckets of each group, carried over from its previous body.
    if (this.kind === 'segment') return settleSplits(body as SegmentConfig, previous as SegmentConfig | undefined) as DefinitionBodies[K];
    if (this.kind !== 'destination') return body;
    const dest = body as DestinationConfig;
    const before = (previous as DestinationConfig | undefined)?.settings;
    const facts = await connectorFacts(dest.type);
    if (!facts.settingsSchema) throw new UserInputError([{ path: 'type', message: `no connector for "${dest.type}" in this version of Outflow` }]);
    const plain = Object.fromEntries(Object.entries(dest.settings).map(([k, v]) => [k, isSetMarker(v) && before ? before[k] : v]));
    const opened = openSettings({ destinationId: dest.id, settings: plain, keyring: this.#ctx.keyring, env: this.#ctx.env });
    const checked = facts.settingsSchema.safeParse(opened);
    if (!checked.success)
      throw new UserInputError(zodProblems(checked.error).map(({ path, message }) => ({ path: settingsPath(path), message })));
    const settings = sealSettings({
      destinationId: dest.id,
      settings: dest.settings,
      secretKeys: facts.secretKeys,
      keyring: this.#ctx.keyring,
      seal: (v, c) => this.#ctx.keyring.seal(v, c),
      previous: before,
    });
    return { ...dest, settings } as DefinitionBodies[K];
  }

  async #secretKeys(body: DefinitionBodies[K]): Promise<SecretKeys> {
    return this.kind === 'destination' ? (await connectorFacts((body as DestinationConfig).type)).secretKeys : [];
  }

  async #display(o: StoredObject<K>): Promise<StoredObject<K>> {
    if (this.kind !== 'destination') return o;
    const dest = o.body as DestinationConfig;
    return { ...o, body: { ...dest, settings: maskSettings(dest.settings, await this.#secretKeys(o.body)) } as DefinitionBodies[K] };
  }
}

/** The row of a stored object. */
export function objectRow<K extends DefinitionKind>(o: StoredObject<K>): Record<string, unknown> {
  return {
    id: o.id,
    body: JSON.stringify(o.body),
    managed_by: o.managedBy,
    version: o.version,
    position: o.position,
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    ...indexedColumns(o.kind, o.body),
  };
}

function settingsPath(path: string): string {
  if (path === '') return 'settings';
  return path.startsWith('[') ? `settings${path}` : `settings.${path}`;
}
