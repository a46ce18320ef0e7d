import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshStatements } from '../../src/state/membership';
import { ensureStateSchema, type StateSql } from '../../src/state/state-sql';
import type { PostgresDriver } from '../../src/warehouse/postgres/driver';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';
import { explainPostgres } from '../support/plan-shape';

const pgUp = await postgresReachable();
const MEMBERS = 20_000;

/**
 * Every refresh statement must plan as joins that are linear in the members, as the refresh runs
 * it (in a transaction with the dialect's refresh-plan-settings). Two ways PostgreSQL went
 * quadratic: `person_id not in (select ...)` is a plain SubPlan, run once per row, when the members
 * do not fit in work_mem (here 64kB, as a 1M-member segment is against the default 4MB); and on
 * tables a refresh has just filled, which autovacuum has not analysed yet, it estimated a handful
 * of rows and chose a nested loop that scans the members once per row (a 20,000-member refresh: 25 s).
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
    await w.execute(`insert into ${t('segment_membership')} select 's', 'p' || i, $1 from generate_series(1, ${MEMBERS}) i`, [asOf]);
    await w.execute(`insert into ${t('segment_membership_history')} select 's', 'p' || i, $1, null from generate_series(1, ${MEMBERS}) i`, [asOf]);
    await w.execute(`create table ${t('scratch')} (person_id text not null) with (autovacuum_enabled = false)`);
    await w.execute(`insert into ${t('scratch')} select 'p' || i from generate_series(101, ${MEMBERS + 100}) i`);
  });
  afterAll(async () => {
    await w.execute(`drop schema if exists "${schema}" cascade`);
    await w.close();
  });

  async function shapes() {
    const table = state.table('scratch');
    const b = state.binder();
    const count = state.compile('refresh-count', { table, segmentId: b.bind('s') }, b);
    const settings = state.compile('refresh-plan-settings').sql;
    const out = [];
    for (const q of [count, ...refreshStatements(state, { table, segmentId: 's', asOf })]) {
      const shape = await explainPostgres(w, q, [settings, "set local work_mem = '64kB'"].filter(Boolean));
      out.push({ statement: q.sql.slice(0, 60), problems: shape.problems, plan: shape.lines });
    }
    return out;
  }

  it('on tables just filled, never analysed: no nested loop over a whole table', async () => {
    expect((await shapes()).filter((s) => s.problems.length > 0)).toEqual([]);
  });

  it('with statistics and the members over work_mem: no plain SubPlan', async () => {
    for (const table of ['segment_membership', 'segment_membership_history', 'scratch']) await w.execute(`analyze ${t(table)}`);
    const all = await shapes();
    expect(all.filter((s) => s.problems.length > 0)).toEqual([]);
    // Joins, not a scan per member: each statement reads the scratch table once.
    for (const s of all.slice(1)) expect(s.plan.filter((l) => l.includes('Scan on scratch'))).toHaveLength(1);
  });
});
