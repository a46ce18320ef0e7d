import { existsSync, mkdirSync } from 'node:fs';
import type { Statement } from 'better-sqlite3';
import type { Knex } from 'knex';
import type { StoreLocation } from './location';
import { MIGRATIONS, MIGRATIONS_TABLE, migrationSource } from './migrations';

/**
 * The read path's connection: the bare driver (better-sqlite3 or pg), no knex. Loading knex costs
 * about 0.2 s, so a command whose workspace file has not changed reads its definitions through
 * this and never loads knex. Writes and migrations go through knex (`openKnex`).
 */
export interface LightDb {
  /** Rows of a SELECT; `?` placeholders, values bound. */
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Sees every statement sent to the store (tests and benchmarks count writes with it). */
export type StatementTrace = (sql: string) => void;

/** Opens the read connection, or returns undefined when the SQLite file does not exist yet. */
export async function openLightDb(location: StoreLocation, trace?: StatementTrace): Promise<LightDb | undefined> {
  if (location.type === 'sqlite') {
    if (!existsSync(location.file)) return undefined;
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(location.file, { timeout: BUSY_TIMEOUT_MS });
    // Reads map the file instead of copying pages through SQLite's small default cache.
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    // Preparing costs more than running an indexed read: a server asks the same few statements
    // (a token, a person's segments) thousands of times a second, so each is prepared once.
    const statements = new Map<string, Statement>();
    const prepared = (sql: string): Statement => {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= MAX_PREPARED) statements.clear();
        statements.set(sql, (statement = db.prepare(sql)));
      }
      return statement;
    };
    return {
      all: <T>(sql: string, params: readonly unknown[] = []) => {
        trace?.(sql);
        return Promise.resolve(prepared(sql).all(...params) as T[]);
      },
      close: () => Promise.resolve(void db.close()),
    };
  }
  const { default: pg } = await import('pg');
  // The schema goes in the startup packet (`options`), so every pooled session starts in it. A
  // connection string's own `?options=` would take precedence (pg merges the string last).
  const pool = new pg.Pool({
    connectionString: location.connectionString,
    options: `-c search_path=${quoteIdentifier(location.schema)}`,
    connectionTimeoutMillis: 10_000,
    max: 4,
  });
  return {
    all: async <T>(sql: string, params: readonly unknown[] = []) => {
      trace?.(sql);
      let n = 0;
      const result = await pool.query(sql.replace(/\?/g, () => `$${++n}`), [...params]);
      return result.rows as T[];
    },
    close: () => pool.end(),
  };
}

const BUSY_TIMEOUT_MS = 10_000;
/** How much of the store file reads may map into memory (SQLite maps what it reads, up to this). */
const MMAP_BYTES = 1024 * 1024 * 1024;
/** Statements kept prepared per connection (the read path uses a few dozen distinct ones). */
const MAX_PREPARED = 256;

/**
 * A knex instance on the store. SQLite: one connection (knex's default for SQLite), write-ahead
 * log so readers never wait for a writer, and a busy timeout so two processes applying at once
 * take turns. PostgreSQL: a small pool whose sessions use the store's schema.
 */
export async function openKnex(location: StoreLocation, trace?: StatementTrace): Promise<Knex> {
  const knex = await createKnex(location);
  if (trace) knex.on('query', (q: { sql: string }) => trace(q.sql));
  return knex;
}

async function createKnex(location: StoreLocation): Promise<Knex> {
  const { default: knexFactory } = await import('knex');
  if (location.type === 'sqlite') {
    mkdirSync(location.keyDir, { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: location.file },
      useNullAsDefault: true,
      pool: {
        afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          try {
            // The timeout first: switching a new file to WAL needs a lock another process opening
            // the same new store may hold for a moment.
            conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
            conn.pragma('journal_mode = WAL');
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
    });
  }
  return knexFactory({
    client: 'pg',
    connection: { connectionString: location.connectionString },
    searchPath: [location.schema],
    pool: { min: 0, max: 4 },
  });
}

/** Whether every migration in MIGRATIONS has run, asked through the light connection. */
export async function isMigrated(db: LightDb): Promise<boolean> {
  let rows: { name: string }[];
  try {
    rows = await db.all<{ name: string }>(`select name from ${MIGRATIONS_TABLE}`);
  } catch {
    return false; // no migration table yet
  }
  const done = new Set(rows.map((r) => r.name));
  return MIGRATIONS.every((m) => done.has(m.name));
}

/**
 * Runs the migrations that have not run yet. knex takes a lock, so of two processes opening a new
 * store at once one migrates and the other fails; that one waits until the migrations are done.
 */
export async function migrate(knex: Knex, location: StoreLocation): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (location.type === 'postgres' && location.schema !== 'public')
        await knex.raw(`create schema if not exists ${quoteIdentifier(location.schema)}`);
      await knex.migrate.latest({ migrationSource });
      return;
    } catch (err) {
      if (attempt >= MIGRATE_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [, pending] = (await knex.migrate.list({ migrationSource }).catch(() => [[], MIGRATIONS])) as [unknown[], unknown[]];
      if (pending.length === 0) return;
    }
  }
}

const MIGRATE_ATTEMPTS = 50;

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
