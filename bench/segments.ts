/**
 * Compiled segment SQL against hand-written SQL for the same segment, on DuckDB with 1M persons and
 * 20M events generated in SQL (kept in bench/.data/ and reused). Five representative segments;
 * for each, the compiled count query and the hand-written one(s) run alternately, several times,
 * and the bench prints the medians and the ratio compiled / fastest hand-written form. Target: compiled <= 1.2x hand-written.
 * Both must return the same count.
 *   npx tsx bench/segments.ts [persons] [events] [repetitions]
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../src/config/schema';
import { baseWorkspace } from '../test/support/workspace';
import { compileCount, compileMembers } from '../src/segments';
import { DuckDbDriver } from '../src/warehouse/duckdb/driver';
import { figure } from './figures';
import { ensureBenchData } from './bench-data';

const PERSONS = Number(process.argv[2] ?? 1_000_000);
const EVENTS = Number(process.argv[3] ?? 20_000_000);
const REPS = Number(process.argv[4] ?? 5);
const TARGET = 1.2;
const AS_OF = new Date('2026-03-31T10:00:00Z');
const T = `TIMESTAMPTZ '2026-03-31 10:00:00+00'`;
const FILE = path.resolve('bench/.data', `segments-${PERSONS}-${EVENTS}.duckdb`);

const workspace: Workspace = baseWorkspace({
  schema: 'b',
  entity: { identifiers: { email: 'email' } },
  segments: [
    {
      id: 'event-window',
      entity: 'person',
      name: 'Bought in the last 30 days',
      rules: { conditions: [{ kind: 'event', event: 'purchase', window: { last: 30, unit: 'day' } }] },
    },
    {
      id: 'count-threshold',
      entity: 'person',
      name: 'At least 3 page views in 30 days',
      rules: { conditions: [{ kind: 'event', event: 'page_view', count: { op: '>=', value: 3 }, window: { last: 30, unit: 'day' } }] },
    },
    {
      id: 'negation',
      entity: 'person',
      name: 'No purchase in 90 days',
      rules: { conditions: [{ kind: 'event', event: 'purchase', performed: false, window: { last: 90, unit: 'day' } }] },
    },
    {
      id: 'nested-ref',
      entity: 'person',
      name: 'Recent buyers on a paid plan or US 30+',
      rules: {
        conditions: [
          { kind: 'segment', segment: 'event-window' },
          {
            kind: 'group',
            match: 'any',
            conditions: [
              { kind: 'trait', trait: 'plan', op: 'in', value: ['pro', 'team'] },
              {
                kind: 'group',
                match: 'all',
                conditions: [
                  { kind: 'trait', trait: 'age', op: '>=', value: 30 },
                  { kind: 'trait', trait: 'country', op: '=', value: 'US' },
                ],
              },
            ],
          },
        ],
      },
    },
    {
      id: 'relation-trait',
      entity: 'person',
      name: 'People at large SaaS companies',
      rules: {
        conditions: [
          { kind: 'trait', trait: 'company.industry', op: '=', value: 'saas' },
          { kind: 'trait', trait: 'company.employees', op: '>=', value: 1000 },
        ],
      },
    },
  ],
});

/**
 * What an analyst would write by hand for the same segments (literals inlined). Where two
 * natural forms exist (EXISTS / IN, JOIN / IN), both are timed and the faster one is the baseline.
 */
const HAND_WRITTEN: Record<string, string[]> = {
  'event-window': [
    `select count(*) as n from b.persons p where exists (
      select 1 from b.events e where e.person_id = p.person_id and e.event_name = 'purchase'
        and e.occurred_at between ${T} - interval 30 day and ${T})`,
    `select count(*) as n from b.persons p where p.person_id in (
      select person_id from b.events where event_name = 'purchase'
        and occurred_at between ${T} - interval 30 day and ${T})`,
  ],
  'count-threshold': [
    `select count(*) as n from b.persons p join (
      select person_id from b.events where event_name = 'page_view'
        and occurred_at between ${T} - interval 30 day and ${T}
      group by person_id having count(*) >= 3) e using (person_id)`,
    `select count(*) as n from b.persons p where p.person_id in (
      select person_id from b.events where event_name = 'page_view'
        and occurred_at between ${T} - interval 30 day and ${T}
      group by person_id having count(*) >= 3)`,
  ],
  negation: [
    `select count(*) as n from b.persons p where not exists (
      select 1 from b.events e where e.person_id = p.person_id and e.event_name = 'purchase'
        and e.occurred_at between ${T} - interval 90 day and ${T})`,
    `select count(*) as n from b.persons p anti join (
      select person_id from b.events where event_name = 'purchase'
        and occurred_at between ${T} - interval 90 day and ${T}) e on e.person_id = p.person_id`,
  ],
  'nested-ref': [
    `select count(*) as n from b.persons p
      where p.person_id in (select person_id from b.events where event_name = 'purchase'
        and occurred_at between ${T} - interval 30 day and ${T})
      and (p.plan in ('pro', 'team') or (p.age >= 30 and p.country = 'US'))`,
  ],
  'relation-trait': [
    `select count(*) as n from b.persons p join b.companies c on c.company_id = p.company_id
      where c.industry = 'saas' and c.employees >= 1000`,
  ],
};

