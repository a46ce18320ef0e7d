import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/config/schema';
import { compileAudience, compilePriorityList } from '../../src/segments/audience-source';
import { loadStatements, type Scenario, scenarioArb } from './arbitraries';
import { type Engine, PROPERTY_ENGINES, useEngine } from './property-engines';
import { ReferenceEvaluator } from './reference-evaluator';

/**
 * Priority lists and exclusions against the reference evaluator: random datasets and rule trees
 * (the compiler's own property generator), a random priority list over the scenario's segments and
 * random exclusions among the rest; each list segment's sync audience, its excluded count and
 * excluded persons, and the one-statement evaluation of the whole list, run on DuckDB and on a real
 * PostgreSQL and compared with the reference's waterfall. A fixed seed: the same cases every run.
 */

const RUNS = Number(process.env.OUTFLOW_PROPERTY_RUNS ?? 40);
const SEED = 1818;



/** A scenario with a priority list over some of its segments (in a drawn order) and exclusions among the others. */
const withLists = (schema: string) =>
  scenarioArb({ schema, maxSegments: 3, maxProbes: 5 })
    .filter((sc) => sc.ws.segments.length >= 3)
    .chain((sc) =>
      fc.shuffledSubarray(sc.ws.segments.map((s) => s.id), { minLength: 2 }).chain((list) => {
        const rest = sc.ws.segments.map((s) => s.id).filter((id) => !list.includes(id));
        return fc.subarray(rest, { maxLength: Math.min(2, rest.length) }).map((exclusions) => ({ sc, list, exclusions }));
      }),
    );

async function check(e: Engine, sc: Scenario, list: string[], exclusions: string[]): Promise<{ members: number; excluded: number }> {
  for (const stmt of loadStatements(sc.tables, e.name, (n) => e.dialect.quoteQualified(n), (i) => e.dialect.placeholder(i))) await e.run(stmt.sql, stmt.params);
  const ws: Workspace = { ...sc.ws, priorityLists: [{ id: 'waterfall', segments: list }], exclusions };
  const reference = new ReferenceEvaluator(ws, sc.tables, sc.asOf);
  const o = { dialect: e.dialect, asOf: sc.asOf, identifiers: ['email'] as const };
  const context = () => `list ${JSON.stringify(list)}, exclusions ${JSON.stringify(exclusions)}, segments ${JSON.stringify(ws.segments.map((s) => ({ id: s.id, rules: s.rules ?? s.members ?? s.type })))}`;
  let members = 0;
  let excludedTotal = 0;
  const excludedAll = new Set(exclusions.flatMap((id) => [...reference.members(id)]));
  for (const segment of list) {
    const q = compileAudience(ws, { segment, ignoreExclusions: false }, o);
    const got = (await e.run(q.members.sql, q.members.params)).map((r) => String(r.person_id)).sort();
    const want = [...reference.audience(segment, { priority: list, exclusions })].sort();
    expect(got, `audience of ${segment}: ${context()}`).toEqual(want);
    members += want.length;
    const kept = [...reference.audience(segment, { priority: list })].filter((p) => excludedAll.has(p)).length;
    if (exclusions.length === 0) expect(q.excludedCount).toBeUndefined();
    else {
      const [n] = await e.run(q.excludedCount!.sql, q.excludedCount!.params);
      expect(Number(n!.n), `excluded of ${segment}: ${context()}`).toBe(kept);
      const ids = (await e.run(q.excludedMembers!.sql, q.excludedMembers!.params)).map((r) => String(r.person_id)).sort();
      expect(ids, `excluded persons: ${context()}`).toEqual([...excludedAll].sort());
      excludedTotal += kept;
    }
    // Without its exclusions (ignoreExclusions), the sync sends the deduplicated segment.
    const all = compileAudience(ws, { segment, ignoreExclusions: true }, o).members;
    expect((await e.run(all.sql, all.params)).map((r) => String(r.person_id)).sort()).toEqual([...reference.audience(segment, { priority: list })].sort());
  }
  // The whole list in one statement: each person's first segment, and a flag per segment.
  const whole = compilePriorityList(ws, 'waterfall', o);
  const rows = await e.run(whole.sql, whole.params);
  const ranks = reference.firstMatch(list);
  expect(new Map(rows.map((r) => [String(r.person_id), Number(r.priority_rank)])), `ranks: ${context()}`).toEqual(ranks);
  for (const r of rows) list.forEach((id, i) => expect(Number(r[`m${i}`]) === 1, `flag ${id} of ${String(r.person_id)}`).toBe(reference.members(id).has(String(r.person_id))));
  return { members, excluded: excludedTotal };
}

describe.each(PROPERTY_ENGINES)('priority lists and exclusions on $name match the reference evaluator', (entry) => {
  const fx = useEngine(entry, 'aud');
  const { schema } = fx;

  it(`agrees on ${RUNS} random datasets, lists and exclusions`, async (ctx) => {
    if (fx.unavailable) ctx.skip(fx.unavailable);
    let members = 0;
    let excluded = 0;
    await fc.assert(
      fc.asyncProperty(withLists(schema), async ({ sc, list, exclusions }) => {
        const n = await check(fx.engine!, sc, list, exclusions);
        members += n.members;
        excluded += n.excluded;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // Guards against a generator whose lists and exclusions are always empty.
    expect(members).toBeGreaterThan(RUNS);
    expect(excluded).toBeGreaterThan(0);
  }, 120_000);
});
