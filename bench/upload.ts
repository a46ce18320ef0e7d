/**
 * Upload throughput to the Meta contract fake with added per-request latency, against the
 * theoretical ceiling rowsPerRequest x concurrency / latency (target: >= 90%).
 *
 * The connector is driven the way the sync engine's uploader (src/sync/upload.ts) drives it:
 * batches of `batchLimit` rows, `concurrency` batches in flight. The fake runs in a child process.
 * Baselines in the same run: the same requests with payloads hashed ahead of time, sent by a bare
 * fetch loop and by a bare node:http loop (the connector's transport): the transport's ceiling
 * without normalisation and hashing.
 * Then the same members go through the whole sync engine (`runSync`: DuckDB evaluation, diff,
 * ledgered upload with src/sync/upload.ts), timing its upload phase from progress events.
 *   npx tsx bench/upload.ts [members=1000000] [latencyMs=50] [rowsPerRequest=10000]
 */
import { fork } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { metaConnector, metaSettingsSchema } from '../connectors/meta';
import { parseWorkspace } from '../src/config/load';
import { sha256Hex } from '../src/identity/hash';
import type { Destination, MemberRow } from '../src/sync/destination';
import { destinationFactory } from '../src/sync/destinations';
import { runSync } from '../src/sync/run-sync';
import { openWarehouse } from '../src/warehouse';

const MEMBERS = Number(process.argv[2] ?? 1_000_000);
const LATENCY_MS = Number(process.argv[3] ?? 50);
/** Rows per request (Meta's maximum by default); smaller shows the latency-bound regime on a busy machine. */
const ROWS_PER_REQUEST = Number(process.argv[4] ?? 10_000);
const TOKEN = 'bench-token';

interface FakeProcess {
  url: string;
  count(): Promise<{ members: number; uploads: number; cpuMicros: number }>;
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
        child.once('message', (m) => resolve(m as { members: number; uploads: number; cpuMicros: number }));
        child.send('count');
      }),
    stop: () => child.kill('SIGTERM'),
  };
}

/** Members `from <= i < to`, built per batch the way the uploader reads a page of the diff. */
function memberRows(from: number, to: number): MemberRow[] {
  const rows = new Array<MemberRow>(to - from);
  for (let i = from; i < to; i++) rows[i - from] = { personId: String(i), identifiers: { email: ` Member.${i}@Example.com ` } };
  return rows;
}

/** The sync engine's pattern: `concurrency` lanes each taking the next batch of `batchLimit` rows. */
async function driveLikeTheUploader(dest: Destination, members: number): Promise<number> {
  const audience = await dest.createAudience({ name: `aud-bench-${randomInt(1e9)}` });
  const batches = Math.ceil(members / dest.batchLimit);
  let next = 0;
  let rejected = 0;
  const lane = async () => {
    for (let seq = next++; seq < batches; seq = next++) {
      const batch = memberRows(seq * dest.batchLimit, Math.min(members, (seq + 1) * dest.batchLimit));
      const results = await dest.addMembers(audience, batch, { batchId: `bench/add/${seq}` });
      for (const r of results) if (!r.ok) rejected++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(dest.concurrency, batches) }, lane));
  return rejected;
}

/** Sends one JSON body with a POST and reads the reply to the end. */
type Post = (url: string, body: string) => Promise<void>;

const viaFetch: Post = async (url, body) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.text();
};

