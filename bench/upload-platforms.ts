/**
 * Upload throughput of the LinkedIn, Microsoft Advertising, TikTok and Snapchat connectors to
 * their contract fakes (each in a child process, with added per-request latency), against the
 * platform's own limit (batch × allowed concurrency ÷ latency) and against a bare transport loop
 * in the same run: the same requests with keys hashed ahead of time, sent by a bare `node:http`
 * loop at the same concurrency. Target: the connector reaches >= 90% of the bare loop.
 *
 * The connector is driven the way the sync engine drives it: batches of `batchLimit` rows in
 * `concurrency` lanes (runLanes), each batch's raw rows turned into keys by prepareKeys (on the
 * hashing threads) right before addMembers, as src/sync/upload.ts does.
 *   npx tsx bench/upload-platforms.ts [members=200000] [latencyMs=50]
 */
import { fork } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { TikTokApi } from '../connectors/tiktok/api';
import { loadConnector } from '../src/destinations/registry';
import type { Destination, MemberRow } from '../src/destinations/contract';
import { sha256Hex } from '../src/identity/hash';
import type { SandboxDestinationType } from '../src/sandbox';
import { runLanes } from '../src/sync/upload';
import { figure } from './figures';

type Platform = Extract<SandboxDestinationType, 'linkedin' | 'microsoft_ads' | 'tiktok' | 'snapchat'>;

/** Settings that size each connector's requests at the platform's limit. */
const SIZING: Record<Platform, Record<string, unknown>> = {
  // LinkedIn documents no cap; the sandbox takes 5,000 elements.
  linkedin: { elementsPerRequest: 5_000, concurrency: 4, segmentReadyDelayMs: 0 },
  microsoft_ads: { itemsPerCall: 1_000, concurrency: 4 },
  tiktok: { rowsPerFile: 50_000 },
  snapchat: { identifiersPerRequest: 30_000, concurrency: 2 },
};

/** Rows per request and requests in flight at the platform's limit; TikTok's "request" is an upload plus an update. */
function limitOf(platform: Platform, dest: Destination): { rows: number; concurrency: number; callsPerRequest: number } {
  const s = SIZING[platform];
  if (platform === 'linkedin') return { rows: s.elementsPerRequest as number, concurrency: s.concurrency as number, callsPerRequest: 1 };
  if (platform === 'microsoft_ads') return { rows: s.itemsPerCall as number, concurrency: s.concurrency as number, callsPerRequest: 1 };
  // Snapchat: a third of the identifiers per request are rows (each row may carry three schemas).
  if (platform === 'snapchat') return { rows: Math.floor((s.identifiersPerRequest as number) / 3), concurrency: s.concurrency as number, callsPerRequest: 1 };
  // TikTok: validity check, file upload, update: three calls per file, one file at a time.
  return { rows: dest.batchLimit, concurrency: 1, callsPerRequest: 3 };
}

async function startFake(platform: Platform, latencyMs: number): Promise<{ url: string; settings: Record<string, unknown>; stop(): void }> {
  const child = fork(path.join(import.meta.dirname, 'platform-fake-server.ts'), [platform, String(latencyMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const started = await new Promise<{ url: string; settings: Record<string, unknown> }>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { url: string; settings: Record<string, unknown> }));
    child.once('exit', (code) => reject(new Error(`fake exited ${code}`)));
  });
  return { ...started, stop: () => child.kill('SIGTERM') };
}

const rowsOf = (from: number, to: number): MemberRow[] =>
  Array.from({ length: to - from }, (_, k) => ({ personId: String(from + k), identifiers: { email: ` Member.${from + k}@Example.com ` } }));

/** The engine's schedule with the prepareKeys step of src/sync/upload.ts. */
async function drive(dest: Destination, audience: { id: string; name: string }, from: number, to: number): Promise<number> {
  const size = dest.batchLimit;
  let sent = 0;
  await runLanes({
    seqs: Array.from({ length: Math.ceil((to - from) / size) }, (_, i) => i),
    lanes: dest.concurrency,
    read: async (seq) => rowsOf(from + seq * size, Math.min(to, from + (seq + 1) * size)),
    send: async (seq, rows) => {
      const keyed = (await dest.prepareKeys!(rows)).map((p) => ({ personId: p.personId, identifiers: p.keys }));
      for (const r of await dest.addMembers(audience, keyed, { batchId: `bench/add/${seq}` })) if (r.ok) sent++;
    },
  });
  return sent;
}

