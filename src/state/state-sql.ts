import type { IdentifierKind, Workspace } from '../config/schema';
import { Binder } from '../warehouse/binder';
import type { CompiledQuery, SqlValue, WarehouseDriver } from '../warehouse/driver';
import { renderSql } from '../warehouse/templates';
import { LAST_MATCHED_TABLE } from '../segments/build/retained';
import { SPLIT_GROUP_COLUMN } from '../segments/build/split';
import { ADDED_RUN_COLUMNS } from './runs';

/** Column of each identifier kind in snapshots and run tables (snake_case for the analysts who read them). */
export const IDENTIFIER_COLUMNS: Readonly<Record<IdentifierKind, string>> = {
  email: 'email',
  phone: 'phone',
  firstName: 'first_name',
  lastName: 'last_name',
  postalCode: 'postal_code',
  countryCode: 'country_code',
  mobileAdId: 'mobile_ad_id',
  externalId: 'external_id',
};

/** The tables and the view Outflow keeps in the state schema (SPEC §5 plus its own). */
export const STATE_TABLES = {
  membership: 'segment_membership',
  history: 'segment_membership_history',
  personSegments: 'person_segments',
  evaluations: 'segment_evaluations',
  lastMatched: LAST_MATCHED_TABLE,
  runs: 'sync_runs',
  snapshots: 'sync_snapshot_keys',
  batches: 'sync_batches',
  rejections: 'sync_rejections',
  locks: 'sync_locks',
  staticMembers: 'static_segment_members',
} as const;
export type StateTable = keyof typeof STATE_TABLES;

/**
 * The snapshot table of versions before snapshots were bound to a target and held keys: raw
 * identifier values per sync. Converted by the sync's next run and dropped once empty
 * (src/state/snapshots.ts, docs/state.md "Upgrading").
 */
export const LEGACY_SNAPSHOTS = 'sync_snapshots';

/** A table in the state schema, by its raw names; templates quote it as they print it (`{{id t.runs}}`). */
export interface TableName {
  readonly schema: string;
  readonly name: string;
}

/**
 * Renders and runs the `state/*` templates against one warehouse and state schema. Templates get
 * raw names and quote them once, with the dialect (`{{id ...}}`); values reach them only as
 * placeholders from a Binder.
 *
 * @example
 * const b = state.binder();
 * await state.execute('lock-release', { syncId: b.bind(syncId), runId: b.bind(runId) }, b);
 */
export class StateSql {
  readonly warehouse: WarehouseDriver;
  readonly schema: string;
  /** Every state table, schema-qualified. */
  readonly t: Readonly<Record<StateTable, TableName>>;

  constructor(warehouse: WarehouseDriver, schema: string) {
    this.warehouse = warehouse;
    this.schema = schema;
    this.t = Object.fromEntries(Object.entries(STATE_TABLES).map(([k, name]) => [k, this.table(name)])) as Record<StateTable, TableName>;
  }

  /** A table of the state schema. */
  table(name: string): TableName {
    return { schema: this.schema, name };
  }

  /** Collects one statement's values; `leading` are those of a compiled query the statement embeds first. */
  binder(leading: readonly SqlValue[] = []): Binder {
    return new Binder(this.warehouse.dialect, { leading });
  }

  /** The statement `state/<name>` with its placeholders numbered and its values in order. */
  compile(name: string, context: object = {}, binder: Binder = this.binder()): CompiledQuery {
    return binder.finish(this.render(name, context));
  }

  /** The text of `state/<name>` with values still as a Binder's marks: a part of a statement that binder finishes. */
  render(name: string, context: object = {}): string {
    return renderSql(this.warehouse.dialect.name, `state/${name}`, { t: this.t, schema: this.schema, ...context });
  }

  /** Runs a template; a template a dialect renders empty (e.g. an index it has no use for) is skipped. */
  async execute(name: string, context: object = {}, binder?: Binder, on: WarehouseDriver = this.warehouse): Promise<number> {
    const { sql, params } = this.compile(name, context, binder);
    if (sql === '') return 0;
    return on.execute(sql, params);
  }

  async query<T extends Record<string, unknown>>(name: string, context: object = {}, binder?: Binder, on: WarehouseDriver = this.warehouse): Promise<T[]> {
    const { sql, params } = this.compile(name, context, binder);
    return on.query<T>(sql, params);
  }
}

/**
 * Unique keys of the membership tables. A state schema made by an earlier version has none and may
 * hold duplicates written by concurrent refreshes: before its key is created, `repair` removes
 * them (and `replaces` names an index the key supersedes). Engines that enforce no keys render
 * the index empty; their repair is skipped with it.
 */
const UNIQUE_KEYS = [
  { template: 'index-segment-membership', name: 'segment_membership_unique', repair: 'repair-segment-membership', replaces: 'segment_membership_key' },
  { template: 'index-segment-membership-history', name: 'segment_membership_history_open', repair: 'repair-segment-membership-history' },
] as const;

const SNAPSHOT_INDEX = 'sync_snapshot_keys_target';
const LAST_MATCHED_INDEX = 'segment_last_matched_unique';

/** Membership tables of an earlier version gain the split group column. */
const SPLIT_GROUP_TABLES = ['membership', 'history'] as const;
const STATIC_MEMBERS_INDEX = 'static_segment_members_unique';

