import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDueSegments, refreshOrder, refreshSegment, refreshWithDependencies } from '../../src/state/membership';
import { availableBackends, type BackendName, openBackend, type TestWarehouse, workspaceFor } from '../sync/support/backends';
import { createPeople, people } from '../sync/support/people';

const backends = await availableBackends();
const DAY1 = new Date('2026-02-01T00:00:00Z');
const DAY2 = new Date('2026-02-02T00:00:00Z');
const DAY3 = new Date('2026-02-03T00:00:00Z');

describe.each(backends)('membership tables on %s', (name: BackendName) => {
  let b: TestWarehouse;
  let n = 0;
  beforeAll(async () => {
    b = await openBackend(name, 'mem');
  });
  afterAll(async () => {
    await b.close();
  });

  async function setup(extraSegments = '') {
    const schema = `${b.data}_${++n}`;
    await b.warehouse.execute(`create schema ${schema}`);
    await createPeople(b.warehouse, schema, people(6, (i) => i < 4));
    const ws = workspaceFor(
      { ...b, state: `${b.state}_${n}` },
      `entities:
  - {id: person, table: ${schema}.persons, primaryKey: person_id, identifiers: {email: email}}
segments:
  - id: vips
    entity: person
    name: VIPs
    rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}
  - id: vip-with-email
    entity: person
    name: VIPs with an email
    rules: {match: all, conditions: [{kind: segment, segment: vips}, {kind: trait, trait: email, op: is_set}]}
${extraSegments}`,
    );
    const q = <T extends Record<string, unknown>>(sql: string) => b.warehouse.query<T>(sql.replaceAll('{s}', ws.stateSchema).replaceAll('{d}', schema));
    const exec = (sql: string) => b.warehouse.execute(sql.replaceAll('{d}', schema));
    return { ws, q, exec, deps: { warehouse: b.warehouse, workspace: ws } };
  }

  it('keeps segment_membership current and one history row per stay across refreshes', async () => {
    const t = await setup();
    expect(await refreshSegment(t.deps, 'vips', DAY1)).toMatchObject({ memberCount: 4, added: 4, removed: 0 });
    await t.exec(`update {d}.persons set vip = false where person_id = 'p0001'`);
    await t.exec(`update {d}.persons set vip = true where person_id = 'p0005'`);
    expect(await refreshSegment(t.deps, 'vips', DAY2)).toMatchObject({ memberCount: 4, added: 1, removed: 1 });
    await t.exec(`update {d}.persons set vip = true where person_id = 'p0001'`);
    expect(await refreshSegment(t.deps, 'vips', DAY3)).toMatchObject({ memberCount: 5, added: 1, removed: 0 });

    const members = await t.q<{ person_id: string; entered_at: Date }>(
      `select person_id, entered_at from {s}.segment_membership where segment_id = 'vips' order by person_id`,
    );
    expect(members.map((m) => [m.person_id, m.entered_at.toISOString()])).toEqual([
      ['p0000', DAY1.toISOString()],
      ['p0001', DAY3.toISOString()],
      ['p0002', DAY1.toISOString()],
      ['p0003', DAY1.toISOString()],
      ['p0005', DAY2.toISOString()],
    ]);
    const stays = await t.q<{ entered_at: Date; exited_at: Date | null }>(
      `select entered_at, exited_at from {s}.segment_membership_history where segment_id = 'vips' and person_id = 'p0001' order by entered_at`,
    );
    expect(stays.map((s) => [s.entered_at.toISOString(), s.exited_at?.toISOString() ?? null])).toEqual([
      [DAY1.toISOString(), DAY2.toISOString()],
      [DAY3.toISOString(), null],
    ]);
    const open = await t.q<{ n: unknown }>(`select count(*) as n from {s}.segment_membership_history where segment_id = 'vips' and exited_at is null`);
    expect(Number(open[0]!.n)).toBe(5);
    const evals = await t.q<{ member_count: unknown; added: unknown; removed: unknown }>(
      `select member_count, added, removed from {s}.segment_evaluations where segment_id = 'vips' order by as_of`,
    );
    expect(evals.map((e) => [Number(e.member_count), Number(e.added), Number(e.removed)])).toEqual([
      [4, 4, 0],
      [4, 1, 1],
      [5, 1, 0],
    ]);
  });

  it('refreshes referenced segments first and lists every segment of a person, sorted, in person_segments', async () => {
    const t = await setup();
    expect(refreshOrder(t.ws, ['vip-with-email'])).toEqual(['vips', 'vip-with-email']);
    await t.exec(`update {d}.persons set email = null where person_id = 'p0002'`);
    const evals = await refreshWithDependencies(t.deps, 'vip-with-email', DAY1);
    expect(evals.map((e) => [e.segmentId, e.memberCount])).toEqual([
      ['vips', 4],
      ['vip-with-email', 3],
    ]);
    const rows = await t.q<{ person_id: string; segment_ids: string[] }>(`select person_id, segment_ids from {s}.person_segments order by person_id`);
    expect(rows.map((r) => [r.person_id, [...r.segment_ids]])).toEqual([
      ['p0000', ['vip-with-email', 'vips']],
      ['p0001', ['vip-with-email', 'vips']],
      ['p0002', ['vips']],
      ['p0003', ['vip-with-email', 'vips']],
    ]);
  });

  it('scheduled refresh skips paused, archived and draft segments and leaves their members in place', async () => {
    const t = await setup(`  - {id: paused-one, entity: person, name: P, type: everyone, status: paused}
  - {id: archived-one, entity: person, name: A, type: static, members: [p0000], status: archived}
  - {id: draft-one, entity: person, name: D, type: everyone, status: draft}`);
    await refreshSegment(t.deps, 'paused-one', DAY1);
    const evals = await refreshDueSegments(t.deps, DAY2);
    expect(evals.map((e) => e.segmentId).sort()).toEqual(['vip-with-email', 'vips']);
    await t.exec(`delete from {d}.persons where person_id = 'p0005'`);
    await refreshDueSegments(t.deps, DAY3);
    const paused = await t.q<{ n: unknown }>(`select count(*) as n from {s}.segment_membership where segment_id = 'paused-one'`);
    expect(Number(paused[0]!.n)).toBe(6);
    const byDay = await t.q<{ segment_id: string }>(`select segment_id from {s}.segment_evaluations order by as_of, segment_id`);
    expect(byDay.map((r) => r.segment_id)).toEqual(['paused-one', 'vip-with-email', 'vips', 'vip-with-email', 'vips']);
  });

  it('by hand: refuses an archived segment, refreshes a paused one, and leaves referenced segments that are not active alone', async () => {
    const t = await setup(`  - {id: resting, entity: person, name: R, status: paused, rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: resting-with-email, entity: person, name: RE, rules: {match: all, conditions: [{kind: segment, segment: resting}, {kind: trait, trait: email, op: is_set}]}}
  - {id: old, entity: person, name: O, type: everyone, status: archived}`);
    await expect(refreshWithDependencies(t.deps, 'old', DAY1)).rejects.toThrow(/segments\[4\]\.status: segment "old" is archived/);
    expect((await refreshWithDependencies(t.deps, 'resting-with-email', DAY1)).map((e) => e.segmentId)).toEqual(['resting-with-email']);
    expect((await refreshWithDependencies(t.deps, 'resting', DAY1)).map((e) => [e.segmentId, e.memberCount])).toEqual([['resting', 4]]);
    const evaluated = await t.q<{ segment_id: string }>(`select segment_id from {s}.segment_evaluations order by segment_id`);
    expect(evaluated.map((r) => r.segment_id)).toEqual(['resting', 'resting-with-email']);
  });

  it('matches a model of memberships and stays over random changes, and counts a repeated key once', async () => {
    const t = await setup();
    // A small deterministic generator: the same rounds on every engine.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const model = { members: new Map<string, Date>(), stays: [] as { person: string; entered: Date; exited: Date | null }[] };
    for (let round = 0; round < 5; round++) {
      const asOf = new Date(Date.UTC(2026, 1, 1 + round));
      const vip = Array.from({ length: 6 }, () => random() < 0.5);
      for (const [i, v] of vip.entries()) await t.exec(`update {d}.persons set vip = ${v} where person_id = 'p000${i}'`);
      // p0000 twice in the entity: still one member.
      if (round === 2) await t.exec(`insert into {d}.persons select * from {d}.persons where person_id = 'p0000'`);
      const now = new Set(vip.flatMap((v, i) => (v ? [`p000${i}`] : [])));
      let added = 0;
      let removed = 0;
      for (const p of now)
        if (!model.members.has(p)) {
          model.members.set(p, asOf);
          model.stays.push({ person: p, entered: asOf, exited: null });
          added++;
        }
      for (const p of [...model.members.keys()])
        if (!now.has(p)) {
          model.members.delete(p);
          model.stays.find((s) => s.person === p && s.exited === null)!.exited = asOf;
          removed++;
        }
      expect(await refreshSegment(t.deps, 'vips', asOf)).toMatchObject({ memberCount: now.size, added, removed });
    }
    const members = await t.q<{ person_id: string; entered_at: Date }>(`select person_id, entered_at from {s}.segment_membership where segment_id = 'vips' order by person_id`);
    expect(members.map((m) => [m.person_id, m.entered_at.toISOString()])).toEqual([...model.members].sort().map(([p, d]) => [p, d.toISOString()]));
    const stays = await t.q<{ person_id: string; entered_at: Date; exited_at: Date | null }>(
      `select person_id, entered_at, exited_at from {s}.segment_membership_history where segment_id = 'vips' order by person_id, entered_at`,
    );
    const key = (p: string, e: Date, x: Date | null) => `${p} ${e.toISOString()} ${x?.toISOString() ?? '-'}`;
    expect(stays.map((s) => key(s.person_id, s.entered_at, s.exited_at))).toEqual(model.stays.map((s) => key(s.person, s.entered, s.exited)).sort());
  });
});