const agent = new Agent({ keepAlive: true });
function post(url: string, headers: Record<string, string>, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(body);
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`bare loop: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

async function bearer(settings: Record<string, unknown>, extra: Record<string, string> = {}): Promise<string> {
  const res = await fetch(String(settings.oauthTokenUrl), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: String(settings.clientId), client_secret: String(settings.clientSecret), refresh_token: String(settings.refreshToken), ...extra }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The bare transport loop: pre-hashed keys, the platform's request shape, `concurrency` in flight. Returns rows per second. */
async function bareLoop(platform: Platform, settings: Record<string, unknown>, audienceId: string, hashes: readonly string[], limit: { rows: number; concurrency: number }): Promise<number> {
  const url = String(settings.apiBaseUrl);
  let send: (chunk: readonly string[]) => Promise<void>;
  if (platform === 'linkedin') {
    const headers = { authorization: `Bearer ${await bearer(settings)}`, 'linkedin-version': String(settings.apiVersion), 'x-restli-protocol-version': '2.0.0', 'x-restli-method': 'BATCH_CREATE' };
    send = (chunk) => post(`${url}/rest/dmpSegments/${audienceId}/users`, headers, JSON.stringify({ elements: chunk.map((h) => ({ action: 'ADD', userIds: [{ idType: 'SHA256_EMAIL', idValue: h }] })) }));
  } else if (platform === 'microsoft_ads') {
    const headers = { authorization: `Bearer ${await bearer(settings)}`, developertoken: String(settings.developerToken), customerid: String(settings.customerId), customeraccountid: String(settings.accountId) };
    send = (chunk) =>
      post(`${url}/CampaignManagement/v13/CustomerListUserData/Apply`, headers, JSON.stringify({ CustomerListUserData: { ActionType: 'Add', AudienceId: audienceId, CustomerListItemSubType: 'Email', CustomerListItems: chunk } }));
  } else if (platform === 'snapchat') {
    const headers = { authorization: `Bearer ${await bearer(settings)}` };
    send = (chunk) => post(`${url}/v1/segments/${audienceId}/users`, headers, JSON.stringify({ users: [{ schema: ['EMAIL_SHA256'], data: chunk.map((h) => [h]) }] }));
  } else {
    // TikTok's transport is a multipart file upload and an update: the client's two calls, nothing else.
    const api = new TikTokApi({ apiBaseUrl: url, apiVersion: 'v1.3', accessToken: String(settings.accessToken), advertiserId: String(settings.advertiserId), timeoutMs: 300_000, label: 'bench' });
    send = async (chunk) => {
      await api.get(audienceId);
      await api.update(audienceId, 'APPEND', [await api.upload('EMAIL_SHA256', chunk)]);
    };
  }
  const chunks: string[][] = [];
  for (let i = 0; i < hashes.length; i += limit.rows) chunks.push(hashes.slice(i, i + limit.rows));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: limit.concurrency }, async () => {
      for (let i = next++; i < chunks.length; i = next++) await send(chunks[i] as string[]);
    }),
  );
  return hashes.length / ((performance.now() - started) / 1000);
}

export async function benchPlatforms(members: number, latencyMs: number): Promise<{ platform: Platform; connector: number; bare: number; limit: number }[]> {
  const out: { platform: Platform; connector: number; bare: number; limit: number }[] = [];
  const rate = (r: number) => `${Math.round(r).toLocaleString('en')} rows/s`;
  for (const platform of ['linkedin', 'microsoft_ads', 'tiktok', 'snapchat'] as Platform[]) {
    const fake = await startFake(platform, latencyMs);
    try {
      const connector = (await loadConnector(platform))!;
      const settings = { ...fake.settings, ...SIZING[platform] };
      const dest = connector.create(connector.settingsSchema.parse(settings), { baseDir: '.' });
      const limit = limitOf(platform, dest);
      const ceiling = (limit.rows * limit.concurrency) / ((limit.callsPerRequest * latencyMs) / 1000);
      // Warm-up (JIT, sockets, hashing threads; TikTok's audience is created from its first 1,000+ rows), not measured.
      const audience = await dest.createAudience({ name: `aud-bench-${randomInt(1e9)}` });
      await drive(dest, audience, 0, Math.max(limit.rows, 1_000));
      const ref = await dest.createAudience({ name: audience.name });
      // Two read-backs end the fake's processing of the new audience (TikTok takes updates only then).
      await dest.readMatchRate(ref);
      await dest.readMatchRate(ref);
      // Bare loop, connector, bare loop again: the two loops' mean is the baseline, so a drift of the shared machine falls on both sides.
      const hashes = (from: number) => rowsOf(from, from + members).map((r) => sha256Hex(String(r.identifiers.email).trim().toLowerCase()));
      const bareBefore = await bareLoop(platform, settings, ref.id, hashes(2_000_000), limit);
      const started = performance.now();
      const sent = await drive(dest, ref, 1_000_000, 1_000_000 + members);
      const connectorRate = sent / ((performance.now() - started) / 1000);
      const bare = (bareBefore + (await bareLoop(platform, settings, ref.id, hashes(3_000_000), limit))) / 2;
      console.log(
        `${platform.padEnd(13)} ${limit.rows.toLocaleString('en')} rows × ${limit.concurrency} in flight${limit.callsPerRequest > 1 ? ` (${limit.callsPerRequest} calls each)` : ''}: ` +
          `limit ${rate(ceiling)}; bare node:http loop ${rate(bare)} (${((bare / ceiling) * 100).toFixed(1)}% of the limit); ` +
          `connector ${rate(connectorRate)} (${((connectorRate / ceiling) * 100).toFixed(1)}% of the limit, ${((connectorRate / bare) * 100).toFixed(1)}% of the bare loop)`,
      );
      out.push({ platform, connector: connectorRate, bare, limit: ceiling });
      figure({
        what: `bench/upload.ts: ${members.toLocaleString('en')} members to the ${platform} fake, ${latencyMs} ms latency`,
        figure: `connector ${((connectorRate / bare) * 100).toFixed(1)}% of the bare loop (${((connectorRate / ceiling) * 100).toFixed(1)}% of the platform limit)`,
        target: '>= 90% of the bare loop',
        met: connectorRate / bare >= 0.9,
      });
      await dest.close?.();
    } finally {
      fake.stop();
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchPlatforms(Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 50));
  process.exit(0);
}
