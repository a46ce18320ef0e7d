import { describe, expect, it } from 'vitest';
import { dialectFor } from '../../src/segments';
import { runTables } from '../../src/state/run-tables';
import { stateSchemaStatements } from '../../src/state/setup';
import { IDENTIFIER_COLUMNS, StateSql } from '../../src/state/state-sql';
import { DIALECTS, type DialectName } from '../../src/warehouse/dialect';
import type { WarehouseDriver } from '../../src/warehouse/driver';

/** Rendering needs only the dialect; BigQuery and Snowflake are checked here by their SQL alone. */
function stateFor(name: DialectName): StateSql {
  return new StateSql({ dialect: dialectFor(name) } as WarehouseDriver, 'outflow');
}

const PERSON_SEGMENTS: Record<DialectName, string> = {
  duckdb: 'list(segment_id order by segment_id) as segment_ids',
  postgres: 'array_agg(segment_id order by segment_id) as segment_ids',
  bigquery: 'ARRAY_AGG(segment_id ORDER BY segment_id) as segment_ids',
  snowflake: 'ARRAY_AGG(segment_id) WITHIN GROUP (ORDER BY segment_id) as segment_ids',
};

const FINGERPRINT_HASH: Record<DialectName, RegExp> = {
  duckdb: /, cast\(hash\(q\."email"\) as text\) from/,
  postgres: /, md5\(coalesce\(cast\(length\(q\."email"\) as text\) \|\| ':' \|\| q\."email", '-'\)\) from/,
  bigquery: /, to_hex\(md5\(coalesce\(cast\(length\(q\.`email`\) as STRING\) \|\| ':' \|\| q\.`email`, '-'\)\)\) from/,
  snowflake: /, md5\(coalesce\(cast\(length\(q\."email"\) as VARCHAR\) \|\| ':' \|\| q\."email", '-'\)\) from/,
};

describe.each(DIALECTS)('state schema SQL for %s', (name) => {
  const state = stateFor(name);

  it('creates every SPEC §5 table and Outflow’s own, idempotently', async () => {
    const statements = stateSchemaStatements(state);
    for (const sql of statements) expect(sql).toMatch(/^create (schema|table|index) if not exists |^create or replace view /);
    await expect(`${statements.join(';\n')};\n`).toMatchFileSnapshot(`./__golden__/state-schema.${name}.sql`);
  });

  it('builds person_segments with a sorted array per person', () => {
    const view = stateSchemaStatements(state).find((s) => s.includes('person_segments'))!;
    expect(view).toContain(PERSON_SEGMENTS[name]);
  });

  it('fingerprints identifier values and diffs in the warehouse', async () => {
    const { members, changes } = runTables(state, '20260101T000000000Z-abc123');
    const cols = [state.quote(IDENTIFIER_COLUMNS.email)];
    const insert = state.render('insert-run-members', {
      table: members,
      identifierColumns: cols,
      sourceColumns: [state.quote('email')],
      fingerprintColumns: [`q.${state.quote('email')}`],
      members: 'select 1',
    });
    expect(insert).toMatch(FINGERPRINT_HASH[name]);
    const b = state.binder();
    const diff = state.render('insert-run-changes', {
      changes,
      members,
      identifierColumns: cols,
      mirror: true,
      syncId: b.bind('s'),
    });
    await expect(`${diff}\n`).toMatchFileSnapshot(`./__golden__/diff.${name}.sql`);
  });
});
