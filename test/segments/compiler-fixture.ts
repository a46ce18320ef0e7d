import type { Workspace } from '../../src/config/schema';
import { baseWorkspace } from '../support/workspace';
import type { WarehouseDriver } from '../../src/warehouse/driver';

/**
 * A small hand-built dataset; the expected member sets in compiler.test.ts are worked out by
 * hand from these rows (as-of 2024-03-31T12:00:00Z, so "1 month" starts 2024-02-29T12:00:00Z).
 */
export const AS_OF = new Date('2024-03-31T12:00:00Z');

const d = (iso: string) => new Date(iso);

const PERSONS = [
  [1, 'alice@x.com', null, 'Alice', 30, 'pro', true, d('2024-03-25T00:00:00Z'), 10, d('2024-03-31T00:00:00Z')],
  [2, null, '+15550001', 'bob', null, null, false, d('2023-01-01T00:00:00Z'), 20, d('2024-04-01T00:00:00Z')],
  [3, null, null, '100% real_deal\\', 50, 'free', null, null, null, null],
  [4, null, null, "O'Brien", 20, 'PRO', true, d('2024-02-29T11:00:00Z'), 30, null],
  [5, 'eve@x.com', null, 'Eve', 41, 'pro', null, d('2024-03-31T13:00:00Z'), 10, null],
] as const;

const COMPANIES = [
  [10, 'tech'],
  [30, null],
] as const;

const EVENTS = [
  [1, 'purchase', d('2024-03-30T00:00:00Z'), 's1', 20, 'Big_Box'],
  [1, 'purchase', d('2024-03-31T12:00:00Z'), 's1', 5, 'small'],
  [1, 'page_view', d('2024-03-01T00:00:00Z'), 's2', null, null],
  [1, 'page_view', d('2023-06-01T00:00:00Z'), null, null, null],
  [2, 'purchase', d('2024-02-29T12:00:00Z'), 's3', null, 'x'],
  [2, 'purchase', d('2024-04-01T00:00:00Z'), 's4', 100, 'x'],
  [3, 'page_view', d('2024-03-31T12:00:01Z'), 's9', null, null],
  [4, 'purchase', d('2024-02-29T11:59:59Z'), 's5', 50, '50%_off'],
  [4, 'purchase', d('2024-03-15T00:00:00Z'), 's6', 15, null],
  [4, 'purchase', d('2024-03-16T00:00:00Z'), 's6', 1, 'a'],
  [null, 'purchase', d('2024-03-16T00:00:00Z'), 's7', 1, 'a'],
] as const;

/** Creates the dataset's three tables in `schema` (which must not exist yet). */
export async function loadFixture(wh: WarehouseDriver, schema: string): Promise<void> {
  await wh.execute(`CREATE SCHEMA ${schema}`);
  await wh.execute(
    `CREATE TABLE ${schema}.persons (person_id INTEGER, email VARCHAR, phone VARCHAR, name VARCHAR, age INTEGER,
       plan VARCHAR, verified BOOLEAN, signed_up_at TIMESTAMP, company_id INTEGER, birthday DATE)`,
  );
  await wh.execute(`CREATE TABLE ${schema}.companies (company_id INTEGER, industry VARCHAR)`);
  await wh.execute(
    `CREATE TABLE ${schema}.events (person_id INTEGER, event_name VARCHAR, occurred_at TIMESTAMPTZ, session_id VARCHAR,
       amount DOUBLE PRECISION, product VARCHAR)`,
  );
  const insert = async (table: string, rows: readonly (readonly unknown[])[]) => {
    for (const row of rows) {
      const marks = row.map((_, i) => `$${i + 1}`).join(', ');
      await wh.execute(`INSERT INTO ${schema}.${table} VALUES (${marks})`, row as never);
    }
  };
  await insert('persons', PERSONS);
  await insert('companies', COMPANIES);
  await insert('events', EVENTS);
}

type SegmentInput = Record<string, unknown> & { id: string };

/** The base workspace over the fixture tables in `schema`, with `segments` (entity and name filled in). */
export function fixtureWorkspace(schema: string, segments: SegmentInput[], entity: Record<string, unknown> = {}): Workspace {
  return baseWorkspace({ schema, segments, entity });
}
