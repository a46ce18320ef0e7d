import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';

/**
 * A small DuckDB warehouse for CLI tests: 20 persons (integer keys in `app.people`, text keys in
 * `main.persons`), their events, and `main.canary`, a table no command may ever change.
 */
export interface CliFixture {
  dir: string;
  warehouse: string;
  /** Writes `name` in the fixture's folder and returns its absolute path. */
  write(name: string, text: string): string;
  /** The canary's rows, read through a fresh connection (the CLI must have closed its own). */
  canary(): Promise<number | undefined>;
  close(): void;
}

export const CANARY_ROWS = 3;

export async function cliFixture(prefix = 'outflow-cli-'): Promise<CliFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const warehouse = path.join(dir, 'wh.duckdb');
  const db = await DuckDbDriver.open({ path: warehouse });
  try {
    await db.execute(`create table main.canary as select range as id from range(${CANARY_ROWS})`);
    await db.execute(`create table main.persons as
      select 'p' || i as person_id, 'u' || i || '@example.com' as email, i % 3 = 0 as vip, i * 10 as score, i as n
      from range(20) t(i)`);
    await db.execute(`create schema app`);
    await db.execute(`create table app.people as select i as id, 'u' || i || '@example.com' as email from range(1, 13) t(i)`);
    await db.execute(`create table main.events as
      select 'p' || (i % 20) as person_id, case when i % 4 = 0 then 'purchase' else 'page_view' end as event_name,
             timestamptz '2026-01-01 00:00:00+00' + to_hours(i) as occurred_at, 's' || (i // 3) as session_id
      from range(100) t(i)`);
  } finally {
    await db.close();
  }
  return {
    dir,
    warehouse,
    write(name, text) {
      const file = path.join(dir, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    async canary() {
      const w = await DuckDbDriver.open({ path: warehouse });
      try {
        const [row] = await w.query<{ n: number }>('select count(*)::integer as n from main.canary');
        return row?.n;
      } catch {
        return undefined;
      } finally {
        await w.close();
      }
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A valid workspace over the fixture's warehouse; `extra` is appended (more top-level keys). */
export function baseWorkspace(warehouse = './wh.duckdb', extra = ''): string {
  return `version: 1
warehouse: {type: duckdb, path: "${warehouse}"}
entities:
  - id: person
    table: main.persons
    primaryKey: person_id
    identifiers: {email: email}
    events: {table: main.events, personKey: person_id, name: event_name, timestamp: occurred_at}
segments:
  - {id: vips, entity: person, name: VIPs, rules: {conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: buyers, entity: person, name: Buyers, rules: {conditions: [{kind: event, event: purchase}]}}
  - {id: everyone, entity: person, name: Everyone, type: everyone}
destinations: [{id: out, type: file, settings: {path: ./exports}}]
syncs: [{id: vip-file, segment: vips, destination: out}]
${extra}`;
}
