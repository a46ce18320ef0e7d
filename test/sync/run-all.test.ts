import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStateSchema } from '../../src/state/state-sql';
import { listRuns } from '../../src/state/runs';
import { dueSyncs, runDueSyncs } from '../../src/sync/run-all';
import type { SyncDeps } from '../../src/sync/steps';
import { availableBackends, type BackendName, openBackend, type TestWarehouse, workspaceFor } from './support/backends';
import { MemoryDestination } from './support/memory-destination';
import { createPeople, people } from './support/people';

const backends = await availableBackends();
const AS_OF = '2026-03-01T00:00:00.000Z';

function body(schema: string): string {
  return `entities:
  - {id: person, sql: "select * from ${schema}.persons", primaryKey: person_id, identifiers: {email: email, phone: phone}}
segments:
  - {id: vips, entity: person, name: VIPs, alias: vip-people, rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: vip-emails, entity: person, name: VIPs with email, alias: vip-emails, rules: {match: all, conditions: [{kind: segment, segment: vips}, {kind: trait, trait: email, op: is_set}]}}
  - {id: resting, entity: person, name: Resting, type: everyone, status: paused, alias: resting-people}
destinations:
  - {id: a, type: file, settings: {path: ./a}}
  - {id: b, type: file, settings: {path: ./b}}
  - {id: c, type: file, settings: {path: ./c}}
syncs:
  - {id: emails-a, segment: vip-emails, destination: a}
  - {id: vips-a, segment: vips, destination: a, identifiers: [email]}
  - {id: vips-b, segment: vips, destination: b, identifiers: [phone]}
  - {id: vips-c, segment: vips, destination: c}
  - {id: vips-off, segment: vips, destination: c, enabled: false}
  - {id: resting-a, segment: resting, destination: a}
`;
}

describe.each(backends)('sync run --all on %s', (name: BackendName) => {
  let b: TestWarehouse;
  beforeAll(async () => {
    b = await openBackend(name, 'all');
  });
  afterAll(async () => {
    await b.close();
  });

  it('runs due syncs in dependency order, each segment evaluated once per as-of', async () => {
    await createPeople(
      b.warehouse,
      b.data,
      people(9, (i) => i % 3 !== 0).map((p, i) => ({ ...p, phone: `+1555000${1000 + i}`, email: i === 4 ? null : p.email })),
    );
    const ws = workspaceFor(b, body(b.data));
    expect(dueSyncs(ws).map((s) => s.id)).toEqual(['vips-a', 'vips-b', 'vips-c', 'emails-a']);
    const dests = new Map<string, MemoryDestination>();
    const deps: SyncDeps = {
      warehouse: b.warehouse,
      workspace: ws,
      destinations: async (d) => dests.get(d.id) ?? (dests.set(d.id, new MemoryDestination({ batchLimit: 2 })), dests.get(d.id)!),
    };
    const { outcomes, evaluations } = await runDueSyncs(deps, AS_OF);
    expect(outcomes.map((o) => [o.syncId, o.result?.status, o.result?.planned])).toEqual([
      ['vips-a', 'synced', 6],
      ['vips-b', 'synced', 6],
      ['vips-c', 'synced', 6],
      ['emails-a', 'synced', 5],
    ]);
    // vips once for three syncs; vip-emails once (it references vips in its own query).
    expect(evaluations).toBe(2);
    expect([...dests.get('b')!.members.values()].map((ids) => ids.phone).sort()).toEqual(['+15550001001', '+15550001002', '+15550001004', '+15550001005', '+15550001007', '+15550001008']);
    expect([...dests.get('b')!.members.values()].every((ids) => ids.email === undefined)).toBe(true);
    // Nothing materialised is left behind.
    const tables = await b.warehouse.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = '${ws.stateSchema}'`);
    expect(tables.map((t) => t.table_name.toLowerCase()).filter((t) => t.startsWith('members_') || t.startsWith('run_'))).toEqual([]);
    const state = await ensureStateSchema(b.warehouse, ws.stateSchema);
    // The membership tables show what was sent: the same members, at the same as-of.
    const membership = async (segment: string) =>
      (await b.warehouse.query<{ person_id: string }>(`select person_id from ${ws.stateSchema}.segment_membership where segment_id = '${segment}' order by person_id`)).map((r) => r.person_id);
    expect(await membership('vips')).toEqual([...dests.get('b')!.members.keys()].sort());
    expect(await membership('vip-emails')).toHaveLength(5);
    const evaluated = await b.warehouse.query<{ segment_id: string; as_of: Date; member_count: unknown }>(`select segment_id, as_of, member_count from ${ws.stateSchema}.segment_evaluations order by segment_id`);
    expect(evaluated.map((e) => [e.segment_id, new Date(e.as_of).toISOString(), Number(e.member_count)])).toEqual([
      ['vip-emails', AS_OF, 5],
      ['vips', AS_OF, 6],
    ]);
    expect(await listRuns(state, 'resting-a')).toEqual([]);
    expect(await listRuns(state, 'vips-off')).toEqual([]);

    // A second batch: only the churn, still one evaluation per segment.
    await b.warehouse.execute(`update ${b.data}.persons set vip = false where person_id = 'p0001'`);
    const second = await runDueSyncs(deps, '2026-03-02T00:00:00.000Z');
    expect(second.outcomes.map((o) => [o.result?.status, o.result?.removed])).toEqual([
      ['synced', 1],
      ['synced', 1],
      ['synced', 1],
      ['synced', 1],
    ]);
    expect(second.evaluations).toBe(2);
    expect(await membership('vips')).not.toContain('p0001');
  });
});
