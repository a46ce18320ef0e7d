import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkedInSettingsSchema } from '../../connectors/linkedin';
import { parseWorkspace } from '../../src/config/load';
import { LinkedInFake } from '../../src/sandbox/linkedin';
import type { CrashPoint, FakeAudienceCheck } from './support/crash-child';

/**
 * Crash safety (DESIGN "One sync run"): sync runs are SIGKILLed at random points — random delays
 * (anywhere in the run: start-up, evaluation and diff, upload, commit), around every destination call, after acknowledgements, between
 * upload and commit, after commit — and the rerun must leave the destination equal to the
 * segment, without re-sending an acknowledged batch or removing anyone twice. Each child process
 * first reruns and checks what the previous trial's crash left, then changes the data a little and
 * runs the sync with one crash point armed, repeating churn and run until the crash hits (see
 * support/crash-child.ts). Independent lanes (own DuckDB file and export folder) run side by side.
 * One more lane syncs through a kit connector (LinkedIn) to its contract fake, which lives here in
 * the parent so its audience outlives every child; a child asks for it over the IPC channel.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WANTED = Number(process.env.OUTFLOW_CRASH_TRIALS ?? 200);
const LANES = Number(process.env.OUTFLOW_CRASH_LANES ?? 3);
const SEED = Number(process.env.OUTFLOW_CRASH_SEED ?? Date.now() % 2 ** 31);
// The bundle sits two levels below the repository so its templates resolve as from src/warehouse/.
const WORK = path.join(REPO, 'scratch', `crash-${process.pid}`);
const CHILD = path.join(WORK, 'child.mjs');
// SIGKILL keeps the page cache, so the lanes' files can live in memory: no fsync waits.
const DATA = path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `outflow-crash-${process.pid}`);

const EVENTS: [event: string, maxNth: number][] = [
  ['run_started', 1],
  ['diff_computed', 1],
  ['remove_call', 1],
  ['remove_written', 1],
  ['add_call', 2],
  ['add_written', 2],
  ['batch_acknowledged', 2],
  ['upload_done', 1],
  ['snapshot_committed', 1],
];

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Lane {
  dir: string;
  db: string;
  dest: string;
  log: string;
  results: string;
  workspace: string;
  /** Children of this lane that were SIGKILLed. */
  crashes: number;
  /** The contract fake of a kit-connector lane, and the connector's parsed settings (JSON). */
  fake?: LinkedInFake;
  settings?: string;
}

/** The audience's name on the platform: the segment's alias. */
const AUDIENCE = 'vip-people';

function lane(i: number, fake?: LinkedInFake): Lane {
  const dir = path.join(DATA, `lane-${i}`);
  mkdirSync(dir, { recursive: true });
  const db = path.join(dir, 'warehouse.duckdb');
  const dest = path.join(dir, 'exports');
  // Two elements a request and two requests in flight: a run's few changes still make several calls.
  const settings = fake && linkedInSettingsSchema.parse(fake.settings({ elementsPerRequest: 2, concurrency: 2, segmentReadyDelayMs: 0, requestTimeoutMs: 5_000 }));
  // Thirty people are below LinkedIn's minimum of 300; minAudienceSize 0 lets the runs go on.
  const destination = settings
    ? `{id: out, type: linkedin, minAudienceSize: 0, settings: ${JSON.stringify(settings)}}`
    : `{id: out, type: file, settings: {path: ${dest}, batchLimit: 3, concurrency: 2}}`;
  const { workspace } = parseWorkspace(`
version: 1
warehouse: {type: duckdb, path: ${db}}
entities:
  - {id: person, sql: "select * from persons where vip", primaryKey: person_id, identifiers: {email: email}}
segments:
  - {id: vips, entity: person, name: VIPs, type: everyone, alias: ${AUDIENCE}}
destinations:
  - ${destination}
syncs:
  - {id: vip-sync, segment: vips, destination: out, maxRemovalShare: 1, allowEmpty: true}
`);
  const l: Lane = { dir, db, dest, log: path.join(dir, 'sends.jsonl'), results: path.join(dir, 'results.jsonl'), workspace: JSON.stringify(workspace), crashes: 0 };
  if (fake && settings) Object.assign(l, { fake, settings: JSON.stringify(settings) });
  writeFileSync(l.log, '');
  writeFileSync(l.results, '');
  return l;
}