async function timed(db: DuckDbDriver, sql: string, params: readonly unknown[]): Promise<{ ms: number; n: number }> {
  const start = process.hrtime.bigint();
  const rows = await db.query<{ n: number }>(sql, params as never);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, n: Number(rows[0]!.n) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

mkdirSync(path.dirname(FILE), { recursive: true });
const db = await DuckDbDriver.open({ path: FILE, settings: { threads: '2' } });
try {
  await ensureBenchData(db, PERSONS, EVENTS, FILE);
  console.log(`DuckDB, ${PERSONS.toLocaleString('en')} persons / ${EVENTS.toLocaleString('en')} events, ${REPS} alternating repetitions, medians`);
  console.log(`${'segment'.padEnd(16)} ${'members'.padStart(9)} ${'compiled ms'.padStart(12)} ${'hand ms'.padStart(9)} ${'ratio'.padStart(6)}  (compiled members query, ms)`);
  let worst = 0;
  let mismatch = false;
  const ratios: string[] = [];
  for (const segment of workspace.segments) {
    const compiled = compileCount(workspace, segment.id, { dialect: db.dialect, asOf: AS_OF });
    const members = compileMembers(workspace, segment.id, { dialect: db.dialect, asOf: AS_OF, identifiers: ['email'] });
    const hands = HAND_WRITTEN[segment.id]!;
    // One warm-up run each, so no query pays for the first read of the file.
    const c0 = await timed(db, compiled.sql, compiled.params);
    for (const [i, hand] of hands.entries()) {
      const h0 = await timed(db, hand, []);
      if (c0.n !== h0.n) {
        mismatch = true;
        console.log(`${segment.id}: COUNTS DIFFER compiled ${c0.n} vs hand-written #${i + 1} ${h0.n}`);
      }
    }
    const cs: number[] = [];
    const hs: number[][] = hands.map(() => []);
    for (let i = 0; i < REPS; i++) {
      // Alternate which side goes first, so drift on a shared machine hits both alike.
      if (i % 2 === 0) cs.push((await timed(db, compiled.sql, compiled.params)).ms);
      for (const [k, hand] of hands.entries()) hs[k]!.push((await timed(db, hand, [])).ms);
      if (i % 2 === 1) cs.push((await timed(db, compiled.sql, compiled.params)).ms);
    }
    const m = await timed(db, `select count(*) as n from (${members.sql}) q`, members.params);
    const handMedians = hs.map(median);
    const best = Math.min(...handMedians);
    const ratio = median(cs) / best;
    worst = Math.max(worst, ratio);
    ratios.push(`${segment.id} ${ratio.toFixed(2)}`);
    const forms = handMedians.length > 1 ? `  hand forms: ${handMedians.map((x) => x.toFixed(1)).join(' / ')}` : '';
    console.log(
      `${segment.id.padEnd(16)} ${String(c0.n).padStart(9)} ${median(cs).toFixed(1).padStart(12)} ${best.toFixed(1).padStart(9)} ${ratio.toFixed(2).padStart(6)}  (${m.ms.toFixed(1)})${forms}`,
    );
  }
  console.log(`worst ratio ${worst.toFixed(2)} (target <= ${TARGET}): ${worst <= TARGET ? 'ok' : 'MISSED'}`);
  figure({
    what: `bench/segments.ts: DuckDB, ${PERSONS.toLocaleString('en')} persons / ${EVENTS.toLocaleString('en')} events, compiled ÷ fastest hand-written`,
    figure: ratios.join(', '),
    target: `<= ${TARGET}x`,
    met: !mismatch && worst <= TARGET,
  });
  process.exitCode = mismatch || worst > TARGET ? 1 : 0;
} finally {
  await db.close();
}
