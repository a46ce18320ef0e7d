import type { IdentifierKind } from '../config/schema';
import type { SqlValue, WarehouseDriver } from '../warehouse/driver';
import { renderSql } from '../warehouse/templates';

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
  runs: 'sync_runs',
  snapshots: 'sync_snapshots',
  batches: 'sync_batches',
  rejections: 'sync_rejections',
  locks: 'sync_locks',
} as const;
export type StateTable = keyof typeof STATE_TABLES;

/**
 * Collects bound parameters while a template context is built: every value gets its own
 * placeholder in the dialect's form, so positional (`?`) and numbered (`$n`) engines both work.
 */
export class Binder {
  readonly params: SqlValue[];
  readonly #placeholder: (i: number) => string;

  constructor(placeholder: (i: number) => string, initial: readonly SqlValue[] = []) {
    this.#placeholder = placeholder;
    this.params = [...initial];
  }

  bind(value: SqlValue): string {
    this.params.push(value);
    return this.#placeholder(this.params.length - 1);
  }
}

/**
 * Renders and runs the `state/*` templates against one warehouse and state schema. Table names
 * reach templates already quoted by the dialect; values only ever as placeholders.
 */
export class StateSql {
  readonly warehouse: WarehouseDriver;
  readonly schema: string;
  /** Quoted, schema-qualified names of every state table. */
  readonly t: Readonly<Record<StateTable, string>>;

  constructor(warehouse: WarehouseDriver, schema: string) {
    this.warehouse = warehouse;
    this.schema = schema;
    this.t = Object.fromEntries(
      Object.entries(STATE_TABLES).map(([k, name]) => [k, this.table(name)]),
    ) as Record<StateTable, string>;
  }

  /** The quoted, schema-qualified name of a state-schema table. */
  table(name: string): string {
    const d = this.warehouse.dialect;
    return `${d.quoteIdentifier(this.schema)}.${d.quoteIdentifier(name)}`;
  }

  quote(name: string): string {
    return this.warehouse.dialect.quoteIdentifier(name);
  }

  binder(initial: readonly SqlValue[] = []): Binder {
    return new Binder((i) => this.warehouse.dialect.placeholder(i), initial);
  }

  render(name: string, context: object = {}): string {
    return renderSql(this.warehouse.dialect.name, `state/${name}`, { t: this.t, schema: this.quote(this.schema), ...context });
  }

  /** Runs a template; a template a dialect renders empty (e.g. an index it has no use for) is skipped. */
  async execute(name: string, context: object = {}, params: readonly SqlValue[] = [], on: WarehouseDriver = this.warehouse): Promise<number> {
    const sql = this.render(name, context);
    if (sql === '') return 0;
    return on.execute(sql, params);
  }

  async query<T extends Record<string, unknown>>(
    name: string,
    context: object = {},
    params: readonly SqlValue[] = [],
    on: WarehouseDriver = this.warehouse,
  ): Promise<T[]> {
    return on.query<T>(this.render(name, context), params);
  }
}
