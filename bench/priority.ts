/**
 * A priority list of 10 segments evaluated in one statement (`compilePriorityList`: each person's
 * first matching segment) against the slowest of its segments evaluated alone, on DuckDB with 1M
 * persons and 10M events generated in SQL (bench/bench-data.ts, kept in bench/.data/ and reused).
 * The segments mix traits and event conditions, as a lifecycle waterfall does. Each query runs
 * several times, alternating; the bench prints the medians and the ratio list ÷ slowest segment.
 * Target: ≤ 1.5x. The list's per-rank counts are checked against the segments' own counts
 * (every person counted once, in their first segment).
 *   npx tsx bench/priority.ts [persons] [events] [repetitions]
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../src/config/schema';
import { compileCount } from '../src/segments';
import { compilePriorityList } from '../src/segments/audience-source';
import { DuckDbDriver } from '../src/warehouse/duckdb/driver';
import { baseWorkspace } from '../test/support/workspace';
import { ensureBenchData } from './bench-data';
import { figure } from './figures';

const PERSONS = Number(process.argv[2] ?? 1_000_000);
const EVENTS = Number(process.argv[3] ?? 10_000_000);
const REPS = Number(process.argv[4] ?? 5);
const TARGET = 1.5;
const AS_OF = new Date('2026-03-31T10:00:00Z');
const FILE = path.resolve('bench/.data', `segments-${PERSONS}-${EVENTS}.duckdb`);

const EVENT_NAMES = ['purchase', 'add_to_cart', 'login', 'page_view'] as const;
const PLANS = ['enterprise', 'team', 'pro', 'free'] as const;

/** Ten segments, highest priority first: each an event in a window (or its absence) and a trait. */
function segments(): Workspace['segments'] {
  return Array.from({ length: 10 }, (_, i) => {
    const event = EVENT_NAMES[i % EVENT_NAMES.length]!;
    const window = { last: 7 * (i + 1), unit: 'day' as const };
    const eventCondition = i % 3 === 2 ? { kind: 'event', event, performed: false, window } : { kind: 'event', event, count: { op: '>=', value: 1 + (i % 2) }, window };
    return {
      id: `tier-${i}`,
      entity: 'person',
      name: `Tier ${i}`,
      rules: { match: 'all', conditions: [eventCondition, { kind: 'trait', trait: 'plan', op: '!=', value: PLANS[i % PLANS.length] }] },
    } as Workspace['segments'][number];
  });
}

const base = baseWorkspace({ schema: 'b', entity: { identifiers: { email: 'email' } }, segments: segments() });
const workspace: Workspace = { ...base, priorityLists: [{ id: 'lifecycle', segments: base.segments.map((s) => s.id) }] };

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

mkdirSync(path.dirname(FILE), { recursive: true });
const db = await DuckDbDriver.open({ path: FILE, settings: { threads: '2' } });
try {
  await ensureBenchData(db, PERSONS, EVENTS, FILE);
  const dialect = db.dialect;
  const list = compilePriorityList(workspace, 'lifecycle', { dialect, asOf: AS_OF });
  const listCounts = { sql: `select l.priority_rank, count(*) as n from (${list.sql}) l group by l.priority_rank`, params: list.params };
  const singles = workspace.segments.map((s) => ({ id: s.id, q: compileCount(workspace, s.id, { dialect, asOf: AS_OF }) }));

  // Warm-up, and which segment is slowest alone.
  const alone = new Map<string, number[]>();
  const sizes = new Map<string, number>();
  for (const s of singles) {
    const r = await timed(() => db.query<{ n: unknown }>(s.q.sql, s.q.params));
    sizes.set(s.id, Number(r.value[0]!.n));
    alone.set(s.id, []);
  }
  await db.query(listCounts.sql, listCounts.params);
  for (let rep = 0; rep < REPS; rep++) for (const s of singles) alone.get(s.id)!.push((await timed(() => db.query(s.q.sql, s.q.params))).ms);
  const slowest = [...alone].map(([id, ms]) => ({ id, ms: median(ms) })).sort((a, b) => b.ms - a.ms)[0]!;
  const slowestQuery = singles.find((s) => s.id === slowest.id)!.q;

  const listMs: number[] = [];
  const slowMs: number[] = [];
  let ranks: { priority_rank: unknown; n: unknown }[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const l = await timed(() => db.query<{ priority_rank: unknown; n: unknown }>(listCounts.sql, listCounts.params));
    listMs.push(l.ms);
    ranks = l.value;
    slowMs.push((await timed(() => db.query(slowestQuery.sql, slowestQuery.params))).ms);
  }
  const byRank = new Map(ranks.map((r) => [Number(r.priority_rank), Number(r.n)]));
  // The first segment keeps all its members; no rank holds more than its segment.
  if ((byRank.get(0) ?? 0) !== sizes.get('tier-0')) throw new Error(`rank 0 has ${byRank.get(0)} persons, tier-0 has ${sizes.get('tier-0')}`);
  workspace.segments.forEach((s, i) => {
    if ((byRank.get(i) ?? 0) > sizes.get(s.id)!) throw new Error(`rank ${i} has more persons than ${s.id}`);
  });
  const ratio = median(listMs) / median(slowMs);
  console.log(`${PERSONS} persons, ${EVENTS} events; segment sizes: ${[...sizes.values()].join(', ')}`);
  console.log(`list members by rank: ${workspace.segments.map((_, i) => byRank.get(i) ?? 0).join(', ')} (${[...byRank.values()].reduce((a, b) => a + b, 0)} persons)`);
  console.log(`slowest segment alone: ${slowest.id}, median ${median(slowMs).toFixed(0)} ms; the list of 10 in one statement: median ${median(listMs).toFixed(0)} ms`);
  console.log(`ratio ${ratio.toFixed(2)}  target <= ${TARGET}: ${ratio <= TARGET ? 'ok' : 'MISSED'}`);
  figure({
    what: `bench/priority.ts: DuckDB, ${PERSONS.toLocaleString('en')} persons / ${EVENTS.toLocaleString('en')} events, a priority list of 10 segments in one statement ÷ its slowest segment alone (medians of ${REPS})`,
    figure: `${ratio.toFixed(2)} (${median(listMs).toFixed(0)} ms ÷ ${median(slowMs).toFixed(0)} ms)`,
    target: `≤ ${TARGET}x`,
    met: ratio <= TARGET,
  });
  process.exitCode = ratio <= TARGET ? 0 : 1;
} finally {
  await db.close();
}
