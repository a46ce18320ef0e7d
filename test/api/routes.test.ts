import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { API_PREFIX } from '../../src/api/server';
import { type Role, roleAllows, ROLES } from '../../src/store';
import { ApiFixture, storeBackends } from './support';

const backends = await storeBackends();
const ui = { name: 'test-setup' };

/** A request that succeeds for a role that may make it; `prepare` makes what it needs in the store first. */
interface Sample {
  url: string;
  body?: unknown;
}
type Maker = (fx: ApiFixture, n: number) => Promise<Sample> | Sample;

const vipRules = { conditions: [{ kind: 'trait', trait: 'vip', op: '=', value: true }] };
const uiSegment = async (fx: ApiFixture, id: string, extra: Record<string, unknown> = {}) =>
  fx.store.segments.create({ id, entity: 'person', name: id, rules: vipRules, ...extra }, ui);
const uiSync = async (fx: ApiFixture, id: string) => fx.store.syncs.create({ id, segment: 'vips', destination: 'out' }, ui);

/** One sample request per route of SPEC §6 (and the extra admin routes), by `METHOD url`. */
const SAMPLES: Record<string, Maker> = {
  'GET /health': () => ({ url: '/health' }),
  'GET /openapi.json': () => ({ url: '/openapi.json' }),
  'GET /segments': () => ({ url: '/segments?status=active,archived' }),
  'GET /segments/:id': () => ({ url: '/segments/vips' }),
  'POST /segments': (_fx, n) => ({ url: '/segments', body: { id: `seg-new-${n}`, entity: 'person', name: 'New', rules: vipRules } }),
  'PATCH /segments/:id': async (fx, n) => {
    await uiSegment(fx, `seg-patch-${n}`);
    return { url: `/segments/seg-patch-${n}`, body: { name: 'Renamed', version: 1 } };
  },
  'DELETE /segments/:id': async (fx, n) => {
    await uiSegment(fx, `seg-del-${n}`);
    return { url: `/segments/seg-del-${n}` };
  },
  'POST /segments/:id/duplicate': () => ({ url: '/segments/vips/duplicate' }),
  'POST /estimate': () => ({ url: '/estimate', body: { entity: 'person', rules: vipRules } }),
  'POST /segments/overlap': () => ({ url: '/segments/overlap', body: { segments: ['vips', 'buyers'] } }),
  'GET /segments/:id/preview': () => ({ url: '/segments/vips/preview?limit=5' }),
  'GET /segments/:id/sql': () => ({ url: '/segments/vips/sql?dialect=postgres' }),
  'GET /segments/:id/stats': () => ({ url: '/segments/vips/stats' }),
  'POST /segments/:id/refresh': () => ({ url: '/segments/buyers/refresh' }),
  'POST /segments/:id/members': async (fx, n) => {
    await fx.store.segments.create({ id: `static-${n}`, entity: 'person', name: 'Static', type: 'static', members: ['p01'] }, ui);
    return { url: `/segments/static-${n}/members`, body: { add: ['p03', 'p05'] } };
  },
  'GET /segments/:id/members': async (fx, n) => {
    await fx.store.segments.create({ id: `static-read-${n}`, entity: 'person', name: 'Static', type: 'static', members: ['p01'] }, ui);
    return { url: `/segments/static-read-${n}/members?limit=10` };
  },
  'GET /segments/:id/destinations': () => ({ url: '/segments/vips/destinations' }),
  'PUT /segments/:id/destinations/:destinationId': async (fx, n) => {
    await uiSegment(fx, `seg-toggle-${n}`);
    return { url: `/segments/seg-toggle-${n}/destinations/meta-main`, body: { enabled: true } };
  },
  'GET /entities': () => ({ url: '/entities' }),
  'GET /entities/:id': () => ({ url: '/entities/person' }),
  'GET /entities/:id/fields': () => ({ url: '/entities/person/fields' }),
  'POST /entities': (_fx, n) => ({ url: '/entities', body: { id: `ent-${n}`, table: 'main.persons', primaryKey: 'person_id' } }),
  'PATCH /entities/:id': async (fx, n) => {
    await fx.store.entities.create({ id: `ent-patch-${n}`, table: 'main.persons', primaryKey: 'person_id' }, ui);
    return { url: `/entities/ent-patch-${n}`, body: { identifiers: { email: 'email' } } };
  },
  'DELETE /entities/:id': async (fx, n) => {
    await fx.store.entities.create({ id: `ent-del-${n}`, table: 'main.persons', primaryKey: 'person_id' }, ui);
    return { url: `/entities/ent-del-${n}` };
  },
  'GET /destinations': () => ({ url: '/destinations' }),
  'GET /destinations/:id': () => ({ url: '/destinations/meta-main' }),
  'POST /destinations': (_fx, n) => ({ url: '/destinations', body: { id: `dest-${n}`, type: 'file', settings: { path: `./exports-${n}` } } }),
  'PATCH /destinations/:id': async (fx, n) => {
    await fx.store.destinations.create({ id: `dest-patch-${n}`, type: 'file', settings: { path: './a' } }, ui);
    return { url: `/destinations/dest-patch-${n}`, body: { settings: { path: './b' } } };
  },
  'DELETE /destinations/:id': async (fx, n) => {
    await fx.store.destinations.create({ id: `dest-del-${n}`, type: 'file', settings: { path: './a' } }, ui);
    return { url: `/destinations/dest-del-${n}` };
  },
  'POST /destinations/:id/test': () => ({ url: '/destinations/meta-main/test' }),
  'GET /connectors': () => ({ url: '/connectors' }),
  'GET /syncs': () => ({ url: '/syncs?segment=vips' }),
  'GET /syncs/:id': () => ({ url: '/syncs/vip-file' }),
  'POST /syncs': (_fx, n) => ({ url: '/syncs', body: { id: `sync-new-${n}`, segment: 'vips', destination: 'out' } }),
  'PATCH /syncs/:id': async (fx, n) => {
    await uiSync(fx, `sync-patch-${n}`);
    return { url: `/syncs/sync-patch-${n}`, body: { schedule: '0 7 * * *' } };
  },
  'DELETE /syncs/:id': async (fx, n) => {
    await uiSync(fx, `sync-del-${n}`);
    return { url: `/syncs/sync-del-${n}` };
  },
  'POST /syncs/:id/runs': async (fx, n) => {
    await uiSync(fx, `sync-run-${n}`);
    return { url: `/syncs/sync-run-${n}/runs`, body: { dryRun: true } };
  },
  'GET /syncs/:id/runs': () => ({ url: '/syncs/vip-file/runs?limit=5' }),
  'GET /runs': () => ({ url: '/runs?limit=5' }),
  'GET /runs/:runId': async (fx, n) => {
    await uiSync(fx, `sync-read-${n}`);
    const run = await fx.store.runs.queue(`sync-read-${n}`, { requestedBy: 'test' });
    await fx.store.runs.update(run.runId, { status: 'synced' });
    return { url: `/runs/${run.runId}` };
  },
  'POST /runs/:runId/confirm': async (fx, n) => {
    await uiSync(fx, `sync-confirm-${n}`);
    const run = await fx.store.runs.queue(`sync-confirm-${n}`, { requestedBy: 'test', options: { dryRun: true } });
    await fx.store.runs.update(run.runId, { status: 'needs_confirmation' });
    return { url: `/runs/${run.runId}/confirm` };
  },
  'GET /persons/:personId/segments': () => ({ url: '/persons/p02/segments' }),
  'GET /exclusions': () => ({ url: '/exclusions' }),
  'GET /priority-lists': () => ({ url: '/priority-lists' }),
  'GET /audit': () => ({ url: '/audit?limit=5' }),
  'GET /me': () => ({ url: '/me' }),
  'GET /tokens': () => ({ url: '/tokens' }),
  'POST /tokens': (_fx, n) => ({ url: '/tokens', body: { name: `tok-${n}`, role: 'viewer' } }),
  'DELETE /tokens/:name': async (fx, n) => {
    await fx.store.tokens.create({ name: `tok-del-${n}`, role: 'viewer' }, ui);
    return { url: `/tokens/tok-del-${n}` };
  },
};

