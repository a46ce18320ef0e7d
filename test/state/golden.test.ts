import { describe, expect, it } from 'vitest';
import { dialectFor } from '../../src/segments';
import { refreshStatements } from '../../src/state/membership';
import { diffStatements, sendStatements } from '../../src/state/run-tables';
import { StateSql, stateSchemaStatements } from '../../src/state/state-sql';
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
  duckdb: /, hash\(m\.person_id, m\."email"\) as fingerprint from m/,
  postgres: /, md5\(coalesce\(cast\(length\(m\.person_id\) as text\) \|\| ':' \|\| m\.person_id, '-'\) \|\| '\|' \|\| coalesce\(cast\(length\(m\."email"\) as text\) \|\| ':' \|\| m\."email", '-'\)\) as fingerprint from m/,
  bigquery: /, to_hex\(md5\(coalesce\(cast\(length\(m\.person_id\) as STRING\) \|\| ':' \|\| m\.person_id, '-'\) \|\| '\|' \|\| coalesce\(cast\(length\(m\.`email`\) as STRING\) \|\| ':' \|\| m\.`email`, '-'\)\)\) as fingerprint from m/,
  snowflake: /, md5\(coalesce\(cast\(length\(m\.person_id\) as VARCHAR\) \|\| ':' \|\| m\.person_id, '-'\) \|\| '\|' \|\| coalesce\(cast\(length\(m\."email"\) as VARCHAR\) \|\| ':' \|\| m\."email", '-'\)\) as fingerprint from m/,
};

describe.each(DIALECTS)('state schema SQL for %s', (name) => {
  const state = stateFor(name);

  it('creates every SPEC §5 table and Outflow’s own, idempotently', async () => {
    const statements = stateSchemaStatements(state);
    for (const sql of statements) expect(sql).toMatch(/^create (schema|table|index|unique index) if not exists |^create or replace view |^drop index if exists |^delete from |^alter table \S+ add column if not exists /);
    await expect(`${statements.join(';\n')};\n`).toMatchFileSnapshot(`./__golden__/state-schema.${name}.sql`);
  });

  it('builds person_segments with a sorted array per person', () => {
    const view = stateSchemaStatements(state).find((s) => s.includes('person_segments'))!;
    expect(view).toContain(PERSON_SEGMENTS[name]);
  });

  it('fingerprints person + identifier values and diffs the segment query in the warehouse', async () => {
    // The statements materialiseDiff runs, as it builds them.
    const target = { syncId: 's', destinationId: 'd', audienceName: 'a' };
    const statements = diffStatements(state, { runId: '20260101T000000000Z-abc123', target, query: { sql: 'select 1', params: [] }, kinds: ['email'] });
    const diff = statements.find((q) => q.sql.startsWith('insert into'))!;
    // The target is bound (PostgreSQL numbers each value once; DuckDB binds it again where it is used again).
    expect(diff.params.slice(0, 3)).toEqual(['s', 'd', 'a']);
    expect(diff.sql.replace(/\s+/g, ' ')).toMatch(FINGERPRINT_HASH[name]);
    await expect(`${diff.sql}\n`).toMatchFileSnapshot(`./__golden__/diff.${name}.sql`);
    expect(statements.map((q) => q.sql.split(' ').slice(0, 2).join(' '))).toEqual(
      ['drop table', 'create table', 'insert into', ...(name === 'postgres' ? ['create index'] : [])],
    );
  });

  it('turns the diff and the added keys into key-level sends, every value bound', async () => {
    const target = { syncId: 's', destinationId: 'd', audienceName: 'a' };
    const statements = sendStatements(state, { runId: '20260101T000000000Z-abc123', target, mode: 'mirror' });
    const sends = statements.find((q) => q.sql.startsWith('insert into'))!;
    expect(sends.params).toEqual(['s', 'd', 'a']);
    expect(sends.sql).not.toMatch(/not in \(select/i);
    await expect(`${sends.sql}\n`).toMatchFileSnapshot(`./__golden__/sends.${name}.sql`);
  });

  it('refreshes a segment with one diff statement and a transaction over the diff, values bound', async () => {
    const asOf = new Date('2026-02-01T00:00:00Z');
    const r = refreshStatements(state, { table: state.table('refresh_abc'), segmentId: 'vips', asOf, members: { sql: 'select person_id from persons where vip = ?', params: [true] } });
    // The segment query's values come first, then the refresh's own.
    expect(r.diff.params).toEqual([true, 'vips']);
    expect(r.count.params).toEqual(['vips']);
    for (const q of r.apply) expect(q.params.every((p) => p === 'vips' || p === asOf)).toBe(true);
    const all = [r.diff, r.count, ...(r.settings ? [{ sql: r.settings }] : []), ...r.apply].map((q) => q.sql);
    for (const sql of all) expect(sql).not.toMatch(/not in \(select/i);
    await expect(`${all.join(';\n')};\n`).toMatchFileSnapshot(`./__golden__/refresh.${name}.sql`);
  });

  it('refreshes a segment with retention: the members and who matches in one diff statement, last matches kept, values bound', async () => {
    const asOf = new Date('2026-02-01T00:00:00Z');
    const placeholder = state.warehouse.dialect.placeholder;
    const members = { sql: `select person_id from persons where vip = ${placeholder(0)}`, params: [true] };
    const matched = { sql: `select person_id from persons where vip = ${placeholder(1)} and seen = ${placeholder(2)}`, params: [true, 'x'] };
    const r = refreshStatements(state, { table: state.table('refresh_abc'), segmentId: 'vips', asOf, members, retention: { days: 7, matched } });
    // Both queries' values lead, in the order they appear; then the refresh's own.
    expect(r.diff.params).toEqual(name === 'postgres' || name === 'duckdb' ? [true, true, 'x', 'vips', asOf] : [true, true, 'x', 'vips', 'vips', asOf]);
    const close = r.apply.find((q) => q.sql.includes('exited_at = case'))!;
    expect(close.params).toContain(-7);
    for (const q of r.apply) expect(q.params.every((p) => p === 'vips' || p === asOf || p === -7)).toBe(true);
    const all = [r.diff, r.count, ...(r.settings ? [{ sql: r.settings }] : []), ...r.apply].map((q) => q.sql);
    for (const sql of all) expect(sql).not.toMatch(/not in \(select/i);
    await expect(`${all.join(';\n')};\n`).toMatchFileSnapshot(`./__golden__/refresh-retained.${name}.sql`);
  });
});