/** The statements that create (or upgrade) the state schema, in order; every one is idempotent. */
export function stateSchemaStatements(state: StateSql): string[] {
  const identifierColumns = Object.values(IDENTIFIER_COLUMNS);
  const keys = UNIQUE_KEYS.flatMap((k) => {
    const index = state.compile(k.template, { name: k.name });
    if (index.sql === '') return [];
    const replaced = 'replaces' in k ? [state.compile('drop-index', { name: state.table(k.replaces) })] : [];
    return [state.compile(k.repair), ...replaced, index];
  });
  return [
    state.compile('create-schema'),
    state.compile('create-segment-membership'),
    state.compile('create-segment-membership-history'),
    ...SPLIT_GROUP_TABLES.map((table) => state.compile('add-text-column', { table: state.t[table], column: SPLIT_GROUP_COLUMN })),
    ...keys,
    state.compile('create-segment-evaluations'),
    state.compile('create-segment-last-matched'),
    state.compile('index-segment-last-matched', { name: LAST_MATCHED_INDEX }),
    state.compile('create-person-segments'),
    state.compile('create-sync-runs'),
    ...ADDED_RUN_COLUMNS.map((column) => state.compile('add-int-column', { table: state.t.runs, column })),
    state.compile('create-sync-snapshots', { identifierColumns }),
    state.compile('index-sync-snapshots', { name: SNAPSHOT_INDEX }),
    state.compile('create-sync-batches'),
    state.compile('create-sync-rejections'),
    state.compile('create-sync-locks'),
    state.compile('create-static-members'),
    state.compile('index-static-members', { name: STATIC_MEMBERS_INDEX }),
  ]
    .map((q) => q.sql)
    .filter((sql) => sql !== '');
}

/** Names of the indexes a complete state schema has on this engine. */
function expectedIndexes(state: StateSql): string[] {
  const all = [
    ...UNIQUE_KEYS.map((k) => ({ template: k.template, name: k.name })),
    { template: 'index-segment-last-matched', name: LAST_MATCHED_INDEX },
    { template: 'index-sync-snapshots', name: SNAPSHOT_INDEX },
    { template: 'index-static-members', name: STATIC_MEMBERS_INDEX },
  ];
  return all.filter((i) => state.compile(i.template, { name: i.name }).sql !== '').map((i) => i.name);
}

const ready = new WeakMap<WarehouseDriver, Map<string, Promise<void>>>();

/**
 * Creates the state schema's tables, keys and views if they do not exist, and upgrades a schema
 * made by an earlier version. Cheap to call before every command: it runs once per connection and
 * schema. Safe when several processes create the same schema at once: engines that can serialise
 * DDL across sessions do (`state/lock-state-schema`: PostgreSQL takes an advisory lock in the
 * transaction that creates everything).
 */
export async function ensureStateSchema(warehouse: WarehouseDriver, schema: string): Promise<StateSql> {
  const state = new StateSql(warehouse, schema);
  let done = ready.get(warehouse);
  if (!done) ready.set(warehouse, (done = new Map()));
  let creating = done.get(schema);
  if (!creating) {
    creating = create(state);
    done.set(schema, creating);
    // A failed attempt is tried again by the next caller.
    creating.catch(() => done.delete(schema));
  }
  await creating;
  return state;
}

/**
 * Creates the state schema (ensureStateSchema) when a segment of `ws` reads it: a static segment
 * reads its stored members (`static_segment_members`), a segment with `retentionDays` its last
 * matches (`segment_last_matched`). So a first `segments size` or estimate finds the tables even
 * before anything wrote to them. Nothing happens for a workspace with neither.
 */
export async function ensureSegmentState(warehouse: WarehouseDriver, ws: Partial<Pick<Workspace, 'segments' | 'stateSchema'>>): Promise<void> {
  if (ws.stateSchema !== undefined && ws.segments?.some((s) => s.type === 'static' || s.retentionDays !== undefined)) await ensureStateSchema(warehouse, ws.stateSchema);
}

async function create(state: StateSql): Promise<void> {
  // Every DDL statement is a commit; skip them all when the schema is already complete.
  if (await complete(state)) return;
  const statements = stateSchemaStatements(state);
  const b = state.binder();
  const lock = state.compile('lock-state-schema', { key: b.bind(`outflow state schema ${state.schema}`) }, b);
  if (lock.sql === '') {
    for (const sql of statements) await state.warehouse.execute(sql);
    return;
  }
  await state.warehouse.transaction(async (tx) => {
    await tx.execute(lock.sql, lock.params);
    for (const sql of statements) await tx.execute(sql);
  });
}

async function complete(state: StateSql): Promise<boolean> {
  try {
    const b = state.binder();
    const rows = await state.query<{ table_name: string }>('list-tables', { schemaName: b.bind(state.schema) }, b);
    const have = new Set(rows.map((r) => r.table_name));
    if (!Object.values(STATE_TABLES).every((t) => have.has(t))) return false;
    const c = state.binder();
    const columns = await state.query<{ column_name: string }>('list-columns', { schemaName: c.bind(state.schema), tableName: c.bind(STATE_TABLES.runs) }, c);
    const runColumns = new Set(columns.map((r) => r.column_name.toLowerCase()));
    if (!ADDED_RUN_COLUMNS.every((col) => runColumns.has(col))) return false;
    for (const table of SPLIT_GROUP_TABLES) {
      const g = state.binder();
      const have = await state.query<{ column_name: string }>('list-columns', { schemaName: g.bind(state.schema), tableName: g.bind(STATE_TABLES[table]) }, g);
      if (!have.some((r) => r.column_name.toLowerCase() === SPLIT_GROUP_COLUMN)) return false;
    }
    const indexes = expectedIndexes(state);
    if (indexes.length === 0) return true;
    const i = state.binder();
    const present = new Set((await state.query<{ index_name: string }>('list-indexes', { schemaName: i.bind(state.schema) }, i)).map((r) => r.index_name));
    return indexes.every((name) => present.has(name));
  } catch {
    // No schema yet (or no catalog access): create what is missing.
    return false;
  }
}
