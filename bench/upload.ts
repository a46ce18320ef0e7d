/**
 * Upload throughput to the Meta contract fake with added per-request latency, against the
 * theoretical ceiling rowsPerRequest x concurrency / latency (target: >= 90%).
 *
 * The connector is driven the way the sync engine's uploader (src/sync/upload.ts) drives it:
 * batches of `batchLimit` rows, `concurrency` batches in flight. The fake runs in a child process.
 * Baseline in the same run: the same requests with payloads hashed ahead of time, sent by a bare
 * loop (the transport's ceiling without normalisation and hashing).
 *   npx tsx bench/upload.ts [members=1000000] [latencyMs=50]
 */
import { fork } from 'node:child_process';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { metaConnector, metaSettingsSchema } from '../connectors/meta';
import { sha256Hex } from '../src/identity/hash';
import type { Destination, MemberRow } from '../src/sync/destination';

const MEMBERS = Number(process.argv[2] ?? 1_000_000);
const LATENCY_MS = Number(process.argv[3] ?? 50);
const TOKEN = 'bench-token';

interface FakeProcess {
  url: string;
  count(): Promise<{ members: number; uploads: number }>;
  stop(): void;
}

async function startFake(): Promise<FakeProcess> {
  const child = fork(path.join(import.meta.dirname, 'upload-fake-server.ts'), [String(LATENCY_MS), TOKEN], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`fake exited ${code}`)));
  });
  return {
    url,
    count: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as { members: number; uploads: number }));
        child.send('count');
      }),
    stop: () => child.kill('SIGTERM'),
  };
}

/** The sync engine's pattern: `concurrency` lanes each taking the next batch of `batchLimit` rows. */
async function driveLikeTheUploader(dest: Destination, rows: readonly MemberRow[]): Promise<number> {
  const audience = await dest.createAudience({ name: `aud-bench-${randomInt(1e9)}` });
  const batches = Math.ceil(rows.length / dest.batchLimit);
  let next = 0;
  let rejected = 0;
  const lane = async () => {
    for (let seq = next++; seq < batches; seq = next++) {
      const batch = rows.slice(seq * dest.batchLimit, (seq + 1) * dest.batchLimit);
      const results = await dest.addMembers(audience, batch, { batchId: `bench/add/${seq}` });
      for (const r of results) if (!r.ok) rejected++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(dest.concurrency, batches) }, lane));
  return rejected;
}

/** Baseline: pre-hashed payloads, same request size, concurrency and session shape, bare fetch. */
async function bareBaseline(url: string, audienceId: string, emails: readonly string[], rowsPerRequest: number, concurrency: number): Promise<void> {
  const bodies: string[] = [];
  for (let i = 0; i < emails.length; i += rowsPerRequest) {
    const data = emails.slice(i, i + rowsPerRequest).map((e) => [sha256Hex(e)]);
    bodies.push(JSON.stringify({ payload: { schema: ['EMAIL'], data }, session: { session_id: i + 1, batch_seq: 1, last_batch_flag: true }, access_token: TOKEN }));
  }
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const res = await fetch(`${url}/v25.0/${audienceId}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i] });
      await res.text();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return void (baselineSeconds = (performance.now() - started) / 1000);
}
let baselineSeconds = 0;

const fake = await startFake();
try {
  const settings = metaSettingsSchema.parse({ adAccountId: '1234567890', accessToken: TOKEN, apiBaseUrl: fake.url });
  const dest = metaConnector.create(settings, { baseDir: '.' });
  const rows: MemberRow[] = Array.from({ length: MEMBERS }, (_, i) => ({ personId: String(i), identifiers: { email: ` Member.${i}@Example.com ` } }));
  const theoretical = (settings.rowsPerRequest * dest.concurrency) / (LATENCY_MS / 1000);
  console.log(
    `members ${MEMBERS.toLocaleString('en')} (email), latency ${LATENCY_MS} ms/request, rowsPerRequest ${settings.rowsPerRequest}, ` +
      `batchLimit ${dest.batchLimit}, concurrency ${dest.concurrency}`,
  );
  console.log(`theoretical  rowsPerRequest x concurrency / latency = ${Math.round(theoretical).toLocaleString('en')} rows/s`);

  // Warm-up (JIT, connection pool) on a small audience, not measured.
  await driveLikeTheUploader(dest, rows.slice(0, 20_000));

  const started = performance.now();
  const rejected = await driveLikeTheUploader(dest, rows);
  const seconds = (performance.now() - started) / 1000;
  const achieved = MEMBERS / seconds;
  const { members } = await fake.count();

  const audience = await dest.createAudience({ name: 'aud-bench-baseline' });
  const sample = Math.min(MEMBERS, 200_000);
  await bareBaseline(fake.url, audience.id, rows.slice(0, sample).map((r) => String(r.identifiers.email).trim().toLowerCase()), settings.rowsPerRequest, dest.concurrency);
  const baseline = sample / baselineSeconds;

  console.log(`baseline     pre-hashed payloads, bare fetch loop   ${Math.round(baseline).toLocaleString('en')} rows/s (${(baseline / theoretical * 100).toFixed(1)}% of theoretical)`);
  console.log(
    `connector    normalise + hash + session upload   ${Math.round(achieved).toLocaleString('en')} rows/s in ${seconds.toFixed(2)} s ` +
      `(${((achieved / theoretical) * 100).toFixed(1)}% of theoretical, ${((achieved / baseline) * 100).toFixed(1)}% of baseline; ${rejected} rejected)`,
  );
  console.log(`fake holds ${members.toLocaleString('en')} members in total (warm-up included)`);
  console.log(`target >= 90% of theoretical: ${achieved / theoretical >= 0.9 ? 'met' : 'NOT met'}`);
} finally {
  fake.stop();
}
