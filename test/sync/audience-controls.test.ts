import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/config/schema';
import type { Destination } from '../../src/destinations/contract';
import { destinationFactory } from '../../src/destinations/registry';
import { MetaFake } from '../../src/sandbox/meta';
import { runDueSyncs } from '../../src/sync/run-all';
import { runSync } from '../../src/sync/steps';
import type { SyncRunResult } from '../../src/sync/orchestrate';
import { type BackendName, openBackend, type TestWarehouse, workspaceFor } from './support/backends';
import { postgresReachable } from '../support/pg';

/**
 * Exclusions and priority lists end to end: the workspace's segments evaluated in the warehouse,
 * sent to the Meta contract fake (which keeps every audience's hashed members), and what the fake
 * holds compared with an independent reading of the same rules over the same rows.
 */

const backends: BackendName[] = (await postgresReachable()) || process.env.CI === 'true' ? ['duckdb', 'postgres'] : ['duckdb'];
const AS_OF = '2026-03-01T00:00:00.000Z';
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

interface Row {
  id: string;
  tier: number;
  dnc: boolean;
}
const email = (id: string) => `${id}@example.com`;

/** 40 persons: tiers 0-3, every 7th on the do-not-contact list; p001 and p002 are staff (a static segment). */
function rows(n = 40, tierOf = (i: number) => i % 4, dnc = (i: number) => i % 7 === 3): Row[] {
  return Array.from({ length: n }, (_, i) => ({ id: `p${String(i).padStart(3, '0')}`, tier: tierOf(i), dnc: dnc(i) }));
}
const STAFF = ['p001', 'p002'];
/** The tiers each segment takes: tier 3 is in all three, so the list's order decides where it goes. */
const TIERS: Record<string, number[]> = { gold: [0, 3], silver: [1, 3], bronze: [2, 3] };

async function writeRows(b: TestWarehouse, people: readonly Row[]): Promise<void> {
  await b.warehouse.execute(`drop table if exists ${b.data}.persons`);
  await b.warehouse.execute(`create table ${b.data}.persons (person_id text, email text, tier integer, dnc boolean)`);
  const p = (i: number) => b.warehouse.dialect.placeholder(i);
  for (const r of people) await b.warehouse.execute(`insert into ${b.data}.persons values (${p(0)}, ${p(1)}, ${p(2)}, ${p(3)})`, [r.id, email(r.id), r.tier, r.dnc]);
}

function body(b: TestWarehouse, o: { order: string[]; share?: number; ignore?: boolean }): string {
  const share = o.share ?? 1;
  const tier = (id: string) => `  - {id: ${id}, entity: person, name: ${id}, alias: aud-${id}, rules: {match: all, conditions: [{kind: trait, trait: tier, op: in, value: ${JSON.stringify(TIERS[id])}}]}}`;
  return `entities:
  - {id: person, table: ${b.data}.persons, primaryKey: person_id, identifiers: {email: email}}
segments:
${tier('gold')}
${tier('silver')}
${tier('bronze')}
  - {id: everyone, entity: person, name: everyone, alias: aud-everyone, type: everyone}
  - {id: do-not-contact, entity: person, name: dnc, rules: {match: all, conditions: [{kind: trait, trait: dnc, op: "=", value: true}]}}
  - {id: staff, entity: person, name: staff, type: static, members: ${JSON.stringify(STAFF)}}
exclusions: [do-not-contact, staff]
priorityLists:
  - {id: tiers, segments: ${JSON.stringify(o.order)}}
destinations:
  - {id: meta, type: meta, minAudienceSize: 0, settings: {adAccountId: act_1, accessToken: x}}
syncs:
  - {id: gold-meta, segment: gold, destination: meta, maxRemovalShare: ${share}}
  - {id: silver-meta, segment: silver, destination: meta, maxRemovalShare: ${share}}
  - {id: bronze-meta, segment: bronze, destination: meta, maxRemovalShare: ${share}}
  - {id: everyone-meta, segment: everyone, destination: meta, maxRemovalShare: ${share}${o.ignore ? ', ignoreExclusions: true' : ''}}
`;
}

