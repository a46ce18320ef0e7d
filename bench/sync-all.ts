/**
 * `sync run --all` over nine syncs of one segment vs one sync of it, on DuckDB and PostgreSQL: the
 * segment is evaluated once per as-of (SharedMembers) and each sync diffs the materialised members
 * against its own snapshot. Segment: bought in the last 100 days (events), `members` members among
 * 2 x members persons; between the first and the measured runs a day of events arrives and the
 * as-of moves a day (about 1% churn). Prints, measured in the same run:
 *  - one sync's daily run (evaluate + diff + send the churn + commit);
 *  - nine syncs of the segment with --all (one evaluation, nine diffs), and the ratio (target <= 1.5x);
 *  - nine syncs run one by one (nine evaluations), for comparison.
 *   npx tsx bench/sync-all.ts [duckdb|postgres] [members]
 */
import type { Workspace } from '../src/config/schema';
import { runDueSyncs } from '../src/sync/run-all';
import { runSync } from '../src/sync/steps';
import type { WarehouseDriver } from '../src/warehouse/driver';
import { DuckDbDriver } from '../src/warehouse/duckdb/driver';
import { PostgresDriver } from '../src/warehouse/postgres/driver';
import { baseWorkspace } from '../test/support/workspace';
import { CountingDestination } from './counting-destination';
import { figure } from './figures';

const ENGINE = (process.argv[2] ?? 'duckdb') as 'duckdb' | 'postgres';
const MEMBERS = Number(process.argv[3] ?? 1_000_000);
const PERSONS = 2 * MEMBERS;
const SYNCS = 9;
const EVENTS_PER_PERSON = 6;
const DAY_MS = 86_400_000;
const BASE = new Date('2026-06-01T00:00:00Z');
const PG_URL = process.env.OUTFLOW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Purchase share of events, so about MEMBERS persons bought in the 100 days before BASE. */
const purchaseShare = -Math.log(1 - MEMBERS / PERSONS) / (EVENTS_PER_PERSON * (100 / 365));

function workspace(syncs: number, state: string): Workspace {
  return baseWorkspace({
    schema: 'ball',
    events: { sessionKey: undefined },
    company: false,
    segments: [{ id: 'buyers', alias: 'bench-buyers', rules: { match: 'all', conditions: [{ kind: 'event', event: 'purchase', window: { last: 100, unit: 'day' } }] } }],
    rest: {
      warehouse: ENGINE === 'duckdb' ? { type: 'duckdb' } : { type: 'postgres', connectionString: PG_URL },
      stateSchema: state,
      destinations: [{ id: 'null', type: 'file', settings: { path: '/dev/null' } }],
      syncs: Array.from({ length: syncs }, (_, i) => ({ id: `s${i}`, segment: 'buyers', destination: 'null', maxRemovalShare: 1 })),
    },
  });
}

async function generate(db: WarehouseDriver): Promise<void> {
  process.stderr.write(`generating ${PERSONS} persons and ${PERSONS * EVENTS_PER_PERSON} events on ${ENGINE} ...\n`);
  await db.execute('drop schema if exists ball cascade');
  await db.execute('create schema ball');
  const series = (n: number) => (ENGINE === 'duckdb' ? `range(${n}) t(i)` : `generate_series(0, ${n - 1}) t(i)`);
  const h = (x: string) => (ENGINE === 'duckdb' ? `(hash(${x}) % 1000000007)` : `(abs(hashint8(${x}::bigint)::bigint) % 1000000007)`);
  await db.execute(`create table ball.persons as
    select 'p' || i as person_id, 'user' || i || '@example.com' as email,
      case when i % 3 = 0 then null else '+1555' || lpad(cast(i as varchar), 7, '0') end as phone
    from ${series(PERSONS)}`);
  await db.execute(`create table ball.events as
    select 'p' || (${h('i')} % ${PERSONS}) as person_id,
      case when (${h('i * 7')} % 1000000) / 1000000.0 < ${purchaseShare} then 'purchase' else 'page_view' end as event_name,
      timestamptz '${BASE.toISOString()}' - (${h('i * 13')} % ${365 * 86_400}) * interval '1 second' as occurred_at
    from ${series(PERSONS * EVENTS_PER_PERSON)}`);
  if (ENGINE === 'postgres') {
    await db.execute('create index on ball.events (event_name, occurred_at, person_id)');
    await db.execute('analyze ball.persons');
    await db.execute('analyze ball.events');
  }
}

