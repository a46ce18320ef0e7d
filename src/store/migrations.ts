import type { Knex } from 'knex';

/**
 * The store's schema, as knex migrations defined in code (no migration files to glob, so they
 * work from a packed package). The same migrations run on SQLite and PostgreSQL, by themselves,
 * when a store is opened. Append a migration to change the schema; never edit a shipped one.
 *
 * Times are ISO-8601 UTC text (`2026-01-31T06:00:00.000Z`): one representation on both engines,
 * ordered as text. JSON is text too, so a row reads back byte for byte.
 *
 * @example
 * // a later migration
 * { name: '0002_person_segments', up: (k) => k.schema.createTable('person_segments', (t) => { ... }), down: ... }
 */
export interface StoreMigration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Columns every definition table has: the object's JSON body, its owner and its version. */
function definitionColumns(t: Knex.CreateTableBuilder): void {
  t.string('id', 64).primary();
  t.text('body').notNullable();
  t.string('managed_by', 8).notNullable();
  t.integer('version').notNullable();
  /** Index in the workspace file for file-managed objects (their order in commands); null for the UI's. */
  t.integer('position').nullable();
  t.string('created_at', 30).notNullable();
  t.string('updated_at', 30).notNullable();
}

const controlPlane: StoreMigration = {
  name: '0001_control_plane',
  async up(knex) {
    await knex.schema.createTable('store_meta', (t) => {
      t.string('key', 64).primary();
      t.text('value').notNullable();
    });
    await knex.schema.createTable('entities', (t) => {
      definitionColumns(t);
    });
    await knex.schema.createTable('segments', (t) => {
      definitionColumns(t);
      t.string('entity_id', 64).notNullable();
      t.string('status', 16).notNullable().index();
    });
    await knex.schema.createTable('destinations', (t) => {
      definitionColumns(t);
      t.string('type', 32).notNullable();
    });
    await knex.schema.createTable('syncs', (t) => {
      definitionColumns(t);
      t.string('segment_id', 64).notNullable().index();
      t.string('destination_id', 64).notNullable().index();
    });
    await knex.schema.createTable('runs', (t) => {
      t.string('run_id', 64).primary();
      t.string('sync_id', 64).notNullable();
      t.string('status', 24).notNullable();
      t.string('requested_by', 128).nullable();
      /** `{dryRun, confirmRemovals, full}` as JSON. */
      t.text('options').nullable();
      t.string('as_of', 30).nullable();
      t.string('queued_at', 30).notNullable();
      t.string('started_at', 30).nullable();
      t.string('finished_at', 30).nullable();
      t.integer('planned').nullable();
      t.integer('sent').nullable();
      t.integer('accepted').nullable();
      t.integer('rejected').nullable();
      /** `{"<reason>": count}` as JSON. */
      t.text('rejected_by_reason').nullable();
      t.integer('deferred').nullable();
      t.integer('batches').nullable();
      /** `{"evaluate": ms, "upload": ms, ...}` as JSON. */
      t.text('timings').nullable();
      t.double('match_rate').nullable();
      t.text('error').nullable();
      t.integer('version').notNullable();
      t.index(['sync_id', 'queued_at']);
      t.index(['status']);
    });
    // At most one open run per sync, even when two requests race (same SQL on SQLite and PostgreSQL).
    await knex.raw(`create unique index runs_one_open_per_sync on runs (sync_id) where status in ('queued', 'syncing')`);
    await knex.schema.createTable('tokens', (t) => {
      t.string('name', 64).primary();
      t.string('role', 16).notNullable();
      /** SHA-256 of the token, hex; the token itself is never stored. */
      t.string('token_hash', 64).notNullable().unique();
      t.string('created_at', 30).notNullable();
      t.string('created_by', 128).nullable();
    });
    await knex.schema.createTable('audit_log', (t) => {
      t.increments('id').primary();
      t.string('at', 30).notNullable().index();
      t.string('actor', 128).notNullable();
      t.string('origin', 256).nullable();
      t.string('action', 32).notNullable();
      t.string('object_type', 32).notNullable();
      t.string('object_id', 128).notNullable();
      /** `{before, after}` as JSON, secrets redacted. */
      t.text('diff').notNullable();
      t.index(['object_type', 'object_id']);
    });
  },
  async down(knex) {
    for (const table of ['audit_log', 'tokens', 'runs', 'syncs', 'destinations', 'segments', 'entities', 'store_meta'])
      await knex.schema.dropTableIfExists(table);
  },
};

/**
 * The membership lookup (`GET /persons/{id}/segments`): which segments each person is in, fed by
 * every refresh with its changes only, and per segment the refresh the store last took in.
 */
const membership: StoreMigration = {
  name: '0002_membership',
  async up(knex) {
    await knex.schema.createTable('person_segments', (t) => {
      t.string('person_id', 256).notNullable();
      t.string('segment_id', 64).notNullable();
      // The lookup reads by person; a refresh deletes by segment and person.
      t.primary(['person_id', 'segment_id']);
      t.index(['segment_id']);
    });
    await knex.schema.createTable('membership_refreshes', (t) => {
      t.string('segment_id', 64).primary();
      t.string('as_of', 30).notNullable();
      t.string('evaluated_at', 30).notNullable();
      t.integer('member_count').notNullable();
      t.integer('added').notNullable();
      t.integer('removed').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('membership_refreshes');
    await knex.schema.dropTableIfExists('person_segments');
  },
};

/** The membership lookup answers with each member's group in a split segment (null elsewhere). */
const splitGroups: StoreMigration = {
  name: '0003_split_groups',
  async up(knex) {
    await knex.schema.alterTable('person_segments', (t) => {
      t.string('split_group', 64).nullable();
    });
  },
  async down(knex) {
    await knex.schema.alterTable('person_segments', (t) => {
      t.dropColumn('split_group');
    });
  },
};

/** Runs say how many members of the segment the workspace's exclusions kept out of the audience. */
const runExcluded: StoreMigration = {
  name: '0004_run_excluded',
  async up(knex) {
    await knex.schema.alterTable('runs', (t) => {
      t.integer('excluded').nullable();
    });
  },
  async down(knex) {
    await knex.schema.alterTable('runs', (t) => {
      t.dropColumn('excluded');
    });
  },
};

export const MIGRATIONS: readonly StoreMigration[] = [controlPlane, membership, splitGroups, runExcluded];

/** knex's migration table; the read path compares its rows with MIGRATIONS without loading knex. */
export const MIGRATIONS_TABLE = 'knex_migrations';

/** A knex `migrationSource` over MIGRATIONS. */
export const migrationSource: Knex.MigrationSource<StoreMigration> = {
  getMigrations: () => Promise.resolve([...MIGRATIONS]),
  getMigrationName: (m) => m.name,
  getMigration: (m) => Promise.resolve({ up: m.up, down: m.down }),
};