function runChild(l: Lane, trial: number, seed: number, crash: CrashPoint): Promise<{ signal: NodeJS.Signals | null; code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD], {
      env: {
        PATH: process.env.PATH,
        CRASH_TRIAL: String(trial),
        CRASH_SEED: String(seed),
        CRASH_POINT: JSON.stringify(crash),
        CRASH_LOG: l.log,
        CRASH_RESULTS: l.results,
        CRASH_DB: l.db,
        CRASH_DEST: l.dest,
        CRASH_WORKSPACE: l.workspace,
        ...(l.settings ? { CRASH_LINKEDIN: l.settings } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // A kit-connector lane's child sends the members it expects; the fake's audience is compared here.
    child.on('message', (want: string[]) => {
      if (l.fake) child.send(compareFakeAudience(l.fake, want));
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

/** The fake's audience named AUDIENCE against the member tuples a child expects; one audience of that name only. */
function compareFakeAudience(fake: LinkedInFake, want: string[]): FakeAudienceCheck {
  const ids = [...fake.segments].filter(([, seg]) => seg.audience.name === AUDIENCE).map(([id]) => id);
  const have = new Set(ids.length === 1 ? fake.members(ids[0]!) : []);
  const wanted = new Set(want);
  return {
    missing: want.filter((x) => !have.has(x)),
    extra: [...have].filter((x) => !wanted.has(x)),
    violations: ids.length > 1 ? [`${ids.length} segments named ${AUDIENCE}`] : [],
  };
}

describe('crash safety of sync runs (SIGKILL in child processes)', () => {
  beforeAll(async () => {
    for (const dir of [WORK, DATA]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    await build({
      entryPoints: [path.join(REPO, 'test/sync/support/crash-child.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: CHILD,
      // Only the native binding stays outside: one pre-parsed file keeps each child's start-up short.
      external: ['@duckdb/node-bindings'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'error',
      // The child evaluates an everyone-segment; a small stand-in keeps the compiler and zod out of
      // its start-up (the compiler has its own tests; this one is about the sync machinery).
      plugins: [
        {
          name: 'everyone-compiler',
          setup(b) {
            b.onResolve({ filter: /\/segments$/ }, (args) =>
              /[\\/]src[\\/](state|sync)[\\/]/.test(args.importer) ? { path: path.join(REPO, 'test/sync/support/everyone-compiler.ts') } : undefined,
            );
          },
        },
      ],
    });
  });
  const linkedIn = new LinkedInFake();
  afterAll(async () => {
    await linkedIn.stop();
    for (const dir of [WORK, DATA]) rmSync(dir, { recursive: true, force: true });
  });

  it(`recovers from >= ${WANTED} random crashes with the destination equal to the segment`, async () => {
    const rand = mulberry32(SEED);
    const failures: string[] = [];
    const crashedAt = new Map<string, number>();
    let crashes = 0;
    let trials = 0;
    const started = Date.now();

    const drive = async (l: Lane) => {
      while (crashes < WANTED && trials < WANTED * 2 && failures.length < 5) {
        const trial = ++trials;
        let crash: CrashPoint;
        if (rand() < 0.4) crash = { type: 'timer', fraction: rand() };
        else {
          const [event, maxNth] = EVENTS[Math.floor(rand() * EVENTS.length)]!;
          crash = { type: 'event', event, nth: 1 + Math.floor(rand() * maxNth) };
        }
        const child = await runChild(l, trial, Math.floor(rand() * 2 ** 31), crash);
        if (child.signal === 'SIGKILL') {
          crashes++;
          l.crashes++;
          const key = crash.type === 'timer' ? 'timer' : crash.event;
          crashedAt.set(key, (crashedAt.get(key) ?? 0) + 1);
        } else if (child.code !== 0) failures.push(`trial ${trial}: child exited ${child.code}: ${child.out.slice(0, 800)}`);
      }
      // The rerun after the lane's last crash.
      const last = await runChild(l, 0, 0, { type: 'none' });
      if (last.code !== 0) failures.push(`final rerun exited ${last.code}: ${last.out.slice(0, 800)}`);
    };
    await linkedIn.start();
    // The kit lane takes a share of the crashes, so the test takes about as long as before.
    const lanes = [...Array.from({ length: LANES }, (_, i) => lane(i)), lane(LANES, linkedIn)];
    await Promise.all(lanes.map(drive));

    let survived = 0;
    for (const l of lanes) {
      let reruns = 0;
      for (const line of readFileSync(l.results, 'utf8').split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line) as { trial: number; stage: string; ok?: boolean };
        if (r.stage !== 'timing' && !r.ok) failures.push(`${path.basename(l.dir)}: ${line}`);
        if (r.stage === 'rerun') reruns++;
        if (r.stage === 'survived') survived++;
      }
      expect(reruns).toBeGreaterThan(0);
      // Every lane, the kit connector's among them, took its share of the crashes.
      expect(l.crashes, path.basename(l.dir)).toBeGreaterThanOrEqual(Math.floor(WANTED / lanes.length / 3));
      // No batch was sent after its acknowledgement was recorded.
      const acked = new Set<string>();
      for (const line of readFileSync(l.log, 'utf8').split('\n')) {
        if (!line) continue;
        const e = JSON.parse(line) as { t: string; batchId: string; trial: number };
        if (e.t === 'ack') acked.add(e.batchId);
        else if (acked.has(e.batchId)) failures.push(`${path.basename(l.dir)} trial ${e.trial}: acknowledged batch ${e.batchId} was sent again`);
      }
    }
    console.info(
      `crash trials: ${crashes} crashes (${lanes.map((l) => l.crashes).join(' + ')} by lane, the last through LinkedIn) in ${trials} child processes (${survived} armed runs survived and were checked too), ${Math.round((Date.now() - started) / 1000)}s, ${LANES} lanes (seed ${SEED}); by point: ${JSON.stringify(Object.fromEntries(crashedAt))}`,
    );
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(crashes).toBeGreaterThanOrEqual(WANTED);
    expect(crashedAt.size).toBeGreaterThanOrEqual(8);
  }, 600_000);
});
