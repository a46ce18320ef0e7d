import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceSchema } from '../../src/config/schema';
import { warehouseProblems } from '../../src/segments/check-warehouse';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { openTestPostgres, postgresReachable, uniqueSchema } from '../support/pg';

// The same checks against PostgreSQL's own type names (varchar(n), numeric, timestamp with time zone...).

const pgUp = await postgresReachable();

describe.skipIf(!pgUp)('warehouse check on PostgreSQL', () => {
  const schema = uniqueSchema('chk');
  let db: WarehouseDriver;

  beforeAll(async () => {
    db = await openTestPostgres();
    await db.execute(`create schema ${schema}`);
    await db.execute(`create table ${schema}.persons (person_id bigint, email varchar(200), age integer, score numeric(10,2),
      plan text, signup date, seen_at timestamp, vip boolean, company_id bigint)`);
    await db.execute(`create table ${schema}.events (person_id bigint, event_name text, occurred_at timestamptz, amount double precision)`);
    await db.execute(`create table ${schema}.companies (id bigint, industry varchar(50))`);
  });

  afterAll(async () => {
    await db.execute(`drop schema if exists ${schema} cascade`);
    await db.close();
  });

  const ws = (conditions: unknown[]) =>
    workspaceSchema.parse({
      version: 1,
      warehouse: { type: 'postgres', connectionString: 'postgres://unused' },
      entities: [
        {
          id: 'person',
          table: `${schema}.persons`,
          primaryKey: 'person_id',
          identifiers: { email: 'email' },
          identifiedColumn: 'vip',
          events: { table: `${schema}.events`, personKey: 'person_id', name: 'event_name', timestamp: 'occurred_at' },
          relations: [{ name: 'company', table: `${schema}.companies`, key: 'id', foreignKey: 'company_id' }],
        },
      ],
      segments: [{ id: 's', entity: 'person', name: 's', rules: { conditions } }],
    });

  it('accepts values that fit the PostgreSQL column types', async () => {
    const problems = await warehouseProblems(
      ws([
        { kind: 'trait', trait: 'email', op: 'ends_with', value: '@x.com' },
        { kind: 'trait', trait: 'score', op: '>', value: 2.5 },
        { kind: 'trait', trait: 'signup', op: 'within_last', value: { last: 1, unit: 'month' } },
        { kind: 'trait', trait: 'seen_at', op: 'not_within_last', value: { last: 3, unit: 'day' } },
        { kind: 'trait', trait: 'vip', op: '=', value: true },
        { kind: 'trait', trait: 'company.industry', op: 'in', value: ['saas'] },
        { kind: 'event', event: 'buy', where: [{ column: 'amount', op: '>=', value: 10 }] },
      ]),
      db,
    );
    expect(problems).toEqual([]);
  });

  it('names every mismatch by path', async () => {
    const problems = await warehouseProblems(
      ws([
        { kind: 'trait', trait: 'age', op: '=', value: '30' },
        { kind: 'trait', trait: 'email', op: '<', value: 3 },
        { kind: 'trait', trait: 'plan', op: 'within_last', value: { last: 1, unit: 'day' } },
        { kind: 'trait', trait: 'score', op: 'contains', value: '1' },
        { kind: 'trait', trait: 'company.industry', op: '=', value: false },
        { kind: 'trait', trait: 'company.size', op: 'is_set' },
        { kind: 'event', event: 'buy', where: [{ column: 'amount', op: 'in', value: [1, 'two'] }] },
      ]),
      db,
    );
    expect(problems.map((p) => p.path)).toEqual([
      'segments[0].rules.conditions[0].value',
      'segments[0].rules.conditions[1].value',
      'segments[0].rules.conditions[2].op',
      'segments[0].rules.conditions[3].op',
      'segments[0].rules.conditions[4].value',
      'segments[0].rules.conditions[5].trait',
      'segments[0].rules.conditions[6].where[0].value',
    ]);
  });

  it('reports a missing table, columns of the wrong type, and keys that cannot be joined', async () => {
    const bad = workspaceSchema.parse({
      version: 1,
      warehouse: { type: 'postgres', connectionString: 'postgres://unused' },
      entities: [
        {
          id: 'person',
          table: `${schema}.persons`,
          primaryKey: 'person_id',
          identifiedColumn: 'plan',
          events: { table: `${schema}.events`, personKey: 'person_id', name: 'event_name', timestamp: 'amount' },
          relations: [
            { name: 'org', table: `${schema}.orgs`, key: 'id', foreignKey: 'company_id' },
            { name: 'company', table: `${schema}.companies`, key: 'industry', foreignKey: 'company_id' },
          ],
        },
        {
          id: 'by-email',
          table: `${schema}.persons`,
          primaryKey: 'email',
          events: { table: `${schema}.events`, personKey: 'person_id', name: 'event_name', timestamp: 'occurred_at' },
        },
      ],
    });
    const problems = await warehouseProblems(bad, db);
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'entities[0].events.timestamp',
        'entities[0].identifiedColumn',
        'entities[0].relations[0].table',
        'entities[0].relations[1].foreignKey', // bigint joined with varchar(50)
        'entities[1].events.personKey', // varchar primary key joined with bigint person_id
      ].sort(),
    );
  });
});
