import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskIdentifier } from '../../src/api/reads';
import { ApiFixture, PERSONS } from './support';

describe('segment routes: what the builder and the segment pages read', () => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await ApiFixture.start('sqlite');
  });
  afterAll(() => fx.close());

  it('masks identifier values below the data role', async () => {
    expect(maskIdentifier('email', 'jane.doe@example.com')).toBe('j***@e***.com');
    expect(maskIdentifier('phone', '+447946000001')).toBe('+***');
    const viewer = await fx.request('GET', '/segments/vips/preview?limit=2', { token: 'viewer' });
    expect(viewer.body).toEqual({
      masked: true,
      members: [
        { personId: 'p00', traits: { person_id: 'p00', email: 'u***@e***.com', phone: '+***', vip: true, country: 'US' } },
        { personId: 'p02', traits: { person_id: 'p02', email: 'u***@e***.com', phone: '+***', vip: true, country: 'DE' } },
      ],
    });
    const data = await fx.request('GET', '/segments/vips/preview?limit=1', { token: 'data' });
    expect(data.body).toMatchObject({ masked: false, members: [{ personId: 'p00', traits: { email: 'user0@example.com', phone: '+447946000000' } }] });
  });

  it('offers the entity’s columns, event names by frequency, event and relation columns', async () => {
    const fields = await fx.request('GET', '/entities/person/fields', { token: 'viewer' });
    expect(fields.body).toMatchObject({
      entity: 'person',
      columns: [
        { name: 'person_id', family: 'text' },
        { name: 'email', family: 'text' },
        { name: 'phone', family: 'text' },
        { name: 'vip', family: 'boolean' },
        { name: 'country', family: 'text' },
      ],
      events: {
        table: 'main.events',
        names: [
          { name: 'page_view', count: PERSONS - Math.ceil(PERSONS / 3) },
          { name: 'purchase', count: Math.ceil(PERSONS / 3) },
        ],
      },
      relations: [],
    });
  });

  it('shows the SQL with its parameters, and the size over time after refreshes', async () => {
    const sql = await fx.request('GET', '/segments/vips/sql?dialect=postgres&asOf=2026-02-01T00:00:00Z', { token: 'viewer' });
    expect(sql.body).toMatchObject({ dialect: 'postgres', asOf: '2026-02-01T00:00:00.000Z', params: [true] });
    expect(String(sql.body.sql)).toMatch(/^SELECT .* FROM "main"."persons" AS p WHERE .*\$1/);
    expect((await fx.request('POST', '/segments/vips/refresh', { token: 'marketer' })).status).toBe(200);
    await fx.warehouse.reads.execute(`update main.persons set vip = true where person_id = 'p01'`);
    fx.clock = () => new Date('2026-02-02T00:00:00.000Z');
    await fx.request('POST', '/segments/vips/refresh', { token: 'marketer' });
    const stats = await fx.request('GET', '/segments/vips/stats', { token: 'viewer' });
    expect((stats.body.evaluations as unknown[]).map((e) => (e as { memberCount: number; added: number }).memberCount)).toEqual([PERSONS / 2 + 1, PERSONS / 2]);
    const list = (await fx.request('GET', '/segments', { token: 'viewer' })).body as unknown as { id: string; size: number | null; lastRefreshedAt: string | null }[];
    expect(list.find((s) => s.id === 'vips')).toMatchObject({ size: PERSONS / 2 + 1 });
    expect(list.find((s) => s.id === 'buyers')).toMatchObject({ size: null, lastRefreshedAt: null });
    expect((await fx.request('GET', '/persons/p01/segments', { token: 'viewer' })).body).toEqual({ personId: 'p01', segments: ['vips'], groups: {}, asOf: '2026-02-02T00:00:00.000Z' });
  });

  it('counts the overlap of segments, and names a bad segment at its place in the body', async () => {
    const res = await fx.request('POST', '/segments/overlap', { token: 'viewer', body: { segments: ['vips', 'buyers'], asOf: '2026-02-01T00:00:00Z' } });
    expect(res.status).toBe(200);
    // The same sets written by hand: VIPs, and purchases in the 30 days before as-of.
    const ids = async (sql: string) => new Set((await fx.warehouse.reads.query<{ id: string }>(sql)).map((r) => r.id));
    const vips = await ids('select person_id as id from main.persons where vip');
    const buyers = await ids(
      "select distinct person_id as id from main.events where event_name = 'purchase' and occurred_at > TIMESTAMPTZ '2026-01-02 00:00:00+00' and occurred_at <= TIMESTAMPTZ '2026-02-01 00:00:00+00'",
    );
    const both = [...vips].filter((p) => buyers.has(p)).length;
    expect(both).toBeGreaterThan(0);
    expect(res.body).toMatchObject({
      segments: ['vips', 'buyers'],
      intersections: [
        { segments: ['vips'], count: vips.size },
        { segments: ['buyers'], count: buyers.size },
        { segments: ['vips', 'buyers'], count: both },
      ],
      union: vips.size + buyers.size - both,
    });
    const bad = await fx.request('POST', '/segments/overlap', { token: 'viewer', body: { segments: ['vips', 'nope'] } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('segments[1]');
  });

  it('changes static members in the warehouse: add, remove, replace, subtract a segment, and from SQL for the data role only', async () => {
    const created = await fx.request('POST', '/segments', { token: 'marketer', body: { id: 'beta', entity: 'person', name: 'Beta', type: 'static', members: ['p01', 'p02'] } });
    expect(created.status).toBe(201);
    const members = async (body: unknown, token = 'marketer') => {
      const res = await fx.request('POST', '/segments/beta/members', { token, body });
      if (res.status !== 200) return res.status;
      const page = await fx.request('GET', '/segments/beta/members?limit=2', { token: 'viewer' });
      const rest = page.body.next ? (await fx.request('GET', `/segments/beta/members?after=${String(page.body.next)}`, { token: 'viewer' })).body.members : [];
      expect(res.body).toMatchObject({ segmentId: 'beta', after: page.body.count, listed: 0 });
      return [...(page.body.members as string[]), ...(rest as string[])];
    };
    expect(await members({ add: ['p03', 'p01'] })).toEqual(['p01', 'p02', 'p03']);
    // The definition's list moved into the warehouse with the first change.
    expect((await fx.request('GET', '/segments/beta', { token: 'viewer' })).body.members).toBeUndefined();
    expect(await members({ remove: ['p02'] })).toEqual(['p01', 'p03']);
    expect(await members({ subtract: 'buyers' })).toEqual(['p01']); // p03 bought
    expect(await members({ populateSql: "select person_id from main.persons where country = 'GB'" })).toBe(403);
    expect(await members({ populateSql: "select person_id from main.persons where country = 'GB' and person_id < 'p10'" }, 'data')).toEqual(['p01', 'p04', 'p07']);
    expect(await members({ removeSql: "select person_id as k from main.persons where person_id = 'p04';" }, 'data')).toEqual(['p01', 'p07']);
    expect(await members({ replace: ['p09'] })).toEqual(['p09']);
    expect((await fx.request('GET', '/segments/beta/preview', { token: 'viewer' })).body.members).toMatchObject([{ personId: 'p09' }]);
    const refused = async (body: Record<string, string>) => {
      const res = await fx.request('POST', '/segments/beta/members', { token: 'data', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_input', path: Object.keys(body)[0] });
      return String((res.body.error as { message: string }).message);
    };
    expect(await refused({ populateSql: 'delete from main.persons' })).toMatch(/SELECT/);
    expect(await refused({ populateSql: 'select 1 as person_id; drop table main.persons' })).toMatch(/one SELECT statement, found 2/);
    expect(await refused({ removeSql: 'with d as (delete from main.persons returning person_id) select person_id from d' })).toMatch(/parser/);
    expect(await refused({ populateSql: 'select person_id, email from main.persons' })).toMatch(/exactly one column/);
    expect(await refused({ populateSql: 'select person_id from main.persons for update' })).toMatch(/parser|locking/);
    expect(await refused({ subtract: 'nope' })).toMatch(/unknown segment/);
    expect(await members({ replace: [] })).toEqual([]);
    const dynamic = await fx.request('POST', '/segments/vips/members', { token: 'marketer', body: { add: ['p01'] } });
    expect(dynamic.status).toBe(400);
    // The audit log keeps counts, never the keys.
    const audit = await fx.request('GET', '/audit?objectType=segment&objectId=beta&limit=5', { token: 'admin' });
    expect(audit.raw).toContain('storedMembers');
    expect(audit.raw).not.toContain('p09');
  });

  it('duplicates as a draft with a new id and alias, archives, and deletes for good only as admin', async () => {
    const copy = await fx.request('POST', '/segments/vips/duplicate', { token: 'marketer' });
    expect(copy.body).toMatchObject({ id: 'vips-copy', name: 'VIPs (copy)', status: 'draft', managedBy: 'ui', rules: { conditions: [{ trait: 'vip' }] } });
    expect(copy.body.alias).not.toBe('vip-people');
    expect((await fx.request('POST', '/segments/vips/duplicate', { token: 'marketer' })).body.id).toBe('vips-copy-2');
    expect((await fx.request('DELETE', '/segments/vips-copy', { token: 'marketer' })).status).toBe(204);
    expect((await fx.request('GET', '/segments/vips-copy')).body).toMatchObject({ status: 'archived' });
    const listed = (await fx.request('GET', '/segments')).body as unknown as { id: string }[];
    expect(listed.map((s) => s.id)).not.toContain('vips-copy');
    expect((await fx.request('DELETE', '/segments/vips-copy?hard=true', { token: 'data' })).status).toBe(403);
    expect((await fx.request('DELETE', '/segments/vips-copy?hard=true', { token: 'admin' })).status).toBe(204);
    expect((await fx.request('GET', '/segments/vips-copy')).status).toBe(404);
  });

  it('takes retentionDays in the segment body: a refresh keeps who stopped matching; a bad value is a 400 at its path', async () => {
    const body = { id: 'kept-vips', entity: 'person', name: 'Kept VIPs', retentionDays: 2, rules: { conditions: [{ kind: 'trait', trait: 'vip', op: '=', value: true }] } };
    const created = await fx.request('POST', '/segments', { token: 'marketer', body });
    expect(created.status).toBe(201);
    expect((await fx.request('GET', '/segments/kept-vips')).body).toMatchObject({ retentionDays: 2 });
    fx.clock = () => new Date('2026-02-03T00:00:00.000Z');
    const first = await fx.request('POST', '/segments/kept-vips/refresh', { token: 'marketer' });
    expect(first.status).toBe(200);
    const before = (await fx.request('GET', '/persons/p00/segments', { token: 'viewer' })).body;
    expect(before.segments).toContain('kept-vips');
    await fx.warehouse.reads.execute(`update main.persons set vip = false where person_id = 'p00'`);
    try {
      fx.clock = () => new Date('2026-02-04T00:00:00.000Z');
      await fx.request('POST', '/segments/kept-vips/refresh', { token: 'marketer' });
      // p00 stopped matching a day ago: still a member for another day.
      expect((await fx.request('GET', '/persons/p00/segments', { token: 'viewer' })).body.segments).toContain('kept-vips');
      fx.clock = () => new Date('2026-02-06T00:00:00.000Z');
      await fx.request('POST', '/segments/kept-vips/refresh', { token: 'marketer' });
      expect((await fx.request('GET', '/persons/p00/segments', { token: 'viewer' })).body.segments).not.toContain('kept-vips');
    } finally {
      await fx.warehouse.reads.execute(`update main.persons set vip = true where person_id = 'p00'`);
      fx.clock = () => new Date('2026-02-02T00:00:00.000Z');
    }
    for (const retentionDays of [0, 1.5, 'x', 4000]) {
      const bad = await fx.request('POST', '/segments', { token: 'marketer', body: { ...body, id: 'bad-retention', retentionDays } });
      expect(bad.status, String(retentionDays)).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'invalid_input', path: 'retentionDays' });
    }
    const openapi = (await fx.request('GET', '/openapi.json')).raw;
    expect(openapi).toContain('retentionDays');
  });

  it('estimates an unsaved definition, checking its references like the workspace file', async () => {
    const ok = await fx.request('POST', '/estimate', { token: 'marketer', body: { entity: 'person', rules: { conditions: [{ kind: 'segment', segment: 'vips' }] } } });
    expect(ok.body).toMatchObject({ count: PERSONS / 2 + 1, asOf: '2026-02-02T00:00:00.000Z' });
    const unknown = await fx.request('POST', '/estimate', { token: 'marketer', body: { entity: 'person', rules: { conditions: [{ kind: 'segment', segment: 'nope' }] } } });
    expect(unknown.body).toEqual({ error: { code: 'invalid_input', path: 'rules.conditions[0].segment', message: 'rules.conditions[0].segment: unknown segment "nope"' } });
  });
});
