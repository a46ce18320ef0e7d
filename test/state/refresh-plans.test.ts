import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshStatements } from '../../src/state/membership';
import { ensureStateSchema, type StateSql } from '../../src/state/state-sql';
import type { PostgresDriver } from '../../src/warehouse/postgres/driver';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';
import { explainPostgres } from '../support/plan-shape';

const pgUp = await postgresReachable();
const MEMBERS = 20_000;

/**
 * PostgreSQL plans `person_id not in (select ...)` as a plain SubPlan, run once per row, when the
 * subquery's rows do not fit in work_mem: quadratic in the segment's size. Every refresh statement
 * must plan as a join (here with work_mem far below the members' size, as a 1M-member segment is
 * against the default 4MB).
 */
describe.skipIf(!pgUp)('refresh statements on PostgreSQL plan as joins', () => {
  let w: PostgresDriver;
  let state: StateSql;
  const schema = uniqueSchema('plans');
  const asOf = new Date('2026-02-01T00:00:00Z');

  beforeAll(async () => {
    w = await openTestPostgres();
    state = await ensureStateSchema(w, schema);
    const t = (name: string) => `"${schema}"."${name}"`;
    await w.execute(`insert into ${t('segment_membership')} select 's', 'p' || i, $1 from generate_series(1, ${MEMBERS}) i`, [asOf]);
    await w.execute(`insert into ${t('segment_membership_history')} select 's', 'p' || i, $1, null from generate_series(1, ${MEMBERS}) i`, [asOf]);
    await w.execute(`create table ${t('scratch')} (person_id text not null)`);
    await w.execute(`insert into ${t('scratch')} select 'p' || i from generate_series(101, ${MEMBERS + 100}) i`);
    await w.execute(`analyze ${t('segment_membership')}`);
    await w.execute(`analyze ${t('segment_membership_history')}`);
    await w.execute(`analyze ${t('scratch')}`);
  });
  afterAll(async () => {
    await w.execute(`drop schema if exists "${schema}" cascade`);
    await w.close();
  });

  it('has no plain SubPlan and no nested loop over a whole table', async () => {
    const table = state.table('scratch');
    const b = state.binder();
    const count = state.compile('refresh-count', { table, segmentId: b.bind('s') }, b);
    const statements = [count, ...refreshStatements(state, { table, segmentId: 's', asOf })];
    const shapes = [];
    for (const q of statements) {
      const shape = await explainPostgres(w, q, ["set local work_mem = '64kB'"]);
      shapes.push({ statement: q.sql.slice(0, 60), problems: shape.problems, plan: shape.lines });
    }
    expect(shapes.filter((s) => s.problems.length > 0)).toEqual([]);
    // Joins, not a scan per member: each statement reads the scratch table once.
    for (const s of shapes.slice(1)) expect(s.plan.filter((l) => l.includes('Scan on scratch'))).toHaveLength(1);
  });
});
