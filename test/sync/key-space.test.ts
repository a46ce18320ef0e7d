import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/config/schema';
import { runSync, type SyncDeps } from '../../src/sync/steps';
import { availableBackends, type BackendName, openBackend, type TestWarehouse, workspaceFor } from './support/backends';
import { MemoryDestination } from './support/memory-destination';
import { createPeople, insertPeople, type Person, vipWorkspace } from './support/people';

/**
 * Key-space mirroring (issue 11, point 2): the platform's audience is a set of keys (normalised and
 * hashed values), and people can share one. A key is added once, and removed only when no member
 * after the run still sends it. MemoryDestination keys a value by trimming and lowercasing it, so
 * `Shared@Example.com` and `shared@example.com ` are one key, as they are one hash on Meta.
 */

const backends = await availableBackends();
const AS_OF = '2026-03-01T00:00:00.000Z';

describe.each(backends)('key-space mirroring on %s', (name: BackendName) => {
  let b: TestWarehouse;
  let n = 0;

  beforeAll(async () => {
    b = await openBackend(name, 'keys');
  });
  afterAll(async () => {
    await b.close();
  });

  async function setup(people: Person[]) {
    const schema = `${b.data}_${++n}`;
    await b.warehouse.execute(`create schema ${schema}`);
    await createPeople(b.warehouse, schema, people);
    const ws: Workspace = workspaceFor({ ...b, state: `${b.state}_${n}` }, vipWorkspace(schema, { extraSync: ', maxRemovalShare: 1, allowEmpty: true' }));
    const dest = new MemoryDestination({ batchLimit: 2 });
    const deps: SyncDeps = { warehouse: b.warehouse, workspace: ws, destinations: async () => dest };
    const write = async (next: readonly Person[]) => {
      await b.warehouse.execute(`delete from ${schema}.persons`);
      await insertPeople(b.warehouse, schema, next);
    };
    /** The keys the current members send, as the destination's own prepareKeys makes them. */
    const expected = async (current: readonly Person[]) => {
      const rows = current.filter((p) => p.vip).map((p) => ({ personId: p.id, identifiers: { email: p.email, phone: p.phone ?? null } }));
      const prepared = await dest.prepareKeys(rows);
      return new Set(prepared.flatMap((p) => Object.entries(p.keys).map(([k, v]) => `${k}:${v}`)));
    };
    const run = () => runSync(deps, { syncId: 'vip-sync', asOf: AS_OF });
    return { dest, write, expected, run, ws, schema };
  }

  it('keeps a key two people share while one of them stays (the issue repro)', async () => {
    const people: Person[] = [
      { id: 'p1', email: 'Shared@Example.com', vip: true },
      { id: 'p2', email: 'shared@example.com ', vip: true },
      { id: 'p3', email: 'own@example.com', vip: true },
    ];
    const t = await setup(people);
    const first = await t.run();
    expect(first.status).toBe('synced');
    // The shared key is added once.
    expect(t.dest.calls.flatMap((c) => c.rows.map((r) => r.identifiers.email))).toEqual(['shared@example.com', 'own@example.com']);
    expect(t.dest.keys).toEqual(new Set(['email:shared@example.com', 'email:own@example.com']));

    // p2 leaves: p1 still sends the key, so nothing is removed.
    const afterLeave = people.map((p) => (p.id === 'p2' ? { ...p, vip: false } : p));
    await t.write(afterLeave);
    t.dest.calls.length = 0;
    expect(await t.run()).toMatchObject({ status: 'synced', removed: 0, added: 0, memberCount: 2 });
    expect(t.dest.calls).toEqual([]);
    expect(t.dest.keys).toEqual(await t.expected(afterLeave));

    // p1 leaves too: now the key goes, once.
    const bothGone = afterLeave.map((p) => (p.id === 'p1' ? { ...p, vip: false } : p));
    await t.write(bothGone);
    expect(await t.run()).toMatchObject({ status: 'synced', removed: 1, added: 0 });
    expect(t.dest.keys).toEqual(new Set(['email:own@example.com']));

    // p2 comes back with a new address while p3 changes to the shared one: each key moves once.
    const moved: Person[] = [
      { id: 'p1', email: 'Shared@Example.com', vip: false },
      { id: 'p2', email: 'p2@example.com', vip: true },
      { id: 'p3', email: ' SHARED@example.com', vip: true },
    ];
    await t.write(moved);
    expect(await t.run()).toMatchObject({ status: 'synced', removed: 1, added: 2 });
    expect(t.dest.keys).toEqual(await t.expected(moved));
    expect(t.dest.violations).toEqual([]);
  });

  it('property: after every run the audience is exactly the keys of the current members', async () => {
    const EMAILS = ['a@x.com', 'A@x.com', ' a@x.com ', 'b@x.com', 'B@X.COM', 'c@x.com', null] as const;
    const PHONES = ['+1 212 555 0100', '+1 212 555 0101', null] as const;
    const person = (id: string) =>
      fc.record({ id: fc.constant(id), email: fc.constantFrom(...EMAILS), phone: fc.constantFrom(...PHONES), vip: fc.boolean() }) as fc.Arbitrary<Person>;
    const state = fc.tuple(...['q1', 'q2', 'q3', 'q4', 'q5'].map(person));
    await fc.assert(
      fc.asyncProperty(fc.array(state, { minLength: 2, maxLength: 4 }), async (states) => {
        const t = await setup([]);
        for (const s of states) {
          await t.write(s);
          const r = await t.run();
          expect(r.status, r.reason).toBe('synced');
          expect(t.dest.keys).toEqual(await t.expected(s));
        }
        // No key was added while held, or removed while absent.
        expect(t.dest.violations).toEqual([]);
      }),
      { numRuns: name === 'duckdb' ? 25 : 6, seed: Number(process.env.OUTFLOW_PROPERTY_SEED ?? 11) },
    );
  }, 300_000);
});
