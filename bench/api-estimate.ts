/**
 * `POST /api/v1/estimate` against the bare `count(*)` of the same compiled SQL, on DuckDB with 1M
 * persons and 20M events (bench/.data/, shared with bench/segments.ts), for a 10-condition
 * segment. The API runs in this process on loopback; requests and bare counts alternate, on
 * the same database. Prints the medians, the ratio server time / bare count (target <= 1.3) and
 * the requests' p95 as the client sees it (target < 1 s).
 *   npx tsx bench/api-estimate.ts [persons] [events] [repetitions]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ApiContext, catalogOf } from '../src/api/context';
import { buildApi } from '../src/api/server';
import { loadWorkspace } from '../src/config/load';
import { segmentSchema } from '../src/config/schema';
import { LocalRuns } from '../src/scheduler/runs';
import { ServerWarehouse } from '../src/scheduler/warehouse';
import { compileCount } from '../src/segments';
import { applyIfChanged, openStoreFor } from '../src/store';
import { DuckDbDriver } from '../src/warehouse/duckdb/driver';
import { ensureBenchData } from './bench-data';

const PERSONS = Number(process.argv[2] ?? 1_000_000);
const EVENTS = Number(process.argv[3] ?? 20_000_000);
const REPS = Number(process.argv[4] ?? 9);
const RATIO_TARGET = 1.3;
const P95_TARGET_MS = 1000;
const AS_OF = '2026-03-31T10:00:00.000Z';
const FILE = path.resolve('bench/.data', `segments-${PERSONS}-${EVENTS}.duckdb`);

/** Ten conditions of every kind the builder offers: four of them read the 20M events. */
const EVENT_HEAVY = {
  match: 'all',
  conditions: [
    { kind: 'event', event: 'purchase', window: { last: 90, unit: 'day' } },
    { kind: 'event', event: 'page_view', count: { op: '>=', value: 3 }, window: { last: 30, unit: 'day' } },
    { kind: 'event', event: 'login', performed: false, window: { last: 7, unit: 'day' } },
    { kind: 'trait', trait: 'country', op: 'in', value: ['US', 'GB', 'DE'] },
    { kind: 'trait', trait: 'age', op: '>=', value: 25 },
    { kind: 'trait', trait: 'email', op: 'ends_with', value: '@example.com' },
    { kind: 'identified', value: true },
    { kind: 'last_seen', op: 'within_last', value: { last: 60, unit: 'day' } },
    {
      kind: 'group',
      match: 'any',
      conditions: [
        { kind: 'trait', trait: 'plan', op: '=', value: 'pro' },
        { kind: 'trait', trait: 'company.employees', op: '>=', value: 100 },
      ],
    },
  ],
};

/** Ten conditions, one of them on events: the traits and one behaviour a marketer filters most. */
const TRAIT_HEAVY = {
  match: 'all',
  conditions: [
    { kind: 'event', event: 'purchase', window: { last: 90, unit: 'day' } },
    { kind: 'trait', trait: 'country', op: 'in', value: ['US', 'GB', 'DE'] },
    { kind: 'trait', trait: 'age', op: '>=', value: 25 },
    { kind: 'trait', trait: 'age', op: '<', value: 65 },
    { kind: 'trait', trait: 'email', op: 'ends_with', value: '@example.com' },
    { kind: 'trait', trait: 'plan', op: '!=', value: 'free' },
    { kind: 'identified', value: true },
    { kind: 'trait', trait: 'company.industry', op: 'in', value: ['saas', 'retail', 'finance'] },
    { kind: 'trait', trait: 'company.employees', op: '>=', value: 50 },
    { kind: 'trait', trait: 'company_id', op: 'is_set' },
  ],
};

mkdirSync(path.dirname(FILE), { recursive: true });
const prepare = await DuckDbDriver.open({ path: FILE, settings: { threads: '2' } });
await ensureBenchData(prepare, PERSONS, EVENTS, FILE);
await prepare.close();