/** The reference: each person's audience under the list's order, and who is excluded. */
function expected(people: readonly Row[], order: readonly string[], ignoreForEveryone = false): Map<string, Set<string>> {
  const excluded = (r: Row) => r.dnc || STAFF.includes(r.id);
  const out = new Map<string, Set<string>>([...order, 'everyone'].map((s) => [`aud-${s}`, new Set<string>()]));
  for (const r of people) {
    if (ignoreForEveryone || !excluded(r)) out.get('aud-everyone')!.add(r.id);
    if (excluded(r)) continue;
    const first = order.find((s) => TIERS[s]!.includes(r.tier));
    if (first) out.get(`aud-${first}`)!.add(r.id);
  }
  return out;
}

describe.each(backends)('exclusions and priority lists, end to end on %s with the Meta fake', (name) => {
  let b: TestWarehouse;
  let meta: MetaFake;
  /** Every add and remove call in arrival order: [kind, audience]. */
  let calls: [string, string][];
  beforeAll(async () => {
    b = await openBackend(name, 'audctl');
  });
  afterAll(async () => {
    await b.close();
  });
  let tests = 0;
  beforeEach(async () => {
    stateSchema = `${b.state}_${++tests}`;
    meta = new MetaFake({ adAccountId: '1' });
    await meta.start();
    calls = [];
  });
  afterEach(async () => {
    await b.warehouse.execute(`drop schema if exists ${stateSchema} cascade`);
    await meta.stop();
  });

  let stateSchema = '';
  const workspace = (o: Parameters<typeof body>[1]): Workspace => {
    const ws = workspaceFor(b, body(b, o));
    // Each test starts with no snapshots, as the fake starts with no audiences.
    ws.stateSchema = stateSchema;
    ws.destinations[0]!.settings = meta.settings();
    return ws;
  };
  const deps = (ws: Workspace) => {
    const made = destinationFactory(ws, '.');
    return {
      warehouse: b.warehouse,
      workspace: ws,
      sleep: async () => undefined,
      destinations: async (config: Workspace['destinations'][number]): Promise<Destination> => {
        const d = await made(config);
        return {
          ...d,
          prepareKeys: (r) => d.prepareKeys(r),
          createAudience: (i) => d.createAudience(i),
          readMatchRate: (a) => d.readMatchRate(a),
          testConnection: () => d.testConnection(),
          addMembers: (a, r, c) => (calls.push(['add', a.name]), d.addMembers(a, r, c)),
          removeMembers: (a, r, c) => (calls.push(['remove', a.name]), d.removeMembers(a, r, c)),
        } as Destination;
      },
    };
  };
  /** Who the fake holds in each audience, by person id (a person's one key is their email's hash). */
  const held = (people: readonly Row[]): Map<string, Set<string>> => {
    const byKey = new Map(people.map((r) => [`EMAIL=${sha(email(r.id))}`, r.id]));
    const out = new Map<string, Set<string>>();
    for (const a of meta.audiences.values()) out.set(a.name, new Set([...a.members].map((k) => byKey.get(k) ?? k)));
    return out;
  };
  const sorted = (m: Map<string, Set<string>>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]).sort());

  it('sends each person to the first segment of the list they match, never an excluded one; a new order moves persons in one run, every remove of the list before any add', async () => {
    const people = rows();
    await writeRows(b, people);
    const first = await runDueSyncs(deps(workspace({ order: ['bronze', 'silver', 'gold'] })), AS_OF);
    expect(first.outcomes.map((o) => [o.syncId, o.result?.status ?? o.error])).toEqual([
      ['gold-meta', 'synced'],
      ['silver-meta', 'synced'],
      ['bronze-meta', 'synced'],
      ['everyone-meta', 'synced'],
    ]);
    // One statement evaluates the whole list; the exclusions' persons once.
    expect(first.evaluations).toBe(3);
    expect(sorted(held(people))).toEqual(sorted(expected(people, ['bronze', 'silver', 'gold'])));
    const excluded = (r: Row) => r.dnc || STAFF.includes(r.id);
    const reported = Object.fromEntries(first.outcomes.map((o) => [o.syncId, o.result?.excluded]));
    expect(reported).toEqual({
      'gold-meta': people.filter((r) => r.tier === 0 && excluded(r)).length,
      'silver-meta': people.filter((r) => r.tier === 1 && excluded(r)).length,
      'bronze-meta': people.filter((r) => [2, 3].includes(r.tier) && excluded(r)).length,
      'everyone-meta': people.filter(excluded).length,
    });
    expect(reported['everyone-meta']).toBeGreaterThan(0);

    // The list reversed: tier 3 moves from bronze to gold in this one run. gold's sync runs first,
    // yet its adds wait for bronze's removes.
    calls = [];
    const second = await runDueSyncs(deps(workspace({ order: ['gold', 'silver', 'bronze'] })), AS_OF);
    expect(second.outcomes.map((o) => [o.syncId, o.result?.status ?? o.error, o.result?.reason])).toEqual(['gold-meta', 'silver-meta', 'bronze-meta', 'everyone-meta'].map((id) => [id, 'synced', undefined]));
    expect(sorted(held(people))).toEqual(sorted(expected(people, ['gold', 'silver', 'bronze'])));
    expect(calls).toContainEqual(['add', 'aud-gold']);
    expect(calls).toContainEqual(['remove', 'aud-bronze']);
    const listCalls = calls.filter(([, audience]) => audience !== 'aud-everyone');
    const lastRemove = listCalls.map(([k]) => k).lastIndexOf('remove');
    const firstAdd = listCalls.findIndex(([k]) => k === 'add');
    expect(lastRemove).toBeGreaterThanOrEqual(0);
    expect(firstAdd).toBeGreaterThan(lastRemove);
    for (const [, members] of held(people)) expect([...members].filter((id) => excluded(people.find((r) => r.id === id)!))).toEqual([]);
  });

  it('a sync with ignoreExclusions sends the excluded persons too', async () => {
    const people = rows(20);
    await writeRows(b, people);
    const ws = workspace({ order: ['gold', 'silver', 'bronze'], ignore: true });
    const result = await runSync(deps(ws), { syncId: 'everyone-meta', asOf: AS_OF });
    expect(result.status).toBe('synced');
    expect(result.excluded).toBeUndefined();
    expect([...held(people).get('aud-everyone')!].sort()).toEqual(people.map((r) => r.id));
  });

  it('persons added to an exclusion leave the audience on the next run even past maxRemovalShare; other removals still stop', async () => {
    const people = rows(20, () => 3, () => false);
    await writeRows(b, people);
    const ws = workspace({ order: ['gold', 'silver', 'bronze'], share: 0.2 });
    const run = (): Promise<SyncRunResult> => runSync(deps(ws), { syncId: 'everyone-meta', asOf: AS_OF });
    expect((await run()).status).toBe('synced');
    // Twelve of twenty (60%, over the 20% share) are put on the do-not-contact list.
    const marked = people.map((r, i) => ({ ...r, dnc: i < 12 }));
    await writeRows(b, marked);
    const excludedRun = await run();
    expect(excludedRun.status, excludedRun.reason).toBe('synced');
    // The staff were never sent: ten leave, and twelve members are kept out.
    expect(excludedRun.removed).toBe(10);
    expect(excludedRun.excluded).toBe(12);
    expect([...held(marked).get('aud-everyone')!].sort()).toEqual(marked.filter((r) => !r.dnc && !STAFF.includes(r.id)).map((r) => r.id));
    // The removal window counts the exclusions' removals as asked for: the next run is not stopped by them.
    expect((await run()).status).toBe('synced');
    // The same share leaving without an exclusion (rows deleted) stops for confirmation.
    await writeRows(b, marked.slice(0, 14));
    const stopped = await run();
    expect(stopped.status).toBe('needs_confirmation');
    expect(stopped.reason).toMatch(/maxRemovalShare 0.2/);
  });
});
