import { type Workspace, workspaceSchema } from '../../src/config/schema';

/**
 * The base workspace the suites and benches build on: one `person` entity over
 * `<schema>.persons`, with events (`<schema>.events`) and a `company` relation
 * (`<schema>.companies`). Callers give segments and change only what their case is about; a
 * suite whose golden SQL names other columns overrides the entity's names.
 *
 * @example
 * const ws = baseWorkspace({ schema: 'crm', segments: [{ id: 'buyers', rules: { conditions: [{ kind: 'event', event: 'buy' }] } }] });
 */
export interface BaseWorkspaceOptions {
  /** Schema of the tables (default: none, bare table names). */
  schema?: string;
  /** Segments; `entity` defaults to `person` and `name` to the id. */
  segments?: (Record<string, unknown> & { id: string })[];
  /** Overrides of the entity's fields (`primaryKey`, `identifiers`, ...). */
  entity?: Record<string, unknown>;
  /** Overrides of its events (`false`: an entity without events). */
  events?: Record<string, unknown> | false;
  /** Overrides of its company relation (`false`: no relations). */
  company?: Record<string, unknown> | false;
  /** Top-level fields besides version, warehouse, entities and segments (stateSchema, syncs, ...). */
  rest?: Record<string, unknown>;
}

/** The base workspace as input to the schema (before defaults). */
export function baseWorkspaceInput(o: BaseWorkspaceOptions = {}): Record<string, unknown> {
  const t = (name: string) => (o.schema ? `${o.schema}.${name}` : name);
  const events = { table: t('events'), personKey: 'person_id', name: 'event_name', timestamp: 'occurred_at', sessionKey: 'session_id', ...(o.events || {}) };
  const company = { name: 'company', table: t('companies'), key: 'company_id', foreignKey: 'company_id', ...(o.company || {}) };
  return {
    version: 1,
    warehouse: { type: 'duckdb' },
    ...o.rest,
    entities: [
      {
        id: 'person',
        table: t('persons'),
        primaryKey: 'person_id',
        identifiers: { email: 'email', phone: 'phone' },
        ...(o.events === false ? {} : { events }),
        relations: o.company === false ? [] : [company],
        ...o.entity,
      },
    ],
    segments: (o.segments ?? []).map((s) => ({ entity: 'person', name: s.id, ...s })),
  };
}

/** The base workspace, parsed by the workspace schema. */
export function baseWorkspace(o: BaseWorkspaceOptions = {}): Workspace {
  return workspaceSchema.parse(baseWorkspaceInput(o));
}

/**
 * The base workspace as a file (the invalid-config fixtures): `main` schema, a DuckDB file, an
 * email identifier, events without sessions and no relations, i.e. `baseWorkspace(BASE_FILE_OPTIONS)`.
 * `lines` swaps in what a fixture is about: another warehouse, a block after it, a key left out.
 */
export function baseWorkspaceYaml(lines: { warehouse?: string[]; afterWarehouse?: string[]; table?: string; without?: 'primaryKey' } = {}): string {
  return [
    'version: 1',
    'warehouse:',
    ...(lines.warehouse ?? ['  type: duckdb', '  path: ./warehouse.duckdb']),
    ...(lines.afterWarehouse ?? []),
    'entities:',
    '  - id: person',
    `    table: ${lines.table ?? 'main.persons'}`,
    ...(lines.without === 'primaryKey' ? [] : ['    primaryKey: person_id']),
    '    identifiers:',
    '      email: email',
    '    events:',
    '      table: main.events',
    '      personKey: person_id',
    '      name: event_name',
    '      timestamp: occurred_at',
    '',
  ].join('\n');
}

/** The options under which baseWorkspace equals baseWorkspaceYaml() (a test keeps them equal). */
export const BASE_FILE_OPTIONS: BaseWorkspaceOptions = {
  schema: 'main',
  rest: { warehouse: { type: 'duckdb', path: './warehouse.duckdb' } },
  entity: { identifiers: { email: 'email' } },
  events: { sessionKey: undefined },
  company: false,
};
