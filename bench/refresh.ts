/**
 * `segments refresh` at scale, on DuckDB and on PostgreSQL: 2M persons, 12M events, a 1M-member
 * segment, 1% churn between refreshes. Two segments, as in bench/sync.ts: a behavioural one
 * (bought in the last 100 days; the second refresh moves its as-of by a day after a day of new
 * events) and a single-trait one (`score < N`, the cheapest evaluation there is, so the refresh's
 * fixed work weighs most: the worst case). Prints, against a baseline measured in the same run:
 *  - second-refresh time vs bare evaluation (materialising the members; target <= 1.5x, as for a sync),
 *    with the time of each statement (the refresh never materialises the members: one statement
 *    evaluates the segment and diffs it against its membership);
 *  - the plan shape of every refresh statement (EXPLAIN): anti-joins by hash, no plain SubPlan,
 *    no nested loop over a whole table.
 *   npx tsx bench/refresh.ts [members] [duckdb,postgres]
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Workspace } from '../src/config/schema';
import { compileMembers } from '../src/segments';
import { refreshSegment, refreshStatements } from '../src/state/membership';
import { ensureStateSchema } from '../src/state/state-sql';
import { openWarehouse } from '../src/warehouse';
import type { CompiledQuery, WarehouseDriver } from '../src/warehouse/driver';
import { explainDuckDb, explainPostgres, type PlanShape } from '../test/support/plan-shape';
import { PG_URL, postgresReachable } from '../test/support/pg';
import { baseWorkspace } from '../test/support/workspace';

const MEMBERS = Number(process.argv[2] ?? 1_000_000);
const ENGINES = (process.argv[3] ?? 'duckdb,postgres').split(',');
const PERSONS = 2 * MEMBERS;
const EVENTS_PER_PERSON = 6;
const BASE = new Date('2026-06-01T00:00:00Z');
const DAY_MS = 86_400_000;
/** Purchase share of events, chosen so about MEMBERS persons bought in the 100 days before BASE. */
const PURCHASE_SHARE = -Math.log(1 - MEMBERS / PERSONS) / (EVENTS_PER_PERSON * (100 / 365));
const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '.data', `refresh-${PERSONS}.duckdb`);
const DATA = 'bench_refresh';
const STATE = 'bench_refresh_state';

/** What differs between the engines: how to generate the data, churn it and explain a statement. */
interface Engine {
  name: 'duckdb' | 'postgres';
  open(): Promise<WarehouseDriver>;
  generate(w: WarehouseDriver): Promise<void>;
  /** 0.5% of the trait segment's members leave and as many join (`round` picks fresh joiners). */
  churnTrait(w: WarehouseDriver, round: number): Promise<void>;
  /** A day of new events, the day before `day`. */
  newDay(w: WarehouseDriver, day: Date): Promise<void>;
  /** EXPLAIN `q` as a refresh runs it: after `settings` (the dialect's refresh-plan-settings), in one transaction. */
  explain(w: WarehouseDriver, q: CompiledQuery, settings: string): Promise<PlanShape>;
}

const ENGINE_DEFS: Engine[] = [
  {
    name: 'duckdb',
    open: () => openWarehouse({ type: 'duckdb', path: FILE }),
    async generate(w) {
      await w.execute(`create schema if not exists ${DATA}`);
      await w.execute(`create or replace table ${DATA}.persons as
        select 'p' || i as person_id, 'user' || i || '@example.com' as email, row_number() over (order by hash(i)) - 1 as score
        from range(${PERSONS}) t(i)`);
      await w.execute(`create or replace table ${DATA}.events as
        select 'p' || (hash(i) % ${PERSONS}) as person_id,
          case when (hash(i * 7) % 1000000) / 1000000.0 < ${PURCHASE_SHARE} then 'purchase' else 'page_view' end as event_name,
          $1::timestamptz - to_microseconds(cast(hash(i * 13) % ${365 * DAY_MS * 1000} as bigint)) as occurred_at
        from range(${PERSONS * EVENTS_PER_PERSON}) t(i)`, [BASE]);
      await w.execute('checkpoint');
    },
    async churnTrait(w, round) {
      await churnByScore(w, round);
      await w.execute('checkpoint');
    },
    async newDay(w, day) {
      await w.execute(`insert into ${DATA}.events
        select 'p' || (hash(i, ${day.getTime()}) % ${PERSONS}),
          case when (hash(i * 7, ${day.getTime()}) % 1000000) / 1000000.0 < ${PURCHASE_SHARE} then 'purchase' else 'page_view' end,
          $1::timestamptz - to_microseconds(cast(hash(i * 13, ${day.getTime()}) % ${DAY_MS * 1000} as bigint))
        from range(${Math.round((PERSONS * EVENTS_PER_PERSON) / 365)}) t(i)`, [day]);
      await w.execute('checkpoint');
    },
    explain: (w, q) => explainDuckDb(w, q),
  },
  {
    name: 'postgres',
    open: () => openWarehouse({ type: 'postgres', connectionString: PG_URL }),
    async generate(w) {
      await w.execute(`drop schema if exists ${DATA} cascade`);
      await w.execute(`create schema ${DATA}`);
      await w.execute(`create table ${DATA}.persons as
        select 'p' || i as person_id, 'user' || i || '@example.com' as email, row_number() over (order by md5(i::text)) - 1 as score
        from generate_series(0, ${PERSONS - 1}) i`);
      await w.execute(`create table ${DATA}.events as
        select 'p' || (abs(hashint8(i)) % ${PERSONS}) as person_id,
          case when (abs(hashint8(i * 7)) % 1000000) / 1000000.0 < ${PURCHASE_SHARE} then 'purchase' else 'page_view' end as event_name,
          $1::timestamptz - make_interval(secs => abs(hashint8(i * 13)) % ${365 * 86_400}) as occurred_at
        from generate_series(0, ${PERSONS * EVENTS_PER_PERSON - 1}) i`, [BASE]);
      await w.execute(`analyze ${DATA}.persons`);
      await w.execute(`analyze ${DATA}.events`);
    },
    async churnTrait(w, round) {
      await churnByScore(w, round);
      await w.execute(`vacuum analyze ${DATA}.persons`);
    },
    async newDay(w, day) {
      await w.execute(`insert into ${DATA}.events
        select 'p' || (abs(hashint8(i + ${day.getTime()})) % ${PERSONS}),
          case when (abs(hashint8(i * 7 + ${day.getTime()})) % 1000000) / 1000000.0 < ${PURCHASE_SHARE} then 'purchase' else 'page_view' end,
          $1::timestamptz - make_interval(secs => abs(hashint8(i * 13 + ${day.getTime()})) % 86400)
        from generate_series(0, ${Math.round((PERSONS * EVENTS_PER_PERSON) / 365) - 1}) i`, [day]);
      await w.execute(`analyze ${DATA}.events`);
    },
    explain: (w, q, settings) => explainPostgres(w, q, settings ? [settings] : []),
  },
];

