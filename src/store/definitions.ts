import type { Knex } from 'knex';
import type { DestinationConfig, EntityConfig, SegmentConfig, SyncConfig, Workspace } from '../config/schema';
import type { LightDb } from './connection';

/** The four kinds of definition the workspace file and the API share. */
export const DEFINITION_KINDS = ['entity', 'segment', 'destination', 'sync'] as const;
export type DefinitionKind = (typeof DEFINITION_KINDS)[number];

/** A definition's body: the workspace file's object, as its zod schema returns it (defaults filled in). */
export interface DefinitionBodies {
  entity: EntityConfig;
  segment: SegmentConfig;
  destination: DestinationConfig;
  sync: SyncConfig;
}

/** Who owns an object: the workspace file (read-only through the API) or the API/UI. */
export type ManagedBy = 'file' | 'ui';

/**
 * An object as the store holds it. For destinations, `body.settings` holds secrets sealed
 * (`{"$encrypted": "..."}`) and `${env:NAME}` references unresolved; repositories hand them out
 * masked (`{"set": true}`), and `Store.workspace()` resolves them.
 *
 * @example
 * { kind: 'segment', id: 'recent-buyers', managedBy: 'file', version: 3, position: 0,
 *   createdAt: '2026-01-31T06:00:00.000Z', updatedAt: '2026-02-01T06:00:00.000Z', body: { id: 'recent-buyers', ... } }
 */
export interface StoredObject<K extends DefinitionKind = DefinitionKind> {
  kind: K;
  id: string;
  body: DefinitionBodies[K];
  managedBy: ManagedBy;
  version: number;
  /** Index in the workspace file (file-managed), else null. Lists come in this order, then by creation. */
  position: number | null;
  createdAt: string;
  updatedAt: string;
}

/** Table of each kind, and the workspace file's section. */
export const TABLE: Record<DefinitionKind, string> = {
  entity: 'entities',
  segment: 'segments',
  destination: 'destinations',
  sync: 'syncs',
};
export const SECTION = {
  entity: 'entities',
  segment: 'segments',
  destination: 'destinations',
  sync: 'syncs',
} as const satisfies Record<DefinitionKind, keyof Workspace>;

/** Every definition in the store, by kind, each list in display order. */
export type Definitions = { [K in DefinitionKind]: StoredObject<K>[] };

export interface DefinitionRow {
  id: string;
  body: string;
  managed_by: string;
  version: number | string;
  position: number | string | null;
  created_at: string;
  updated_at: string;
}

/** File-managed objects in file order, then the UI's in order of creation. */
export const DISPLAY_ORDER = 'order by position is null, position, created_at, id';
export const DEFINITION_COLUMNS = 'id, body, managed_by, version, position, created_at, updated_at';

export function rowToObject<K extends DefinitionKind>(kind: K, row: DefinitionRow): StoredObject<K> {
  return {
    kind,
    id: row.id,
    body: JSON.parse(row.body) as DefinitionBodies[K],
    managedBy: row.managed_by === 'file' ? 'file' : 'ui',
    version: Number(row.version),
    position: row.position === null ? null : Number(row.position),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Columns besides the body that repositories filter on (a segment's status, a sync's segment). */
export function indexedColumns(kind: DefinitionKind, body: DefinitionBodies[DefinitionKind]): Record<string, string> {
  switch (kind) {
    case 'segment': {
      const s = body as SegmentConfig;
      return { entity_id: s.entity, status: s.status };
    }
    case 'destination':
      return { type: (body as DestinationConfig).type };
    case 'sync': {
      const s = body as SyncConfig;
      return { segment_id: s.segment, destination_id: s.destination };
    }
    default:
      return {};
  }
}

/** Reads every definition through the light connection (the read path of every command). */
export async function readDefinitions(db: LightDb): Promise<Definitions> {
  const read = async <K extends DefinitionKind>(kind: K) =>
    (await db.all<DefinitionRow>(`select ${DEFINITION_COLUMNS} from ${TABLE[kind]} ${DISPLAY_ORDER}`)).map((r) => rowToObject(kind, r));
  const [entity, segment, destination, sync] = await Promise.all([read('entity'), read('segment'), read('destination'), read('sync')]);
  return { entity, segment, destination, sync };
}

/** Reads every definition inside a knex transaction (the write paths, which read what they change under its lock). */
export async function readDefinitionsIn(db: Knex | Knex.Transaction): Promise<Definitions> {
  const read = async <K extends DefinitionKind>(kind: K) =>
    (await db.select<DefinitionRow[]>(db.raw(DEFINITION_COLUMNS)).from(TABLE[kind]).orderByRaw(DISPLAY_ORDER.replace(/^order by /, ''))).map((r) =>
      rowToObject(kind, r),
    );
  // One after another: a transaction has one connection.
  return { entity: await read('entity'), segment: await read('segment'), destination: await read('destination'), sync: await read('sync') };
}

/**
 * JSON with object keys sorted at every depth: equal values give equal text, so definitions are
 * compared (and fingerprinted) by their text.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** The ISO-8601 UTC text the store keeps times in. */
export function nowIso(): string {
  return new Date().toISOString();
}