/**
 * The lowest role of each route, as SPEC §6 says: viewer every GET; marketer segments, estimate,
 * static members, toggles, run now, confirm; data entities, destinations, classic syncs; admin
 * tokens and the audit log. Written out here, apart from the routes' own declarations.
 */
const SPEC_ROLE: Record<string, Role | 'public'> = {
  'GET /health': 'public',
  'GET /openapi.json': 'public',
  'POST /segments': 'marketer',
  'PATCH /segments/:id': 'marketer',
  'DELETE /segments/:id': 'marketer',
  'POST /segments/:id/duplicate': 'marketer',
  'POST /estimate': 'marketer',
  // Not in SPEC §6: counting saved segments is a read, as every GET is.
  'POST /segments/overlap': 'viewer',
  'POST /segments/:id/refresh': 'marketer',
  'POST /segments/:id/members': 'marketer',
  'GET /segments/:id/members': 'viewer',
  'PUT /segments/:id/destinations/:destinationId': 'marketer',
  'POST /syncs/:id/runs': 'marketer',
  'POST /runs/:runId/confirm': 'marketer',
  'POST /entities': 'data',
  'PATCH /entities/:id': 'data',
  'DELETE /entities/:id': 'data',
  'POST /destinations': 'data',
  'PATCH /destinations/:id': 'data',
  'DELETE /destinations/:id': 'data',
  'POST /destinations/:id/test': 'data',
  'POST /syncs': 'data',
  'PATCH /syncs/:id': 'data',
  'DELETE /syncs/:id': 'data',
  'GET /audit': 'admin',
  'GET /tokens': 'admin',
  'POST /tokens': 'admin',
  'DELETE /tokens/:name': 'admin',
};
const specRole = (key: string): Role | 'public' => SPEC_ROLE[key] ?? (key.startsWith('GET ') ? 'viewer' : 'admin');