/** Members with the k highest scores leave (moved past every score); the next k non-members join. */
async function churnByScore(w: WarehouseDriver, round: number) {
  const k = Math.round(MEMBERS * 0.005);
  await w.execute(`update ${DATA}.persons set score = score + ${PERSONS} where score >= ${MEMBERS - k} and score < ${MEMBERS}`);
  const from = MEMBERS + (round - 1) * k;
  await w.execute(`update ${DATA}.persons set score = score - ${from - (MEMBERS - k)} where score >= ${from} and score < ${from + k}`);
}

function workspace(): Workspace {
  return baseWorkspace({
    schema: DATA,
    events: { sessionKey: undefined },
    company: false,
    entity: { identifiers: { email: 'email' } },
    segments: [
      { id: 'trait', entity: 'person', name: 'Trait', rules: { match: 'all', conditions: [{ kind: 'trait', trait: 'score', op: '<', value: MEMBERS }] } },
      { id: 'buyers', entity: 'person', name: 'Buyers', rules: { match: 'all', conditions: [{ kind: 'event', event: 'purchase', window: { last: 100, unit: 'day' } }] } },
    ],
    rest: { stateSchema: STATE },
  });
}

/** Times every statement that reaches the warehouse, inside transactions too, by what it does. */
function timing(w: WarehouseDriver): { driver: WarehouseDriver; take(): Map<string, number> } {
  let spent = new Map<string, number>();
  const label = (sql: string) =>
    /^insert into \S+\."refresh_/.test(sql) ? 'evaluate and diff' :
    /^select \(select count/.test(sql) ? 'count' :
    /^insert into \S+\."segment_membership_history"/.test(sql) ? 'open stays' :
    /^update \S+\."segment_membership_history"/.test(sql) ? 'close stays' :
    /^delete from \S+\."segment_membership"/.test(sql) ? 'delete members' :
    /^insert into \S+\."segment_membership"/.test(sql) ? 'insert members' :
    /^update \S+\."segment_membership" /.test(sql) ? 'move members' : 'bookkeeping';
  const wrap = (d: WarehouseDriver): WarehouseDriver =>
    new Proxy(d, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        // A transaction's own time beyond its statements is its commit.
        if (key === 'transaction')
          return async <T>(fn: (tx: WarehouseDriver) => Promise<T>) => {
            const before = [...spent.values()].reduce((a, b) => a + b, 0);
            const t0 = performance.now();
            try {
              return await target.transaction((tx) => fn(wrap(tx)));
            } finally {
              const inside = [...spent.values()].reduce((a, b) => a + b, 0) - before;
              spent.set('commit', (spent.get('commit') ?? 0) + performance.now() - t0 - inside);
            }
          };
        if (key !== 'execute' && key !== 'query') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return async (sql: string, params?: unknown[]) => {
          const t0 = performance.now();
          try {
            return await (value as (s: string, p?: unknown[]) => Promise<unknown>).call(target, sql, params);
          } finally {
            const l = label(sql);
            spent.set(l, (spent.get(l) ?? 0) + performance.now() - t0);
          }
        };
      },
    });
  return {
    driver: wrap(w),
    take() {
      const out = spent;
      spent = new Map();
      return out;
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

/** Materialising the members, nothing else (median of 3): what a refresh cannot do without. */
async function bareEvaluation(w: WarehouseDriver, ws: Workspace, segmentId: string, asOf: Date): Promise<number> {
  const q = compileMembers(ws, segmentId, { dialect: w.dialect, asOf });
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    await w.execute(`drop table if exists ${STATE}.bare_eval`);
    const [, ms] = await timed(() => w.execute(`create table ${STATE}.bare_eval as select cast(q.person_id as text) as person_id from (${q.sql}) q`, q.params));
    times.push(ms);
  }
  await w.execute(`drop table if exists ${STATE}.bare_eval`);
  return times.sort((a, b) => a - b)[1]!;
}

/** The plan of every refresh statement, as the refresh runs it, its diff table filled by its own diff at `asOf`. */
async function plans(engine: Engine, w: WarehouseDriver, ws: Workspace, segmentId: string, asOf: Date): Promise<{ name: string; shape: PlanShape }[]> {
  const state = await ensureStateSchema(w, STATE);
  const table = state.table('refresh_explain');
  const members = compileMembers(ws, segmentId, { dialect: w.dialect, asOf });
  const statements = refreshStatements(state, { table, segmentId, asOf, members });
  await state.execute('drop-table', { table });
  await state.execute('create-refresh-changes', { table });
  await w.execute(statements.diff.sql, statements.diff.params);
  const out = [
    { name: 'insert-refresh-changes (evaluate and diff)', shape: await engine.explain(w, statements.diff, '') },
    { name: 'refresh-count', shape: await engine.explain(w, statements.count, '') },
  ];
  const names = ['refresh-open-stays', 'refresh-close-stays', 'refresh-delete-members', 'refresh-insert-members'];
  for (const [i, q] of statements.apply.entries()) out.push({ name: names[i]!, shape: await engine.explain(w, q, statements.settings) });
  await state.execute('drop-table', { table });
  return out;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

async function benchEngine(engine: Engine) {
  const raw = await engine.open();
  const ws = workspace();
  process.stderr.write(`${engine.name}: generating ${PERSONS} persons and ${PERSONS * EVENTS_PER_PERSON} events ...\n`);
  await engine.generate(raw);
  await raw.execute(`drop schema if exists ${STATE} cascade`);
  const t = timing(raw);
  const deps = { warehouse: t.driver, workspace: ws };
  const day = (d: number) => new Date(BASE.getTime() + d * DAY_MS);
  console.log(`\n== ${engine.name}: ${PERSONS} persons, ${PERSONS * EVENTS_PER_PERSON} events`);
  for (const segmentId of ['buyers', 'trait']) {
    const [first, firstMs] = await timed(() => refreshSegment(deps, segmentId, day(0)));
    const firstSpent = t.take();
    if (segmentId === 'trait') await engine.churnTrait(raw, 1);
    else await engine.newDay(raw, day(1));
    const bareMs = await bareEvaluation(raw, ws, segmentId, day(1));
    const [second, secondMs] = await timed(() => refreshSegment(deps, segmentId, day(1)));
    const spent = t.take();
    const about = segmentId === 'buyers' ? 'behavioural "bought in the last 100 days", as-of +1 day and a day of new events' : 'single trait score < N (the cheapest evaluation: the worst case), 1% churn';
    console.log(`${segmentId}: ${about}`);
    console.log(`  first refresh: ${first.memberCount} members (+${first.added}) in ${seconds(firstMs)}`);
    console.log(`    ${[...firstSpent].map(([k, ms]) => `${k} ${seconds(ms)}`).join(', ')}`);
    console.log(`  second refresh: ${second.memberCount} members (+${second.added} -${second.removed}) in ${seconds(secondMs)}; bare evaluation ${seconds(bareMs)} -> refresh / bare = ${(secondMs / bareMs).toFixed(2)} (target <= 1.5)`);
    console.log(`    ${[...spent].map(([k, ms]) => `${k} ${seconds(ms)}`).join(', ')}`);
    if (segmentId === 'trait') {
      console.log(`  plan of each refresh statement (EXPLAIN, ${engine.name}):`);
      for (const { name, shape } of await plans(engine, raw, ws, segmentId, day(2))) {
        console.log(`    ${name}${shape.totalCost ? ` (cost ${shape.totalCost.toExponential(2)})` : ''}: ${shape.problems.length === 0 ? 'ok' : shape.problems.join('; ')}`);
        for (const line of shape.lines) console.log(`      ${line}`);
      }
    }
  }
  await raw.execute(`drop schema if exists ${STATE} cascade`);
  if (engine.name === 'postgres') await raw.execute(`drop schema if exists ${DATA} cascade`);
  await raw.close();
}

mkdirSync(path.dirname(FILE), { recursive: true });
for (const engine of ENGINE_DEFS.filter((e) => ENGINES.includes(e.name))) {
  if (engine.name === 'postgres' && !(await postgresReachable())) continue;
  await benchEngine(engine);
}
if (process.env.OUTFLOW_BENCH_KEEP !== '1') rmSync(FILE, { force: true });
