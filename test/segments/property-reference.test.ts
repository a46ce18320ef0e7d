import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseWorkspace } from '../support/workspace';
import { TIME_UNITS } from '../../src/segments/rule-schema';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { AS_OF_CHOICES, loadStatements, scenarioArb } from './arbitraries';
import { ReferenceEvaluator, subtractWindow, type TableData } from './reference-evaluator';

// The reference evaluator is itself checked: its calendar arithmetic against the engine, and its
// readings of SPEC §2 against small hand-worked cases.

let duck: DuckDbDriver;
beforeAll(async () => {
  duck = await DuckDbDriver.open({ path: ':memory:' });
});
afterAll(async () => {
  await duck.close();
});

describe('reference evaluator', () => {
  it('subtracts calendar months and fixed units as DuckDB does (end-of-month clamping)', async () => {
    const units = { minute: 'minute', hour: 'hour', day: 'day', week: 'week', month: 'month' } as const;
    const instants = [...AS_OF_CHOICES, '2026-03-30T01:02:03.004Z', '2025-10-31T00:00:00.000Z', '2024-03-31T12:00:00.000Z'];
    for (const iso of instants)
      for (const unit of TIME_UNITS)
        for (const last of [1, 2, 3, 12, 13, 30]) {
          const asOf = new Date(iso);
          const [row] = await duck.query<{ t: Date }>(`select $1::timestamptz - to_${units[unit]}s(${last}::integer) as t`, [asOf]);
          expect(subtractWindow(asOf, { last, unit }).toISOString(), `${iso} - ${last} ${unit}`).toBe(row!.t.toISOString());
        }
  });

  it('reads SPEC §2 as worked by hand', () => {
    const asOf = new Date('2026-03-31T10:00:00Z');
    const ws = baseWorkspace({
      entity: { primaryKey: 'id', identifiers: { email: 'email' } },
      events: { personKey: 'pid', name: 'name', timestamp: 'ts', sessionKey: 'sid' },
      company: { key: 'id' },
      segments: [
        { id: 'pct', entity: 'person', name: 'x', rules: { conditions: [{ kind: 'trait', trait: 'name', op: 'contains', value: '%' }] } },
        { id: 'not-x', entity: 'person', name: 'x', rules: { conditions: [{ kind: 'trait', trait: 'name', op: '!=', value: 'a%c' }] } },
        { id: 'few', entity: 'person', name: 'x', rules: { conditions: [{ kind: 'event', event: 'buy', count: { op: '<', value: 2 } }] } },
        {
          id: 'month',
          entity: 'person',
          name: 'x',
          rules: { conditions: [{ kind: 'event', event: 'buy', window: { last: 1, unit: 'month' } }] },
        },
        {
          id: 'abs',
          entity: 'person',
          name: 'x',
          rules: { conditions: [{ kind: 'event', event: 'buy', window: { from: '2026-03-01', to: '2026-03-31T00:00:00Z' } }] },
        },
        { id: 'ind', entity: 'person', name: 'x', rules: { conditions: [{ kind: 'trait', trait: 'company.industry', op: 'not_in', value: ['tech'] }] } },
        { id: 'sess', entity: 'person', name: 'x', rules: { conditions: [{ kind: 'sessions', count: { op: '>=', value: 2 } }] } },
        { id: 'anon', entity: 'person', name: 'x', rules: { conditions: [{ kind: 'identified', value: false }] } },
        {
          id: 'not-pct',
          entity: 'person',
          name: 'x',
          rules: { conditions: [{ kind: 'segment', segment: 'pct', member: false }, { kind: 'last_seen', op: 'within_last', value: { last: 1, unit: 'day' } }] },
        },
      ],
    });
    const tables: TableData[] = [
      {
        name: 'persons',
        columns: [],
        rows: [
          { id: 'p1', name: 'a%c', email: 'x', company_id: 'c1' },
          { id: 'p2', name: 'abc', email: null, company_id: 'c9' },
          { id: 'p3', name: null, email: null, company_id: null },
        ],
      },
      { name: 'companies', columns: [], rows: [{ id: 'c1', industry: 'tech' }] },
      {
        name: 'events',
        columns: [],
        rows: [
          // exactly asOf - 1 month with clamping (Feb 28), and the un-clamped reading (Mar 3)
          { pid: 'p1', name: 'buy', ts: new Date('2026-02-28T10:00:00Z'), sid: 's1' },
          { pid: 'p2', name: 'buy', ts: new Date('2026-02-28T09:59:59.999Z'), sid: 's1' },
          { pid: 'p2', name: 'buy', ts: new Date('2026-03-31T00:00:00Z'), sid: 's2' },
          { pid: 'p3', name: 'buy', ts: new Date('2026-03-31T10:00:00.001Z'), sid: 's1' },
          { pid: 'p3', name: 'Buy', ts: new Date('2026-03-31T09:00:00Z'), sid: null },
        ],
      },
    ];
    const ref = new ReferenceEvaluator(ws, tables, asOf);
    const ids = (s: string) => [...ref.members(s)].sort();
    expect(ids('pct')).toEqual(['p1']);
    expect(ids('not-x')).toEqual(['p2', 'p3']);
    expect(ids('few')).toEqual(['p1', 'p3']);
    expect(ids('month')).toEqual(['p1', 'p2']);
    expect(ids('abs')).toEqual([]);
    expect(ids('ind')).toEqual(['p2', 'p3']);
    expect(ids('sess')).toEqual(['p2']);
    expect(ids('anon')).toEqual(['p2', 'p3']);
    expect(ids('not-pct')).toEqual(['p2', 'p3']);
  });

  it('reads retentionDays as worked by hand: last match within N days up to as-of, inclusive, entity rows only', () => {
    const asOf = new Date('2026-03-31T00:00:00Z');
    const ws = baseWorkspace({
      entity: { primaryKey: 'id' },
      segments: [
        { id: 'kept', entity: 'person', name: 'x', retentionDays: 7, rules: { conditions: [{ kind: 'trait', trait: 'name', op: '=', value: 'a' }] } },
        { id: 'not-kept', entity: 'person', name: 'x', rules: { conditions: [{ kind: 'segment', segment: 'kept', member: false }] } },
      ],
    });
    const tables: TableData[] = [{ name: 'persons', columns: [], rows: ['a', 'b', 'c', 'd', 'e'].map((name, i) => ({ id: `p${i}`, name })) }];
    const last = new Map([
      [
        'kept',
        new Map([
          ['p1', new Date('2026-03-24T00:00:00Z')], // exactly 7 days before: kept
          ['p2', new Date('2026-03-23T23:59:59.999Z')], // just before the window
          ['p3', new Date('2026-03-31T00:00:00.001Z')], // after the as-of: not kept
          ['p9', new Date('2026-03-30T00:00:00Z')], // no longer an entity row
        ]),
      ],
    ]);
    const ref = new ReferenceEvaluator(ws, tables, asOf, last);
    expect([...ref.matches('kept')]).toEqual(['p0']);
    expect([...ref.members('kept')].sort()).toEqual(['p0', 'p1']);
    expect([...ref.members('not-kept')].sort()).toEqual(['p2', 'p3', 'p4']);
    expect([...new ReferenceEvaluator(ws, tables, asOf).members('kept')]).toEqual(['p0']);
  });

  it('generates scenarios that load into DuckDB and are valid workspaces', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ schema: 'main' }), async (sc) => {
        for (const q of loadStatements(sc.tables, 'duckdb', (n) => duck.dialect.quoteQualified(n), (i) => duck.dialect.placeholder(i)))
          await duck.execute(q.sql, q.params);
        const [row] = await duck.query<{ n: number }>('select count(*)::integer as n from main.persons');
        expect(row!.n).toBe(sc.tables[0]!.rows.length);
        const ref = new ReferenceEvaluator(sc.ws, sc.tables, sc.asOf);
        for (const s of sc.ws.segments) ref.members(s.id);
      }),
      { numRuns: 30 },
    );
  });
});