const dir = mkdtempSync(path.join(tmpdir(), 'outflow-bench-estimate-'));
writeFileSync(
  path.join(dir, 'outflow.yaml'),
  `version: 1
warehouse: {type: duckdb, path: ${JSON.stringify(FILE)}}
entities:
  - id: person
    table: b.persons
    primaryKey: person_id
    identifiers: {email: email}
    events: {table: b.events, personKey: person_id, name: event_name, timestamp: occurred_at, sessionKey: session_id}
    relations: [{name: company, table: b.companies, key: company_id, foreignKey: company_id}]
`,
);
const loaded = loadWorkspace(path.join(dir, 'outflow.yaml'));
const { entities: _e, segments: _s, destinations: _d, syncs: _y, ...settings } = loaded.workspace;
const store = await openStoreFor(loaded);
await applyIfChanged(store, loaded);
const { token } = await store.tokens.create({ name: 'bench', role: 'marketer' }, { name: 'bench' });
const warehouse = await ServerWarehouse.open(settings.warehouse, dir);
const log = () => undefined;
const ctx: ApiContext = { store, settings, baseDir: dir, warehouse, runs: new LocalRuns({ store, settings, baseDir: dir, warehouse, log }), log, clock: () => new Date() };
const app = await buildApi(ctx);
const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/api/v1/estimate`;

try {
  const measure = async (name: string, rules: object) => {
    const body = JSON.stringify({ entity: 'person', rules, asOf: AS_OF });
    const estimate = async () => {
      const t0 = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { count: number; elapsedMs: number };
      if (res.status !== 200) throw new Error(`estimate answered ${res.status}: ${JSON.stringify(json)}`);
      return { count: json.count, server: json.elapsedMs, client: performance.now() - t0 };
    };
    // The bare count: the compiled count query of the same definition, on the same database.
    const workspace = await store.workspace(settings);
    const segment = segmentSchema.parse({ id: 'bench', entity: 'person', name: 'bench', rules });
    const catalog = await catalogOf(ctx, { ...workspace, segments: [segment] });
    const q = compileCount({ ...workspace, segments: [segment] }, 'bench', { dialect: warehouse.reads.dialect, asOf: new Date(AS_OF), catalog });
    const bare = async () => {
      const t0 = performance.now();
      const [row] = await warehouse.reads.query<{ n: number }>(q.sql, q.params);
      return { count: Number(row!.n), ms: performance.now() - t0 };
    };

    // Warm-up: the first read of the file and the catalog are paid once.
    const first = await estimate();
    const firstBare = await bare();
    if (first.count !== firstBare.count) throw new Error(`counts differ: estimate ${first.count}, bare count ${firstBare.count}`);
    const server: number[] = [];
    const client: number[] = [];
    const bares: number[] = [];
    for (let i = 0; i < REPS; i++) {
      // Alternate which goes first, so drift on a shared machine hits both alike.
      if (i % 2 === 0) bares.push((await bare()).ms);
      const e = await estimate();
      server.push(e.server);
      client.push(e.client);
      if (i % 2 === 1) bares.push((await bare()).ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
    const ratio = median(server) / median(bares);
    console.log(`${name}: a 10-condition segment (${first.count.toLocaleString('en')} members)`);
    console.log(`bare count(*) of the compiled SQL   median ${median(bares).toFixed(1)} ms`);
    console.log(`POST /estimate, server time         median ${median(server).toFixed(1)} ms   ratio ${ratio.toFixed(2)} (target <= ${RATIO_TARGET})`);
    console.log(`POST /estimate, client round trip   median ${median(client).toFixed(1)} ms   p95 ${p95(client).toFixed(1)} ms (target < ${P95_TARGET_MS} ms)`);
    console.log(ratio <= RATIO_TARGET && p95(client) < P95_TARGET_MS ? 'OK' : 'SHORT OF TARGET');
    return ratio;
  };
  console.log(`DuckDB, ${PERSONS.toLocaleString('en')} persons / ${EVENTS.toLocaleString('en')} events, ${REPS} alternating repetitions of each`);
  await measure('event-heavy (4 of 10 conditions read events)', EVENT_HEAVY);
  await measure('trait-heavy (1 of 10 conditions reads events)', TRAIT_HEAVY);
} finally {
  await app.close();
  await warehouse.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
