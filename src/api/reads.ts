import type { EntityConfig, IdentifierKind, Workspace } from '../config/schema';
import { compileCount, compileMembers } from '../segments';
import type { SegmentEvaluation } from '../state/membership';
import { ensureStateSchema } from '../state/state-sql';
import { Binder } from '../warehouse/binder';
import type { ColumnInfo, SqlValue, WarehouseDriver } from '../warehouse/driver';
import { renderSql } from '../warehouse/templates';
import { type ApiContext, catalogOf } from './context';
import { maskEmail } from '../privacy/mask';

/**
 * What the API reads from the warehouse, on the server's read connection: counts, previews,
 * fields for the segment builder, refresh history. Every value is bound; names are quoted by the
 * dialect.
 */

/** The live size of a segment of `workspace` (saved or not) at `asOf`: the count the CLI's `segments size` prints. */
export async function countMembers(ctx: ApiContext, workspace: Workspace, segmentId: string, asOf: Date): Promise<number> {
  const warehouse = ctx.warehouse.reads;
  const catalog = await catalogOf(ctx, workspace);
  const q = compileCount(workspace, segmentId, { dialect: warehouse.dialect, asOf, catalog });
  const [row] = await warehouse.query<{ n: number | string }>(q.sql, q.params);
  return Number(row?.n ?? 0);
}

/** Up to `limit` members, each with its entity row; identifier values masked unless `unmasked`. */
export async function previewMembers(
  ctx: ApiContext,
  workspace: Workspace,
  segmentId: string,
  opts: { asOf: Date; limit: number; unmasked: boolean },
): Promise<{ personId: string; traits: Record<string, unknown> }[]> {
  const warehouse = ctx.warehouse.reads;
  const segment = workspace.segments.find((s) => s.id === segmentId)!;
  const entity = workspace.entities.find((e) => e.id === segment.entity)!;
  const members = compileMembers(workspace, segmentId, { dialect: warehouse.dialect, asOf: opts.asOf, catalog: await catalogOf(ctx, workspace) });
  const d = warehouse.dialect;
  const b = new Binder(d, { leading: members.params });
  const source = entity.table ? d.quoteQualified(entity.table) : `(${entity.sql!})`;
  const q = b.finish(renderSql(d.name, 'api/preview', { source, members: members.sql, pk: `e.${d.quoteIdentifier(entity.primaryKey)}`, limit: b.bind(opts.limit) }));
  const rows = await warehouse.query(q.sql, q.params);
  const masked = opts.unmasked ? new Map<string, IdentifierKind>() : identifierColumns(entity);
  return rows.map((row) => {
    const traits: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      const kind = masked.get(column);
      traits[column] = kind !== undefined && typeof value === 'string' ? maskIdentifier(kind, value) : jsonValue(value);
    }
    return { personId: String(row[entity.primaryKey]), traits };
  });
}

/** Identifier columns to mask below the data role: every mapped identifier but the primary key. */
function identifierColumns(entity: EntityConfig): Map<string, IdentifierKind> {
  const out = new Map<string, IdentifierKind>();
  for (const [kind, column] of Object.entries(entity.identifiers) as [IdentifierKind, string | undefined][])
    if (column !== undefined && column !== entity.primaryKey) out.set(column, kind);
  return out;
}

/**
 * An identifier value as a viewer or marketer sees it: `jane@example.com` -> `j***@e***.com`,
 * anything else its first character and `***`.
 */
export function maskIdentifier(kind: IdentifierKind, value: string): string {
  if (value === '') return value;
  if (kind === 'email' && value.lastIndexOf('@') > 0) return maskEmail(value);
  return `${[...value][0]}***`;
}

function jsonValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonValue);
  return v;
}

/** A bound value as JSON (dates as ISO-8601 text). */
export function paramJson(v: SqlValue): unknown {
  return jsonValue(v);
}

const EVENT_NAMES = 200;
const FIELDS_TTL_MS = 5 * 60_000;
const fieldCache = new Map<string, { at: number; fields: Promise<EntityFields> }>();

/** What the segment builder offers for an entity (`GET /entities/{id}/fields`). */
export interface EntityFields {
  entity: string;
  columns: ColumnInfo[];
  events: { table: string; columns: ColumnInfo[]; names: { name: string; count: number }[]; namesLimit: number } | null;
  relations: { name: string; table: string; columns: ColumnInfo[] }[];
}

/** Columns with types, event names (most frequent first, at most 200), event and relation columns. Cached five minutes. */
export function entityFields(ctx: ApiContext, entity: EntityConfig): Promise<EntityFields> {
  const key = JSON.stringify(entity);
  const hit = fieldCache.get(key);
  if (hit && Date.now() - hit.at < FIELDS_TTL_MS) return hit.fields;
  const fields = readFields(ctx.warehouse.reads, entity);
  fieldCache.set(key, { at: Date.now(), fields });
  fields.catch(() => fieldCache.delete(key));
  return fields;
}

async function readFields(warehouse: WarehouseDriver, entity: EntityConfig): Promise<EntityFields> {
  const columns = entity.table ? ((await warehouse.columns(entity.table)) ?? []) : await warehouse.queryColumns(entity.sql!);
  let events: EntityFields['events'] = null;
  if (entity.events) {
    const d = warehouse.dialect;
    const b = new Binder(d);
    const q = b.finish(renderSql(d.name, 'api/event-names', { table: d.quoteQualified(entity.events.table), name: entity.events.name, limit: b.bind(EVENT_NAMES) }));
    const names = await warehouse.query<{ event_name: unknown; n: number | string }>(q.sql, q.params);
    events = {
      table: entity.events.table,
      columns: (await warehouse.columns(entity.events.table)) ?? [],
      names: names.map((r) => ({ name: String(r.event_name), count: Number(r.n) })),
      namesLimit: EVENT_NAMES,
    };
  }
  const relations = await Promise.all(
    entity.relations.map(async (r) => ({ name: r.name, table: r.table, columns: (await warehouse.columns(r.table)) ?? [] })),
  );
  return { entity: entity.id, columns, events, relations };
}

/** A segment's refreshes, newest first (`segment_evaluations`). */
export async function segmentEvaluations(ctx: ApiContext, workspace: Workspace, segmentId: string, limit: number): Promise<SegmentEvaluation[]> {
  const state = await ensureStateSchema(ctx.warehouse.reads, workspace.stateSchema);
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('evaluations-select', { segmentId: b.bind(segmentId), limit: b.bind(limit) }, b);
  return rows.map((r) => ({
    segmentId: String(r.segment_id),
    asOf: new Date(r.as_of as Date),
    evaluatedAt: new Date(r.evaluated_at as Date),
    memberCount: Number(r.member_count),
    added: Number(r.added),
    removed: Number(r.removed),
  }));
}
