/**
 * One crash trial as its own process (bundled by crash.test.ts so start-up stays cheap):
 *  1. the rerun: run the sync to completion (resuming whatever the previous trial's crash left)
 *     and check that the exported audience equals the segment's members, nobody removed twice;
 *  2. change the data a little (seeded);
 *  3. run the sync again with one crash point armed: SIGKILL on the n-th occurrence of an event,
 *     or after a delay (a fraction of how long an armed run takes here, so it lands inside the
 *     run); a run that survives is checked, and 2-3 repeat (up to MAX_ATTEMPTS times) so that
 *     nearly every process ends in a crash.
 * Check results go to $CRASH_RESULTS; sends and acknowledgements to $CRASH_LOG.
 * With $CRASH_LINKEDIN (the connector's settings), the sync goes to the LinkedIn connector and its
 * contract fake in the parent process; the check sends the expected member tuples (by the fake's
 * own normalisation) to the parent over IPC, which compares them with the fake's audience.
 */
import { appendFileSync, existsSync, statSync } from 'node:fs';
import type { Workspace } from '../../../src/config/schema';
import { FileDestination, fileKeysOf } from '../../../connectors/file/writer';
import type { LinkedInSettings } from '../../../connectors/linkedin';
import { EncodePool } from '../../../connectors/shared/encode-pool';
import type { Destination } from '../../../src/destinations/contract';
import { LinkedInFake } from '../../../src/sandbox/linkedin';
import { runSync } from '../../../src/sync/steps';
import { DuckDbDriver } from '../../../src/warehouse/duckdb/driver';
import { logAck, loggingDestination } from './crash-log';
import { replayFileAudience } from './file-audience';

export type CrashPoint = { type: 'none' } | { type: 'event'; event: string; nth: number } | { type: 'timer'; fraction: number };

/** The parent's answer about a contract fake's audience. */
export interface FakeAudienceCheck {
  missing: string[];
  extra: string[];
  violations: string[];
}

const MAX_ATTEMPTS = 6;

const env = (k: string) => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`${k} is not set`);
  return v;
};
const trial = Number(env('CRASH_TRIAL'));
const tag = { trial };
const crash = JSON.parse(env('CRASH_POINT')) as CrashPoint;
const logFile = env('CRASH_LOG');
const results = env('CRASH_RESULTS');
const dest = env('CRASH_DEST');
// Parsed and validated by the parent; passing it as JSON keeps YAML parsing out of start-up.
const workspace = JSON.parse(env('CRASH_WORKSPACE')) as Workspace;

let seed = Number(env('CRASH_SEED')) >>> 0;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

let armed = false;
const counts = new Map<string, number>();
const point = (event: string) => {
  if (!armed || crash.type !== 'event' || crash.event !== event) return;
  const n = (counts.get(event) ?? 0) + 1;
  counts.set(event, n);
  if (n === crash.nth) process.kill(process.pid, 'SIGKILL');
};

// Tiny data: one DuckDB thread is plenty and leaves the cores to the other lanes.
const warehouse = await DuckDbDriver.open({ path: env('CRASH_DB'), settings: { threads: '1' } });
const linkedInSettings = process.env.CRASH_LINKEDIN;
// The destination directly: the connector registry would load settings validation too (the
// parent passes LinkedIn's settings parsed). Thirty rows are hashed on the main thread.
const target: Destination = linkedInSettings
  ? new (await import('../../../connectors/linkedin')).LinkedInDestination(JSON.parse(linkedInSettings) as LinkedInSettings, {
      baseDir: '/',
      destinationId: 'out',
      encodePool: new EncodePool({ threads: 0 }),
    })
  : new FileDestination({ path: dest, baseDir: '/', batchLimit: 3, concurrency: 2, identifiers: ['email'] });
const deps = {
  warehouse,
  workspace,
  destinations: async () => loggingDestination(target, logFile, tag, point),
  log: (event: string, fields?: Record<string, unknown>) => {
    if (event === 'batch_acknowledged') logAck(logFile, tag, fields?.batchId);
    point(event);
  },
};
const sync = () => runSync(deps, { syncId: 'vip-sync', asOf: new Date().toISOString() });

