/**
 * One sync run, end to end, on DuckDB: 5M persons, a 1M-member segment, 1% churn between runs.
 * Two segments: a behavioural one (bought in the last 100 days, over 30M events; the daily run
 * moves its as-of by a day and a day of new events arrives) and a single-trait one (`score < N`,
 * the cheapest evaluation there is, so the diff's fixed work weighs most: the worst case).
 * Prints, each against a baseline measured in the same run:
 *  - rows read out of the warehouse by the second run vs its adds + removes (target: equal);
 *  - second-run time vs bare segment evaluation (materialising the members; target <= 1.5x),
 *    for both segments;
 *  - the naive baseline that pulls every member (and the previous members) into Node and diffs
 *    there, with the speed ratio;
 *  - Node's peak RSS and JS heap for a first run (every member sent) of a 100k- vs a 1M-member
 *    segment, each in its own process (target: no growth; DuckDB's memory_limit is fixed).
 *   npx tsx bench/sync.ts [persons] [members]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Workspace } from '../src/config/schema';
import { baseWorkspace } from '../test/support/workspace';
import { compileMembers } from '../src/segments';
import { runSync } from '../src/sync/steps';
import { DuckDbDriver } from '../src/warehouse/duckdb/driver';
import { CountingDestination } from './counting-destination';
import type { Row, SqlValue } from '../src/warehouse/driver';
import { figure } from './figures';

const PERSONS = Number(process.argv[2] ?? 5_000_000);
const MEMBERS = Number(process.argv[3] ?? 1_000_000);
/** Events per person on average, spread over the year before BASE. */
const EVENTS_PER_PERSON = 6;
const BASE = new Date('2026-06-01T00:00:00Z');
const DAY_MS = 86_400_000;
const DAILY_RUNS = 5;
/** Purchase share of events, chosen so about MEMBERS persons bought in the 100 days before BASE. */
const purchaseShare = () => -Math.log(1 - MEMBERS / PERSONS) / (EVENTS_PER_PERSON * (100 / 365));
const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '.data', `sync-${PERSONS}.duckdb`);
const SETTINGS = { memory_limit: '1GB', threads: '2' };
// For the RSS comparison DuckDB (in the same process) gets a small fixed budget and spills beyond
// it, and Node a small heap: a run that kept its audience in memory could not finish at 1M.
const RSS_SETTINGS = { memory_limit: process.env.RSS_MEM ?? '64MB', threads: '2' };
const RSS_HEAP_MB = 96;

/** Segment "score below N" where score is uniform in [0, PERSONS): exactly N members. */
function workspace(members: number, syncId: string, stateSchema: string): Workspace {
  return baseWorkspace({
    schema: 'b',
    events: { sessionKey: undefined },
    company: false,
    segments: [
      { id: 'seg', entity: 'person', name: 'Bench', alias: 'bench-audience', rules: { match: 'all', conditions: [{ kind: 'trait', trait: 'score', op: '<', value: members }] } },
      {
        id: 'buyers',
        entity: 'person',
        name: 'Bought in the last 100 days',
        alias: 'bench-buyers',
        rules: { match: 'all', conditions: [{ kind: 'event', event: 'purchase', window: { last: 100, unit: 'day' } }] },
      },
    ],
    rest: {
      warehouse: { type: 'duckdb', path: FILE },
      stateSchema,
      destinations: [{ id: 'null', type: 'file', settings: { path: '/dev/null' } }],
      syncs: [
        { id: syncId, segment: 'seg', destination: 'null', maxRemovalShare: 1 },
        { id: `${syncId}-buyers`, segment: 'buyers', destination: 'null', maxRemovalShare: 1 },
      ],
    },
  });
}

/**
 * Counts rows that leave the warehouse through the driver, by `query` or `stream`: diff pages, and
 * everything else (run bookkeeping). Installed once; `take()` returns the counts since the last take.
 */