/** A day of new events (the daily churn). */
async function newDay(db: WarehouseDriver, day: number): Promise<void> {
  const n = Math.round((PERSONS * EVENTS_PER_PERSON) / 365);
  const series = ENGINE === 'duckdb' ? `range(${n}) t(i)` : `generate_series(0, ${n - 1}) t(i)`;
  const h = (x: string) => (ENGINE === 'duckdb' ? `(hash(${x}) % 1000000007)` : `(abs(hashint8(${x}::bigint)::bigint) % 1000000007)`);
  await db.execute(`insert into ball.events
    select 'p' || (${h(`i + ${day * 1_000_003}`)} % ${PERSONS}),
      case when (${h(`i * 7 + ${day}`)} % 1000000) / 1000000.0 < ${purchaseShare} then 'purchase' else 'page_view' end,
      timestamptz '${new Date(BASE.getTime() + (day - 1) * DAY_MS).toISOString()}' + (${h(`i * 13 + ${day}`)} % 86400) * interval '1 second'
    from ${series}`);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

async function main() {
  const db: WarehouseDriver =
    ENGINE === 'duckdb' ? await DuckDbDriver.open({ path: ':memory:', settings: { memory_limit: '2GB', threads: '2' } }) : await PostgresDriver.open({ connectionString: PG_URL });
  await generate(db);
  for (const s of ['ball_one', 'ball_all', 'ball_each']) await db.execute(`drop schema if exists ${s} cascade`);
  const dest = () => new CountingDestination();
  const one = { warehouse: db, workspace: workspace(1, 'ball_one'), destinations: async () => dest() };
  const all = { warehouse: db, workspace: workspace(SYNCS, 'ball_all'), destinations: async () => dest() };
  const each = { warehouse: db, workspace: workspace(SYNCS, 'ball_each'), destinations: async () => dest() };
  const at = (day: number) => new Date(BASE.getTime() + day * DAY_MS).toISOString();

  // First runs (every member sent) fill the snapshots; not measured.
  await runSync(one, { syncId: 's0', asOf: at(0) });
  await runDueSyncs(all, at(0));
  for (let i = 0; i < SYNCS; i++) await runSync(each, { syncId: `s${i}`, asOf: at(0) });
  await newDay(db, 1);

  const [r1, oneMs] = await timed(() => runSync(one, { syncId: 's0', asOf: at(1) }));
  const [batch, allMs] = await timed(() => runDueSyncs(all, at(1)));
  const [, eachMs] = await timed(async () => {
    for (let i = 0; i < SYNCS; i++) await runSync(each, { syncId: `s${i}`, asOf: at(1) });
  });
  const ratio = allMs / oneMs;
  console.log(`${ENGINE}, ${r1.memberCount} members, daily churn +${r1.added} -${r1.removed}:`);
  console.log(`  one sync:                       ${(oneMs / 1000).toFixed(2)}s`);
  console.log(`  ${SYNCS} syncs, --all (${batch.evaluations} evaluation): ${(allMs / 1000).toFixed(2)}s  = ${ratio.toFixed(2)}x one sync (target <= 1.5x)`);
  console.log(`  ${SYNCS} syncs one by one:             ${(eachMs / 1000).toFixed(2)}s  = ${(eachMs / oneMs).toFixed(2)}x one sync`);
  figure({ what: `sync run --all, ${SYNCS} syncs of one ${MEMBERS}-member segment vs one sync (${ENGINE})`, figure: `${ratio.toFixed(2)}x`, target: '<= 1.5x', met: ratio <= 1.5 });
  for (const s of ['ball_one', 'ball_all', 'ball_each', 'ball']) await db.execute(`drop schema if exists ${s} cascade`);
  await db.close();
}

await main();
