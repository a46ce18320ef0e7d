import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshStatements } from '../../src/state/membership';
import { ensureStateSchema, type StateSql } from '../../src/state/state-sql';
import type { CompiledQuery } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import type { PostgresDriver } from '../../src/warehouse/postgres/driver';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';
import { explainDuckDb, explainPostgres } from '../support/plan-shape';

const pgUp = await postgresReachable();
const MEMBERS = 20_000;

/**
 * Every refresh statement must plan as joins that are linear in the members, as the refresh runs
 * it (its transaction with the dialect's refresh-plan-settings). Two ways PostgreSQL went
 * quadratic: `person_id not in (select ...)` is a plain SubPlan, run once per row, when the
 * subquery's rows do not fit in work_mem (here 64kB, as a 1M-member segment is against the default
 * 4MB); and on tables a refresh has just filled, which autovacuum has not analysed yet, it
 * estimated a handful of rows and chose a nested loop that scans the other side once per row (a
 * 20,000-member refresh: 25 s).
 */
describe.skipIf(!pgUp)('refresh statements on PostgreSQL plan as joins', () => {
  let w: PostgresDriver;
  let state: StateSql;
  const schema = uniqueSchema('plans');
  const asOf = new Date('2026-02-01T00:00:00Z');
  const t = (name: string) => `"${schema}"."${name}"`;

  beforeAll(async () => {
    w = await openTestPostgres();
    state = await ensureStateSchema(w, schema);
    // As right after a first refresh: filled, never analysed (and autovacuum kept away for the test's length).
    for (const table of ['segment_membership', 'segment_membership_history']) await w.execute(`alter table ${t(table)} set (autovacuum_enabled = false)`);
    await w.execute(`insert into ${t('segment_membership')} (segment_id, person_id, entered_at) select 's', 'p' || i, $1 from generate_series(1, ${MEMBERS}) i`, [asOf]);
    await w.execute(`insert into ${t('segment_membership_history')} (segment_id, person_id, entered_at, exited_at) select 's', 'p' || i, $1, null from generate_series(1, ${MEMBERS}) i`, [asOf]);
    // The segment's members now: 100 have left, 100 have entered.
    await w.execute(`create table ${t('members')} as select 'p' || i as person_id from generate_series(101, ${MEMBERS + 100}) i`);
    await w.execute(`analyze ${t('members')}`);
  });
  afterAll(async () => {
    await w.execute(`drop schema if exists "${schema}" cascade`);
    await w.close();
  });

  /** The refresh's statements as it runs them, its diff table filled by its own diff statement. */
  async function shapes() {
    const table = state.table('changes');
    const statements = refreshStatements(state, { table, segmentId: 's', asOf, members: { sql: `select person_id from ${t('members')}`, params: [] } });
    await state.execute('drop-table', { table });
    await state.execute('create-refresh-changes', { table });
    await w.execute(statements.diff.sql, statements.diff.params);
    const out = [];
    for (const q of [statements.diff, statements.count]) out.push(await shape(q, []));
    for (const q of statements.apply) out.push(await shape(q, [statements.settings]));
    return out;
  }

  async function shape(q: CompiledQuery, settings: string[]) {
    const plan = await explainPostgres(w, q, [...settings.filter(Boolean), "set local work_mem = '64kB'"]);
    return { statement: q.sql.slice(0, 60), problems: plan.problems, plan: plan.lines };
  }

  it('on tables just filled, never analysed: no nested loop over a whole table', async () => {
    expect((await shapes()).filter((s) => s.problems.length > 0)).toEqual([]);
  });

  it('with statistics and the members over work_mem: no plain SubPlan', async () => {
    for (const table of ['segment_membership', 'segment_membership_history']) await w.execute(`analyze ${t(table)}`);
    const all = await shapes();
    expect(all.filter((s) => s.problems.length > 0)).toEqual([]);
    // Joins, not a scan per row: the diff reads the members once, each other statement the diff once.
    expect(all[0]!.plan.filter((l) => l.includes('Scan on members'))).toHaveLength(1);
    for (const s of all.slice(2)) expect(s.plan.filter((l) => l.includes('Scan on changes'))).toHaveLength(1);
  });
});

describe('refresh statements on DuckDB plan as hash joins', () => {
  it('has no nested-loop join and no cross product of tables', async () => {
    const w = await DuckDbDriver.open({ path: ':memory:' });
    try {
      const state = await ensureStateSchema(w, 'outflow');
      const asOf = new Date('2026-02-01T00:00:00Z');
      await w.execute(`insert into outflow.segment_membership (segment_id, person_id, entered_at) select 's', 'p' || i, $1 from range(1, ${MEMBERS + 1}) t(i)`, [asOf]);
      await w.execute(`insert into outflow.segment_membership_history (segment_id, person_id, entered_at, exited_at) select 's', 'p' || i, $1, null from range(1, ${MEMBERS + 1}) t(i)`, [asOf]);
      await w.execute(`create table main.members as select 'p' || i as person_id from range(101, ${MEMBERS + 101}) t(i)`);
      const table = state.table('changes');
      const r = refreshStatements(state, { table, segmentId: 's', asOf, members: { sql: 'select person_id from main.members', params: [] } });
      await state.execute('create-refresh-changes', { table });
      await w.execute(r.diff.sql, r.diff.params);
      const shapes = [];
      for (const q of [r.diff, r.count, ...r.apply]) shapes.push({ statement: q.sql.slice(0, 60), ...(await explainDuckDb(w, q)) });
      expect(shapes.filter((x) => x.problems.length > 0)).toEqual([]);
      expect(shapes.every((x) => x.lines.some((l) => /HASH_JOIN|DELIM_JOIN|UNGROUPED_AGGREGATE|INSERT/.test(l)))).toBe(true);
    } finally {
      await w.close();
    }
  });
});