async function check(stage: string) {
  const people = await warehouse.query<{ person_id: string; email: string }>('select person_id, email from persons where vip');
  const { missing, extra, violations } = linkedInSettings ? await fakeAudience(people.map((r) => LinkedInFake.expectedTuple({ email: r.email }))) : fileAudience(people);
  const ok = violations.length === 0 && missing.length === 0 && extra.length === 0;
  appendFileSync(results, `${JSON.stringify({ trial, stage, ok, violations, missing, extra })}\n`);
}

/** The file destination's audience (replayed from its exports) against the segment's people. */
function fileAudience(people: { person_id: string; email: string }[]): FakeAudienceCheck {
  // The file destination holds keys (SHA-256 of the normalised email), never the email itself.
  const want = people
    .map((r) => {
      const keys = fileKeysOf({ personId: r.person_id, identifiers: { email: r.email } });
      return `${r.person_id}:${'email' in keys ? keys.email : 'none'}`;
    })
    .sort();
  const { members, violations } = replayFileAudience(dest, 'vip-people');
  const have = [...members].map(([id, email]) => `${id}:${email}`).sort();
  return { missing: want.filter((x) => !have.includes(x)), extra: have.filter((x) => !want.includes(x)), violations };
}

/** Asks the parent, which runs the contract fake, to compare its audience with `want`. */
function fakeAudience(want: string[]): Promise<FakeAudienceCheck> {
  return new Promise((resolve) => {
    process.once('message', (answer) => resolve(answer as FakeAudienceCheck));
    process.send?.(want);
  });
}

const exists = await warehouse.query<{ n: number }>(`select count(*) as n from information_schema.tables where table_name = 'persons'`);
if (Number(exists[0]?.n) === 0)
  await warehouse.execute(
    `create table persons as select 'p' || lpad(cast(i as varchar), 3, '0') as person_id, 'u' || i || '@example.com' as email, i % 3 <> 0 as vip from range(30) t(i)`,
  );

let t0 = Date.now();
const rerun = await sync();
if (rerun.status !== 'synced') throw new Error(`the rerun ended ${rerun.status}: ${rerun.reason}`);
const rerunMs = Date.now() - t0;
await check('rerun');
// Crashed processes never checkpoint, so DuckDB's WAL would grow across the lane's trials and
// every start would replay all of it (0.2 s per process at 600 KB); a checkpoint once it passes
// 128 KB keeps starts cheap. The writes since then stay in the WAL, so each start still recovers.
const wal = `${env('CRASH_DB')}.wal`;
if (existsSync(wal) && statSync(wal).size > 128 * 1024) await warehouse.execute('checkpoint');
if (crash.type === 'none') {
  await warehouse.close();
  process.exit(0);
}

/** A little churn: members leave and come back, identifiers change, new people arrive. */
async function churn(attempt: number) {
  for (let i = 0; i < 6; i++) {
    const id = `p${String(Math.floor(rand() * 36)).padStart(3, '0')}`;
    const what = rand();
    if (what < 0.6) await warehouse.execute('update persons set vip = not vip where person_id = $1', [id]);
    else if (what < 0.85) await warehouse.execute('update persons set email = $1 where person_id = $2', [`u${trial}x${attempt}x${i}@example.com`, id]);
    else await warehouse.execute('insert into persons select $1, $2, true where not exists (select 1 from persons where person_id = $1)', [id, `${id}@example.com`]);
  }
}

// How long an armed run takes: the first guess is half the rerun (which also paid for the cold
// start), then the last armed run's own time.
let runMs = rerunMs / 2;
for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
  await churn(attempt);
  armed = true;
  t0 = Date.now();
  const timer = crash.type === 'timer' ? setTimeout(() => process.kill(process.pid, 'SIGKILL'), Math.floor(crash.fraction * runMs)) : undefined;
  const r = await sync();
  clearTimeout(timer);
  armed = false;
  runMs = Date.now() - t0;
  if (r.status !== 'synced') throw new Error(`run ended ${r.status}: ${r.reason}`);
  await check('survived');
  appendFileSync(results, `${JSON.stringify({ trial, stage: 'timing', runMs })}\n`);
}
await warehouse.close();
process.exit(0);