const keepAlive = new Agent({ keepAlive: true });
const viaNodeHttp: Post = (url, body) =>
  new Promise((resolve, reject) => {
    const bytes = Buffer.from(body);
    const req = request(url, { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(bytes);
  });

/**
 * Baseline: pre-hashed payloads, same request size, concurrency and session shape, sent by a bare
 * loop. Returns the seconds taken.
 */
async function bareBaseline(post: Post, url: string, audienceId: string, emails: readonly string[], rowsPerRequest: number, concurrency: number): Promise<number> {
  const bodies: string[] = [];
  for (let i = 0; i < emails.length; i += rowsPerRequest) {
    const data = emails.slice(i, i + rowsPerRequest).map((e) => [sha256Hex(e)]);
    bodies.push(JSON.stringify({ payload: { schema: ['EMAIL'], data }, session: { session_id: i + 1, batch_seq: 1, last_batch_flag: true }, access_token: TOKEN }));
  }
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < bodies.length; i = next++) await post(`${url}/v25.0/${audienceId}/users`, bodies[i] as string);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return (performance.now() - started) / 1000;
}

/** The same members through `runSync` from an in-memory DuckDB; times the upload phase. */
async function throughTheSyncEngine(url: string) {
  const { workspace, dir } = parseWorkspace(
    `version: 1
warehouse: { type: duckdb, path: ":memory:" }
entities:
  - { id: member, table: main.members, primaryKey: member_id, identifiers: { email: email } }
segments:
  - { id: everyone, entity: member, name: Everyone, type: everyone, alias: aud-bench-engine }
destinations:
  - { id: meta, type: meta, settings: { adAccountId: "1234567890", accessToken: ${TOKEN}, apiBaseUrl: "${url}", rowsPerRequest: ${ROWS_PER_REQUEST} } }
syncs:
  - { id: everyone-meta, segment: everyone, destination: meta }
`,
    'bench.yaml',
  );
  const warehouse = await openWarehouse(workspace.warehouse, dir);
  try {
    await warehouse.execute(
      `create table main.members as select cast(i as varchar) as member_id, ' Member.' || i || '@Example.com ' as email from range(${MEMBERS}) t(i)`,
    );
    let first = 0;
    let last = 0;
    const started = performance.now();
    const r = await runSync(
      {
        warehouse,
        workspace,
        destinations: destinationFactory(workspace, dir),
        onProgress: (p) => {
          if (p.kind !== 'add') return;
          if (first === 0) first = performance.now();
          last = performance.now();
        },
      },
      { syncId: 'everyone-meta', asOf: new Date().toISOString() },
    );
    if (r.status !== 'synced') console.log(`sync engine run ${r.status}: ${r.reason ?? ''}`);
    return { status: r.status, added: r.added, uploadSeconds: (last - first) / 1000, runSeconds: (performance.now() - started) / 1000 };
  } finally {
    await warehouse.close();
  }
}

const fake = await startFake();
try {
  const settings = metaSettingsSchema.parse({ adAccountId: '1234567890', accessToken: TOKEN, apiBaseUrl: fake.url, rowsPerRequest: ROWS_PER_REQUEST });
  const dest = metaConnector.create(settings, { baseDir: '.' });
  const theoretical = (settings.rowsPerRequest * dest.concurrency) / (LATENCY_MS / 1000);
  console.log(
    `members ${MEMBERS.toLocaleString('en')} (email), latency ${LATENCY_MS} ms/request, rowsPerRequest ${settings.rowsPerRequest}, ` +
      `batchLimit ${dest.batchLimit}, concurrency ${dest.concurrency}`,
  );
  console.log(`theoretical  rowsPerRequest x concurrency / latency = ${Math.round(theoretical).toLocaleString('en')} rows/s`);

  // Warm-up (JIT, connection pool) on a small audience, not measured.
  await driveLikeTheUploader(dest, 20_000);

  const fakeBefore = await fake.count();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const rejected = await driveLikeTheUploader(dest, MEMBERS);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - started) / 1000;
  const cpuMicrosPerRow = (cpu.user + cpu.system) / MEMBERS;
  const achieved = MEMBERS / seconds;
  const { members, cpuMicros: fakeCpuAfter } = await fake.count();
  const fakeMicrosPerRow = (fakeCpuAfter - fakeBefore.cpuMicros) / MEMBERS;

  const sample = Math.min(MEMBERS, 200_000);
  const emails = memberRows(0, sample).map((r) => String(r.identifiers.email).trim().toLowerCase());
  const baselineOf = async (post: Post, name: string) =>
    sample / (await bareBaseline(post, fake.url, (await dest.createAudience({ name })).id, emails, settings.rowsPerRequest, dest.concurrency));
  const baseline = await baselineOf(viaFetch, 'aud-bench-baseline');
  const nodeBaseline = await baselineOf(viaNodeHttp, 'aud-bench-baseline-node');

  console.log(`baseline     pre-hashed payloads, bare fetch loop   ${Math.round(baseline).toLocaleString('en')} rows/s (${(baseline / theoretical * 100).toFixed(1)}% of theoretical)`);
  console.log(
    `baseline     pre-hashed payloads, bare node:http loop (the connector's transport)   ${Math.round(nodeBaseline).toLocaleString('en')} rows/s ` +
      `(${((nodeBaseline / theoretical) * 100).toFixed(1)}% of theoretical)`,
  );
  console.log(
    `connector    normalise + hash + session upload   ${Math.round(achieved).toLocaleString('en')} rows/s in ${seconds.toFixed(2)} s ` +
      `(${((achieved / theoretical) * 100).toFixed(1)}% of theoretical, ${((achieved / baseline) * 100).toFixed(1)}% of baseline, ` +
      `${((achieved / nodeBaseline) * 100).toFixed(1)}% of the node:http baseline; ${rejected} rejected)`,
  );
  console.log(
    `uploader CPU ${cpuMicrosPerRow.toFixed(2)} µs/row (build rows, normalise, hash, serialise, HTTP; the fake runs elsewhere): ` +
      `one free core sustains ${Math.round(1e6 / cpuMicrosPerRow).toLocaleString('en')} rows/s = ` +
      `${((1e6 / cpuMicrosPerRow / theoretical) * 100).toFixed(0)}% of theoretical`,
  );
  console.log(`fake CPU     ${fakeMicrosPerRow.toFixed(2)} µs/row (parse, check, keep the audience; in its own process)`);
  console.log(`fake holds ${members.toLocaleString('en')} members in total (warm-up included)`);
  console.log(`target >= 90% of theoretical: ${achieved / theoretical >= 0.9 ? 'met' : 'NOT met'}`);

  const engine = await throughTheSyncEngine(fake.url);
  console.log(
    `sync engine  runSync upload phase (DuckDB reads + ledger)   ${Math.round(MEMBERS / engine.uploadSeconds).toLocaleString('en')} rows/s ` +
      `in ${engine.uploadSeconds.toFixed(2)} s (${((MEMBERS / engine.uploadSeconds / theoretical) * 100).toFixed(1)}% of theoretical); ` +
      `whole run ${engine.runSeconds.toFixed(2)} s, status ${engine.status}, added ${engine.added.toLocaleString('en')}`,
  );
} finally {
  fake.stop();
}