function rowCounter(db: DuckDbDriver) {
  let diff = 0;
  let other = 0;
  const count = (sql: string, n: number) => (/_changes" where kind = .* and seq >= /.test(sql) ? (diff += n) : (other += n));
  const query = db.query.bind(db);
  const stream = db.stream.bind(db);
  db.query = async <T extends Row = Row>(sql: string, params?: readonly SqlValue[]) => {
    const rows = await query<T>(sql, params);
    count(sql, rows.length);
    return rows;
  };
  db.stream = async function* <T extends Row = Row>(sql: string, params?: readonly SqlValue[], options?: { pageSize?: number }) {
    for await (const page of stream<T>(sql, params, options)) {
      count(sql, page.length);
      yield page;
    }
  };
  return {
    take() {
      const out = { diff, other };
      diff = other = 0;
      return out;
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

async function ensureData(db: DuckDbDriver) {
  // Regenerated every time: the churn rounds of a previous bench run changed the table.
  process.stderr.write(`generating ${PERSONS} persons in ${FILE} ...\n`);
  await db.execute('create schema if not exists b');
  // score is a permutation of 0..PERSONS-1, so "score < N" has exactly N members.
  await db.execute(`create or replace table b.persons as
    select 'p' || i as person_id, 'user' || i || '@example.com' as email,
      case when i % 3 = 0 then null else '+1555' || lpad(cast(i as varchar), 7, '0') end as phone,
      row_number() over (order by hash(i)) - 1 as score
    from range(${PERSONS}) t(i)`);
}

/** 30M events over the year before BASE (kept between bench runs; the days added after BASE are dropped). */
async function ensureEvents(db: DuckDbDriver) {
  const want = PERSONS * EVENTS_PER_PERSON;
  const [have] = await db.query<{ n: unknown }>(
    `select count(*) as n from information_schema.columns where table_schema = 'b' and table_name = 'events' and column_name = 'occurred_at'`,
  );
  if (Number(have?.n) > 0) {
    await db.execute('delete from b.events where occurred_at >= $1', [BASE]);
    const [count] = await db.query<{ n: unknown }>('select count(*) as n from b.events');
    if (Number(count?.n) === want) return;
  }
  process.stderr.write(`generating ${want} events ...\n`);
  await db.execute(`create or replace table b.events as
    select 'p' || (hash(i) % ${PERSONS}) as person_id,
      case when (hash(i * 7) % 1000000) / 1000000.0 < ${purchaseShare()} then 'purchase' else 'page_view' end as event_name,
      $1::timestamptz - to_microseconds(cast(hash(i * 13) % ${365 * DAY_MS * 1000} as bigint)) as occurred_at
    from range(${want}) t(i)`, [BASE]);
}

/** A day of new events after `day` (days after BASE): the daily churn of a behavioural segment. */
async function newDayOfEvents(db: DuckDbDriver, day: number) {
  const n = Math.round((PERSONS * EVENTS_PER_PERSON) / 365);
  await db.execute(`insert into b.events
    select 'p' || (hash(i, ${day}) % ${PERSONS}),
      case when (hash(i * 7, ${day}) % 1000000) / 1000000.0 < ${purchaseShare()} then 'purchase' else 'page_view' end,
      $1::timestamptz + to_microseconds(cast(hash(i * 13, ${day}) % ${DAY_MS * 1000} as bigint))
    from range(${n}) t(i)`, [new Date(BASE.getTime() + (day - 1) * DAY_MS)]);
}

/** 1% churn of the members: 0.5% leave, as many join, and 0.1% change their email. */
async function churn(db: DuckDbDriver, members: number, round: number) {
  const k = Math.round(members * 0.005);
  // Leavers move from [m-k, m) to [2m-k, 2m); joiners come from a fresh range above 2m into [m-k, m).
  await db.execute(`update b.persons set score = score + ${members} where score >= ${members - k} and score < ${members}`);
  const from = 2 * members + (round - 1) * k;
  await db.execute(`update b.persons set score = score - ${from - members + k} where score >= ${from} and score < ${from + k}`);
  await db.execute(`update b.persons set email = 'moved${round}.' || person_id || '@example.com' where score < ${Math.round(members * 0.001)}`);
}

async function rssChild(members: number) {
  const db = await DuckDbDriver.open({ path: FILE, settings: RSS_SETTINGS });
  const ws = workspace(members, `rss-${members}`, `bench_rss_${members}`);
  let heapPeak = 0;
  const sample = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 20);
  const dest = new CountingDestination();
  const r = await runSync({ warehouse: db, workspace: ws, destinations: async () => dest }, { syncId: `rss-${members}`, asOf: new Date().toISOString() });
  clearInterval(sample);
  await db.execute(`drop schema bench_rss_${members} cascade`);
  await db.close();
  process.stdout.write(JSON.stringify({ members, sent: dest.rows, status: r.status, reason: r.reason, maxRssMB: process.resourceUsage().maxRSS / 1024, heapPeakMB: heapPeak / 2 ** 20 }));
}

async function main() {
  mkdirSync(path.dirname(FILE), { recursive: true });
  const db = await DuckDbDriver.open({ path: FILE, settings: SETTINGS });
  await ensureData(db);
  await ensureEvents(db);
  if (process.argv.includes('--rss-only')) {
    await db.close();
    return rssComparison();
  }
  await db.execute('drop schema if exists bench_state cascade');
  const ws = workspace(MEMBERS, 'bench', 'bench_state');
  const dest = new CountingDestination();
  const deps = { warehouse: db, workspace: ws, destinations: async () => dest };
  const asOf = () => new Date().toISOString();

  const [first, firstMs] = await timed(() => runSync(deps, { syncId: 'bench', asOf: asOf() }));
  console.log(`first run: ${first.status}, ${first.added} added in ${(firstMs / 1000).toFixed(1)}s`);
  await churn(db, MEMBERS, 1);
  await db.execute('checkpoint');

  // Bare evaluation: materialise the members with the identifiers a sync sends, nothing else (median of 3).
  const bareEvaluation = async (segmentId: string, at: Date) => {
    const q = compileMembers(ws, segmentId, { dialect: db.dialect, asOf: at, identifiers: ['email', 'phone'] });
    const bare: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [, ms] = await timed(() => db.execute(`create or replace temp table bare_eval as ${q.sql}`, q.params));
      bare.push(ms);
    }
    await db.execute('drop table if exists bare_eval');
    return bare.sort((a, b) => a - b)[1]!;
  };
  const bareMs = await bareEvaluation('seg', new Date());

  const reads = rowCounter(db);
  dest.rows = 0;
  const [second, secondMs] = await timed(() => runSync(deps, { syncId: 'bench', asOf: asOf() }));
  const diffRows = second.added + second.removed;
  const sent = dest.rows;
  const secondReads = reads.take();

  // Naive baseline: pull all current members and the previous members into Node, diff in a Map.
  await churn(db, MEMBERS, 2);
  await db.execute('checkpoint');
  const [naive, naiveMs] = await timed(async () => {
    let read = 0;
    const previous = new Map<string, string>();
    for await (const page of db.stream<{ person_id: string; email: string | null; phone: string | null }>(
      `select person_id, email, phone from bench_state.sync_snapshot_keys where sync_id = 'bench'`,
    )) {
      read += page.length;
      for (const r of page) previous.set(r.person_id, `${r.email}|${r.phone}`);
    }
    let added = 0;
    let removed = 0;
    const seen = new Set<string>();
    const cur = compileMembers(ws, 'seg', { dialect: db.dialect, asOf: new Date(), identifiers: ['email', 'phone'] });
    for await (const page of db.stream<{ person_id: string; email: string | null; phone: string | null }>(cur.sql, cur.params)) {
      read += page.length;
      for (const r of page) {
        seen.add(r.person_id);
        const before = previous.get(r.person_id);
        if (before === `${r.email}|${r.phone}`) continue;
        added++;
        if (before !== undefined) removed++; // changed identifiers: remove old, add new

      }
    }
    for (const id of previous.keys()) if (!seen.has(id)) removed++;
    return { read, added, removed };
  });
  reads.take();
  const [third, thirdMs] = await timed(() => runSync(deps, { syncId: 'bench', asOf: asOf() }));
  const { diff: thirdDiff, other: thirdOther } = reads.take();
  const thirdReads = thirdDiff + thirdOther;

  // The behavioural segment, synced daily: the as-of moves a day and a day of new events arrives.
  const day = (d: number) => new Date(BASE.getTime() + d * DAY_MS);
  const [buyers1, buyers1Ms] = await timed(() => runSync(deps, { syncId: 'bench-buyers', asOf: day(0).toISOString() }));
  console.log(`behavioural segment, first run: ${buyers1.status}, ${buyers1.added} added in ${(buyers1Ms / 1000).toFixed(1)}s`);
  // Daily runs, each against the bare evaluation at the same as-of (median of 3).
  const daily: { added: number; removed: number; ms: number; bareMs: number; diffRows: number; otherRows: number }[] = [];
  for (let d = 1; d <= DAILY_RUNS; d++) {
    await newDayOfEvents(db, d);
    // The loader's writes are checkpointed by the loader, not charged to the next sync's commit.
    await db.execute('checkpoint');
    const bareMs = await bareEvaluation('buyers', day(d));
    reads.take();
    const [run, ms] = await timed(() => runSync(deps, { syncId: 'bench-buyers', asOf: day(d).toISOString() }));
    const counts = reads.take();
    daily.push({ added: run.added, removed: run.removed, ms, bareMs, diffRows: counts.diff, otherRows: counts.other });
  }
  await db.close();

  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(`\n${PERSONS} persons, ${PERSONS * EVENTS_PER_PERSON} events; behavioural segment "bought in the last 100 days", ${buyers1.memberCount} members`);
  daily.forEach((r, i) =>
    console.log(
      `daily run ${i + 1} (as-of +1 day, a day of new events): +${r.added} -${r.removed} in ${(r.ms / 1000).toFixed(2)}s; ` +
        `rows read out: ${r.diffRows} diff rows (+${r.otherRows} bookkeeping), adds + removes = ${r.added + r.removed}; ` +
        `bare evaluation ${(r.bareMs / 1000).toFixed(2)}s -> run / bare = ${ratio(r.ms, r.bareMs)}`,
    ),
  );
  const ratios = daily.map((r) => r.ms / r.bareMs).sort((a, b) => a - b);
  console.log(`  run / bare evaluation, median of ${DAILY_RUNS} daily runs = ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)} (target <= 1.5)`);
  console.log(`\n${PERSONS} persons, single-trait ${MEMBERS}-member segment (worst case: the cheapest evaluation), 1% churn (+0.1% changed emails) between runs`);
  console.log(`second run: ${second.status}, +${second.added} -${second.removed} in ${(secondMs / 1000).toFixed(2)}s`);
  console.log(`  rows read out of the warehouse: ${secondReads.diff} diff rows (+${secondReads.other} rows of run bookkeeping); adds + removes = ${diffRows}; rows sent = ${sent}`);
  console.log(`  bare segment evaluation (materialise members): ${(bareMs / 1000).toFixed(2)}s -> run / bare = ${ratio(secondMs, bareMs)} (target <= 1.5)`);
  console.log(`third run: +${third.added} -${third.removed} in ${(thirdMs / 1000).toFixed(2)}s, ${thirdReads} rows read out`);
  console.log(`naive baseline (pull members + previous members into Node, diff there): ${(naiveMs / 1000).toFixed(2)}s, ${naive.read} rows read out, +${naive.added} -${naive.removed}`);
  console.log(`  speed: naive / Outflow = ${ratio(naiveMs, thirdMs)}x; rows out: naive / Outflow = ${ratio(naive.read, thirdReads)}x`);
  const behavioural = ratios[Math.floor(ratios.length / 2)]!;
  const scale = `${PERSONS.toLocaleString('en')} persons, ${MEMBERS.toLocaleString('en')}-member segment`;
  figure({
    what: `bench/sync.ts: ${scale}, rows read out of the warehouse by a run`,
    figure: `${secondReads.diff} diff rows + ${secondReads.other} bookkeeping; adds + removes = ${diffRows}`,
    target: '= adds + removes',
    met: secondReads.diff === diffRows,
  });
  figure({
    what: `bench/sync.ts: ${scale}, run ÷ bare segment evaluation`,
    figure: `behavioural median ${behavioural.toFixed(2)}; single-trait ${ratio(secondMs, bareMs)}`,
    target: '<= 1.5x',
    met: behavioural <= 1.5,
  });
  figure({ what: `bench/sync.ts: ${scale}, naive diff in Node ÷ Outflow`, figure: `${ratio(naiveMs, thirdMs)}x time, ${ratio(naive.read, thirdReads)}x rows read`, target: 'ratio printed' });

  await rssComparison();
}

async function rssComparison() {
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const self = fileURLToPath(import.meta.url);
  const rss = [Math.round(MEMBERS / 10), MEMBERS].map(
    (m) => JSON.parse(execFileSync(process.execPath, [...process.execArgv, `--max-old-space-size=${RSS_HEAP_MB}`, self, String(PERSONS), String(MEMBERS), '--rss', String(m)], { encoding: 'utf8' })) as { members: number; sent: number; maxRssMB: number; heapPeakMB: number },
  );
  console.log(`peak memory of a first run (every member sent), own process, Node heap capped at ${RSS_HEAP_MB} MB, DuckDB memory_limit ${RSS_SETTINGS.memory_limit}:`);
  for (const r of rss) console.log(`  ${r.members}-member segment (${r.sent} rows sent): peak RSS ${r.maxRssMB.toFixed(0)} MB, peak JS heap ${r.heapPeakMB.toFixed(0)} MB`);
  console.log(`  RSS 1M / 100k = ${ratio(rss[1]!.maxRssMB, rss[0]!.maxRssMB)}; heap 1M / 100k = ${ratio(rss[1]!.heapPeakMB, rss[0]!.heapPeakMB)}`);
  figure({
    what: `bench/sync.ts: memory of a first run, ${rss[0]!.members.toLocaleString('en')} vs ${rss[1]!.members.toLocaleString('en')} members`,
    figure: `heap ${rss[0]!.heapPeakMB.toFixed(0)} vs ${rss[1]!.heapPeakMB.toFixed(0)} MB (${ratio(rss[1]!.heapPeakMB, rss[0]!.heapPeakMB)}x); RSS ${rss[0]!.maxRssMB.toFixed(0)} vs ${rss[1]!.maxRssMB.toFixed(0)} MB`,
    target: 'Node memory flat',
  });
}

const rssAt = process.argv.indexOf('--rss');
if (rssAt > 0) await rssChild(Number(process.argv[rssAt + 1]));
else await main();
if (process.env.OUTFLOW_BENCH_KEEP !== '1' && rssAt < 0 && process.argv[2] !== undefined && Number(process.argv[2]) < 100_000) rmSync(FILE, { force: true });
