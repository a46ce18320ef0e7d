import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { type CliFixture, cliFixture } from './fixture';
import { outflowInProcess } from './support';

// Retention end to end through the command line: `segments size` / `members` read it before any
// refresh, a sync keeps a retained person in its audience, and removes them once retention ends.
// The fixture's purchases (p0, p4, p8, p12, p16) end on 2026-01-05 00:00.

let fx: CliFixture;
let config: string;
beforeAll(async () => {
  fx = await cliFixture('outflow-retention-');
  config = fx.write(
    'outflow.yaml',
    `version: 1
warehouse: {type: duckdb, path: ./wh.duckdb}
entities:
  - id: person
    table: main.persons
    primaryKey: person_id
    identifiers: {email: email}
    events: {table: main.events, personKey: person_id, name: event_name, timestamp: occurred_at}
segments:
  - id: recent-buyers
    entity: person
    name: Bought in the last day, kept 3 days
    retentionDays: 3
    rules: {conditions: [{kind: event, event: purchase, window: {last: 1, unit: day}}]}
destinations: [{id: out, type: file, settings: {path: ./exports}}]
syncs: [{id: buyers-file, segment: recent-buyers, destination: out}]
`,
  );
});
afterAll(() => fx.close());

const outflow = async (...args: string[]) => {
  const run = await outflowInProcess(['--config', config, ...args]);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
};

/** Persons the file destination holds, replaying every run's files in order. */
function audience(): Set<string> {
  const root = path.join(fx.dir, 'exports');
  const held = new Set<string>();
  for (const name of readdirSync(root))
    for (const run of readdirSync(path.join(root, name)).sort())
      for (const kind of ['remove', 'add'])
        for (const file of readdirSync(path.join(root, name, run)).filter((f) => f.startsWith(kind)).sort())
          for (const line of readFileSync(path.join(root, name, run, file), 'utf8').split('\n').filter(Boolean)) {
            const row = JSON.parse(line) as { op: string; personId: string };
            if (row.op === 'add') held.add(row.personId);
            else held.delete(row.personId);
          }
  return held;
}

describe('retention days from the command line', () => {
  it('counts before any refresh, keeps retained persons in the audience, and removes them when retention ends', async () => {
    const buyers = ['p0', 'p12', 'p16', 'p4', 'p8'];
    // Before any refresh: the state table is created, nobody is retained yet.
    expect(await outflow('segments', 'size', 'recent-buyers', '--as-of', '2026-01-07T00:00:00Z')).toBe('0\n');
    expect(await outflow('segments', 'size', 'recent-buyers', '--as-of', '2026-01-05T00:00:00Z')).toBe('5\n');
    await outflow('sync', 'run', '--all', '--as-of', '2026-01-05T00:00:00Z');
    expect([...audience()].sort()).toEqual(buyers);
    // Two days later nobody matches any more, but all five are retained: the audience keeps them.
    expect((await outflow('segments', 'members', 'recent-buyers', '--as-of', '2026-01-07T00:00:00Z')).trim().split('\n')).toEqual(buyers);
    await outflow('sync', 'run', '--all', '--as-of', '2026-01-07T00:00:00Z');
    expect([...audience()].sort()).toEqual(buyers);
    // Retention ended on 2026-01-08 00:00 (last match + 3 days): the next run removes them.
    expect(await outflow('segments', 'size', 'recent-buyers', '--as-of', '2026-01-09T00:00:00Z')).toBe('0\n');
    await outflow('segments', 'refresh', 'recent-buyers', '--as-of', '2026-01-09T00:00:00Z');
    // Emptying the audience needs a confirmation (the empty-segment guard).
    await outflow('sync', 'run', 'buyers-file', '--as-of', '2026-01-09T00:00:00Z', '--confirm-removals');
    expect(audience().size).toBe(0);
    const db = await DuckDbDriver.open({ path: fx.warehouse });
    try {
      const stays = await db.query<{ person_id: string; entered_at: Date; exited_at: Date }>(
        `select person_id, entered_at, exited_at from outflow.segment_membership_history where segment_id = 'recent-buyers' order by person_id`,
      );
      expect(stays.map((s) => [s.person_id, s.entered_at.toISOString(), s.exited_at.toISOString()])).toEqual(
        buyers.map((p) => [p, '2026-01-05T00:00:00.000Z', '2026-01-08T00:00:00.000Z']),
      );
    } finally {
      await db.close();
    }
  });
});