const CALLERS = ['no token', 'bad token', ...ROLES] as const;

describe.each(backends)('every route × every caller on a %s store (SPEC §6 roles)', (backend) => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await ApiFixture.start(backend);
  });
  afterAll(() => fx.close());

  it('lists every route it serves, each with a sample request', () => {
    const served = fx.app.routeList.map((r) => `${r.method} ${r.url.slice(API_PREFIX.length)}`).sort();
    expect(served).toEqual(Object.keys(SAMPLES).sort());
  });

  it('answers 401 without a valid token, 403 below the route’s role and 2xx at or above it', async () => {
    const failures: string[] = [];
    let n = 0;
    for (const route of fx.app.routeList) {
      const key = `${route.method} ${route.url.slice(API_PREFIX.length)}`;
      for (const caller of CALLERS) {
        const sample = await SAMPLES[key]!(fx, ++n);
        const token = caller === 'no token' ? null : caller === 'bad token' ? 'oft_not-a-real-token-at-all-000000000000000000' : caller;
        const res = await fx.request(route.method, sample.url, { token, ...(sample.body !== undefined ? { body: sample.body } : {}) });
        const role = specRole(key);
        const allowed = role === 'public' || (caller !== 'no token' && caller !== 'bad token' && roleAllows(caller as Role, role));
        const expected = allowed ? '2xx' : caller === 'no token' || caller === 'bad token' ? '401' : '403';
        const got = res.status >= 200 && res.status < 300 ? '2xx' : String(res.status);
        if (got !== expected) failures.push(`${key} as ${caller}: expected ${expected}, got ${res.status} ${res.raw.slice(0, 300)}`);
        else if (!allowed) {
          expect(res.body).toMatchObject({ error: { code: expected === '401' ? 'unauthorized' : 'forbidden' } });
        } else {
          // The documented response schema describes what the handler sent.
          const schema = route.responses[String(res.status)] as z.ZodType | undefined;
          const checked = schema?.safeParse(res.body);
          if (checked && !checked.success) failures.push(`${key} as ${caller}: ${res.status} body does not match its schema: ${checked.error.message.slice(0, 300)}`);
        }
      }
    }
    await fx.warehouse.idle();
    expect(failures).toEqual([]);
  }, 120_000);

  it('serves a valid OpenAPI 3.1 document that describes every route', async () => {
    const res = await fx.request('GET', '/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const doc = res.body as unknown as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? 'valid' : JSON.stringify(result.errors).slice(0, 2000)).toBe('valid');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.slice(API_PREFIX.length)}`));
    const expected = fx.app.routeList
      .filter((r) => !r.url.endsWith('/openapi.json'))
      .map((r) => `${r.method} ${r.url.slice(API_PREFIX.length).replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual(expected.sort());
  });
});
