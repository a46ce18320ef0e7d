import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentSchema, type Workspace } from '../../src/config/schema';
import { compileMembers } from '../../src/segments';
import { refreshDueSegments } from '../../src/state/membership';
import { ensureStateSchema } from '../../src/state/state-sql';
import type { WarehouseDriver } from '../../src/warehouse/driver';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { loadStatements, type Scenario, scenarioArb } from '../segments/arbitraries';
import { ReferenceEvaluator, type TableData } from '../segments/reference-evaluator';
import { openTestPostgres, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';

/**
 * Retention across sequences of refreshes, against an independent model: random datasets and rule
 * trees (the compiler's property scenarios), some segments with `retentionDays`, refreshed at
 * random as-ofs (out of order and repeated, with a person's events deleted between some), on DuckDB
 * and PostgreSQL. After every refresh the membership, the history (every stay and when it ended),
 * the last matches and `segments members` at the as-of and at another as-of agree with the model.
 */

const RUNS = Number(process.env.OUTFLOW_RETENTION_RUNS ?? 12);
const SEED = 20261203;
const DAY = 86_400_000;

interface Step {
  /** Days (and hours) from the scenario's as-of. */
  offsetHours: number;
  /** Another as-of to read `segments members` at, without refreshing, in hours from this step's. */
  readOffsetHours: number;
  /** Deletes the events of persons whose index is this (mod the persons) before refreshing; -1: none. */
  dropEventsOf: number;
}

const caseArb = (schema: string) =>
  fc.record({
    sc: scenarioArb({ schema, maxSegments: 3, maxProbes: 1, maxPersons: 8, maxEvents: 25 }),
    retention: fc.array(fc.option(fc.constantFrom(1, 2, 7, 30), { nil: undefined, freq: 3 }), { minLength: 4, maxLength: 4 }),
    // `tick` events spread over the days the refreshes fall on, for the `ticking` segments below.
    ticks: fc.array(fc.record({ person: fc.nat(20), hours: fc.integer({ min: -25 * 24, max: 25 * 24 }) }), { minLength: 15, maxLength: 40 }),
    tickRetention: fc.constantFrom(1, 2, 7),
    start: fc.integer({ min: -15 * 24, max: 0 }),
    // A walk over time that mostly goes forward, sometimes back (a backfill), sometimes stays.
    steps: fc.array(
      fc.record({
        offsetHours: fc.integer({ min: -3 * 24, max: 6 * 24 }).map((h) => h - (h % 24)),
        readOffsetHours: fc.integer({ min: -10 * 24, max: 10 * 24 }),
        dropEventsOf: fc.integer({ min: -6, max: 11 }).map((i) => (i < 0 ? -1 : i)),
      }),
      { minLength: 2, maxLength: 6 },
    ),
  });

/**
 * Segments whose members change from one as-of to the next: who had a `tick` in the last 3 days
 * (kept `days` days), and who is not in it but has an email (kept 3 days, reading its retention).
 */
function tickingSegments(days: number): Workspace['segments'] {
  return [
    { id: 'ticking', entity: 'person', name: 'ticking', retentionDays: days, rules: { match: 'all', conditions: [{ kind: 'event', event: 'tick', window: { last: 3, unit: 'day' } }] } },
    {
      id: 'not-ticking',
      entity: 'person',
      name: 'not-ticking',
      retentionDays: 3,
      rules: { match: 'all', conditions: [{ kind: 'segment', segment: 'ticking', member: false }, { kind: 'trait', trait: 'email', op: 'is_set' }] },
    },
  ].map((s) => segmentSchema.parse(s));
}

type Stay = [segment: string, person: string, entered: string, exited: string | null];

/** What the membership tables should hold, kept by applying the definition refresh by refresh. */
class RetentionModel {
  readonly last = new Map<string, Map<string, Date>>();
  readonly members = new Map<string, Map<string, Date>>();
  readonly stays: Stay[] = [];
  /** Stays that ended when retention ended, before the refresh that saw it. */
  endedByRetention = 0;

  /** Refreshes every segment at `asOf` in workspace order (references only point back). */
  refresh(ws: Workspace, tables: readonly TableData[], asOf: Date): { segmentId: string; added: number; removed: number }[] {
    return ws.segments.map((s) => {
      const ref = new ReferenceEvaluator(ws, tables, asOf, this.last);
      const now = ref.members(s.id);
      const current = this.members.get(s.id) ?? new Map<string, Date>();
      this.members.set(s.id, current);
      const last = this.last.get(s.id) ?? new Map<string, Date>();
      let added = 0;
      let removed = 0;
      for (const id of now)
        if (!current.has(id)) {
          current.set(id, asOf);
          this.stays.push([s.id, id, asOf.toISOString(), null]);
          added++;
        }
      for (const id of [...current.keys()])
        if (!now.has(id)) {
          current.delete(id);
          const l = last.get(id);
          const end = s.retentionDays !== undefined && l && l.getTime() + s.retentionDays * DAY < asOf.getTime() ? new Date(l.getTime() + s.retentionDays * DAY) : asOf;
          const stay = this.stays.find((x) => x[0] === s.id && x[1] === id && x[3] === null)!;
          stay[3] = end.toISOString();
          if (end !== asOf) this.endedByRetention++;
          removed++;
        }
      if (s.retentionDays !== undefined) {
        for (const id of ref.matches(s.id)) if ((last.get(id)?.getTime() ?? -Infinity) < asOf.getTime()) last.set(id, asOf);
        this.last.set(s.id, last);
      }
      return { segmentId: s.id, added, removed };
    });
  }
}

interface Engine {
  name: 'duckdb' | 'postgres';
  warehouse: WarehouseDriver;
}

const ENGINES = [
  { name: 'duckdb' as const, open: async () => DuckDbDriver.open({ path: ':memory:', settings: { threads: '1' } }), reachable: async () => true },
  { name: 'postgres' as const, open: openTestPostgres, reachable: postgresReachable },
];

const iso = (d: unknown) => (d === null ? null : (d as Date).toISOString());
const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();

type Case = { sc: Scenario; retention: (number | undefined)[]; ticks: { person: number; hours: number }[]; tickRetention: number; start: number; steps: Step[] };

async function runCase(e: Engine, schema: string, state: string, c: Case): Promise<{ retained: number; endedByRetention: number }> {
  const { sc, retention, steps } = c;
  const w = e.warehouse;
  const segments = [...sc.ws.segments.map((s, i) => ({ ...s, retentionDays: retention[i % retention.length] })), ...tickingSegments(c.tickRetention)];
  const ws: Workspace = { ...sc.ws, stateSchema: state, segments };
  await ensureStateSchema(w, state);
  for (const t of ['segment_membership', 'segment_membership_history', 'segment_evaluations', 'segment_last_matched']) await w.execute(`delete from ${state}.${t}`);
  const keys = sc.tables[0]!.rows.map((p) => p.person_id ?? null);
  const ticks = keys.length === 0 ? [] : c.ticks.map((t) => ({ person_id: keys[t.person % keys.length]!, event_name: 'tick', occurred_at: new Date(sc.asOf.getTime() + t.hours * 3_600_000), session_id: null, amount: null, url: null }));
  let tables = sc.tables.map((t) => (t.name === `${schema}.events` ? { ...t, rows: [...t.rows, ...ticks] } : t));
  const load = async () => {
    for (const q of loadStatements(tables, e.name, (n) => w.dialect.quoteQualified(n), (i) => w.dialect.placeholder(i))) await w.execute(q.sql, q.params);
  };
  await load();
  const model = new RetentionModel();
  let retained = 0;
  let hours = c.start;
  for (const [i, step] of steps.entries()) {
    hours += step.offsetHours;
    if (step.dropEventsOf >= 0 && keys.length > 0) {
      const who = keys[step.dropEventsOf % keys.length];
      tables = tables.map((t) => (t.name === `${schema}.events` ? { ...t, rows: t.rows.filter((r) => r.person_id !== who) } : t));
      await load();
    }
    const asOf = new Date(sc.asOf.getTime() + hours * 3_600_000);
    const context = `step ${i} at ${asOf.toISOString()}; retention ${JSON.stringify(ws.segments.map((s) => [s.id, s.retentionDays]))}`;
    const want = model.refresh(ws, tables, asOf);
    const got = await refreshDueSegments({ warehouse: w, workspace: ws }, asOf);
    expect(got.map((g) => ({ segmentId: g.segmentId, added: g.added, removed: g.removed })), context).toEqual(want);

    const members = await w.query<{ segment_id: string; person_id: string; entered_at: Date }>(`select segment_id, person_id, entered_at from ${state}.segment_membership`);
    const wantMembers = [...model.members].flatMap(([s, m]) => [...m].map(([p, at]) => [s, p, at.toISOString()]));
    expect(sorted(members.map((r) => [r.segment_id, r.person_id, iso(r.entered_at)])), `${context}: segment_membership`).toEqual(sorted(wantMembers));
    const stays = await w.query<Record<string, unknown>>(`select segment_id, person_id, entered_at, exited_at from ${state}.segment_membership_history`);
    expect(sorted(stays.map((r) => [r.segment_id, r.person_id, iso(r.entered_at), iso(r.exited_at)])), `${context}: history`).toEqual(sorted(model.stays));
    const last = await w.query<Record<string, unknown>>(`select segment_id, person_id, last_matched_at from ${state}.segment_last_matched`);
    const wantLast = [...model.last].flatMap(([s, m]) => [...m].map(([p, at]) => [s, p, at.toISOString()]));
    expect(sorted(last.map((r) => [r.segment_id, r.person_id, iso(r.last_matched_at)])), `${context}: last matches`).toEqual(sorted(wantLast));

    // `segments members` agrees with the refresh at its as-of, and with the definition at any other.
    const readAt = new Date(asOf.getTime() + step.readOffsetHours * 3_600_000);
    for (const at of [asOf, readAt]) {
      const ref = new ReferenceEvaluator(ws, tables, at, model.last);
      for (const s of ws.segments) {
        const q = compileMembers(ws, s.id, { dialect: w.dialect, asOf: at });
        const ids = (await w.query<{ person_id: unknown }>(q.sql, q.params)).map((r) => String(r.person_id)).sort();
        expect(ids, `${context}: members of ${s.id} at ${at.toISOString()}`).toEqual([...ref.members(s.id)].sort());
        retained += ref.members(s.id).size - ref.matches(s.id).size;
      }
    }
  }
  return { retained, endedByRetention: model.endedByRetention };
}

describe.each(ENGINES)('retention across refreshes on $name agrees with the model', ({ name, open, reachable }) => {
  const schema = uniqueSchema('ret');
  const state = `${schema}_state`;
  let engine: Engine | undefined;
  let unavailable: string | undefined;

  beforeAll(async () => {
    if (!(await reachable())) {
      unavailable = `${name} at ${PG_URL} is unreachable; skipped (under CI=true this fails)`;
      return;
    }
    engine = { name, warehouse: await open() };
    await engine.warehouse.execute(`create schema ${schema}`);
  });

  afterAll(async () => {
    if (!engine) return;
    for (const s of [schema, state]) await engine.warehouse.execute(`drop schema if exists ${s} cascade`);
    await engine.warehouse.close();
  });

  it(`agrees over ${RUNS} random sequences of refreshes (seed ${SEED})`, async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    let retained = 0;
    let endedByRetention = 0;
    await fc.assert(
      fc.asyncProperty(caseArb(schema), async (c) => {
        const seen = await runCase(engine!, schema, state, c);
        retained += seen.retained;
        endedByRetention += seen.endedByRetention;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // Guards against sequences in which retention never keeps anyone, or never ends a stay.
    expect(retained).toBeGreaterThan(RUNS);
    expect(endedByRetention).toBeGreaterThan(RUNS / 2);
    console.log(`${name}: ${retained} retained members read, ${endedByRetention} stays ended by retention`);
  }, 120_000);
});
