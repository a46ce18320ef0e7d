import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { parseWorkspace } from '../../src/config/load';
import { anyJsonArb, hostileString, malformedJsonArb, mutatedBodyArb, segmentBodyArb } from './body-arbitraries';
import { ApiFixture } from './support';

/** What must never reach a client: a stack frame, internal SQL, a secret. */
function leaks(raw: string): string | undefined {
  if (/\bat .+\.(ts|js):\d+/.test(raw) || /"stack"/.test(raw)) return 'a stack trace';
  if (/\b(select|insert into|delete from|create table)\b.+\b(from|values|where)\b/i.test(raw) && !raw.includes('invalid_input')) return 'SQL text';
  if (raw.includes('sandbox-access-token') || raw.includes('$encrypted')) return 'a secret';
  return undefined;
}

describe('API errors (SPEC §6)', () => {
  let fx: ApiFixture;
  let fileObject: Record<string, unknown>;
  beforeAll(async () => {
    fx = await ApiFixture.start('sqlite');
    fileObject = parse(readFileSync(fx.file, 'utf8')) as Record<string, unknown>;
  });
  afterAll(() => fx.close());

  /** The workspace file's verdict on a segment body: its first problem's path relative to the body, or 'ok'. */
  const fileVerdict = (body: unknown): string => {
    const segments = [...(fileObject.segments as unknown[]), body];
    try {
      parseWorkspace(JSON.stringify({ ...fileObject, segments }), 'outflow.yaml', process.env, fx.dir);
      return 'ok';
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      const prefix = `segments[${segments.length - 1}]`;
      const p = err.problems[0]!.path;
      return p === prefix ? '' : p.startsWith(`${prefix}.`) ? p.slice(prefix.length + 1) : p.startsWith(`${prefix}[`) ? p.slice(prefix.length) : `(elsewhere) ${p}`;
    }
  };

  it('reports the same first problem at the same path as the workspace file, for mutated segment bodies', async () => {
    const seen = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(mutatedBodyArb(segmentBodyArb), async (body) => {
        const verdict = fileVerdict(body);
        const res = await fx.request('POST', '/segments', { token: 'marketer', body });
        expect(leaks(res.raw)).toBeUndefined();
        if (verdict === 'ok') {
          expect(res.status, res.raw).toBe(201);
          seen.accepted++;
          return;
        }
        seen.rejected++;
        expect(res.status, res.raw).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'invalid_input' });
        expect((res.body.error as { path?: string }).path ?? '', res.raw).toBe(verdict);
      }),
      { numRuns: 150 },
    );
    // Both sides of the property were exercised.
    expect(seen.accepted).toBeGreaterThan(10);
    expect(seen.rejected).toBeGreaterThan(50);
  });

  it('answers any JSON body on every write route with 2xx, 400, 404 or 409, never a 5xx or a leak', async () => {
    const routes = [
      ['POST', '/segments'],
      ['PATCH', '/segments/vips'],
      ['POST', '/estimate'],
      ['POST', '/segments/vips/members'],
      ['PUT', '/segments/vips/destinations/meta-main'],
      ['POST', '/entities'],
      ['PATCH', '/destinations/meta-main'],
      ['POST', '/destinations'],
      ['POST', '/syncs'],
      ['PATCH', '/syncs/vip-file'],
      ['POST', '/syncs/vip-file/runs'],
      ['POST', '/tokens'],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.oneof(anyJsonArb, mutatedBodyArb(segmentBodyArb)), async ([method, url], body) => {
        const res = await fx.request(method, url, { body });
        expect([200, 201, 202, 204, 400, 404, 409], `${method} ${url} ${JSON.stringify(body).slice(0, 200)} -> ${res.raw.slice(0, 300)}`).toContain(res.status);
        expect(leaks(res.raw)).toBeUndefined();
        if (res.status >= 400) {
          expect(Object.keys(res.body)).toEqual(['error']);
          expect(typeof (res.body.error as { message: unknown }).message).toBe('string');
        }
      }),
      { numRuns: 200 },
    );
    await fx.warehouse.idle();
  });

  it('answers malformed JSON, a wrong content type and a forbidden __proto__ key with 400', async () => {
    await fc.assert(
      fc.asyncProperty(malformedJsonArb, async (raw) => {
        const res = await fx.request('POST', '/segments', { raw });
        expect(res.status, `${JSON.stringify(raw)} -> ${res.raw}`).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'invalid_input' });
      }),
      { numRuns: 60 },
    );
    const text = await fx.request('POST', '/estimate', { raw: 'entity=person', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expect(text.body.error).toMatchObject({ code: 'invalid_input' });
  });

  it('answers hostile path and query values with 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/segments/', '/segments/vips/preview?limit=', '/segments/vips/sql?dialect=', '/persons/', '/runs/', '/audit?before=', '/syncs?segment=', '/segments?status='),
        hostileString,
        async (prefix, value) => {
          const res = await fx.request('GET', `${prefix}${encodeURIComponent(value)}${prefix === '/persons/' ? '/segments' : ''}`);
          expect(res.status, `${prefix}${JSON.stringify(value).slice(0, 80)} -> ${res.raw.slice(0, 200)}`).toBeLessThan(500);
          expect(leaks(res.raw)).toBeUndefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers a body over 1 MB with 413', async () => {
    const res = await fx.request('POST', '/segments', { raw: JSON.stringify({ id: 'big', entity: 'person', name: 'x'.repeat(1024 * 1024) }) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'payload_too_large', message: expect.stringContaining('1 MB') as unknown } });
  });

  it('maps the store’s errors: 404, 409 naming the file, 409 with the current version, 409 with the open run', async () => {
    expect((await fx.request('GET', '/segments/nope')).body).toEqual({ error: { code: 'not_found', message: 'no segment "nope"' } });
    const fileOwned = await fx.request('PATCH', '/segments/vips', { token: 'marketer', body: { name: 'x' } });
    expect(fileOwned.status).toBe(409);
    expect(fileOwned.body.error).toMatchObject({ code: 'conflict', message: 'segment "vips" is managed in outflow.yaml: change it there and run outflow apply' });

    const created = await fx.request('POST', '/segments', { token: 'marketer', body: { id: 'stale-one', entity: 'person', name: 'S', type: 'everyone' } });
    expect(created.status).toBe(201);
    expect(created.body.alias).toMatch(/^[a-z]+-[a-z]+-[a-z]+$/);
    expect((await fx.request('PATCH', '/segments/stale-one', { body: { name: 'T', version: 1 } })).status).toBe(200);
    const stale = await fx.request('PATCH', '/segments/stale-one', { body: { name: 'U', version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'conflict', currentVersion: 2 });

    const open = await fx.store.runs.queue('vip-file', { requestedBy: 'test' });
    const second = await fx.request('POST', '/syncs/vip-file/runs', { token: 'marketer', body: {} });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'conflict', openRunId: open.runId });
    await fx.store.runs.update(open.runId, { status: 'failed' });
  });

  it('never returns a secret: destinations read back {"set": true}, the audit log too', async () => {
    const dest = await fx.request('GET', '/destinations/meta-main', { token: 'viewer' });
    expect(dest.body.settings).toMatchObject({ accessToken: { set: true } });
    const patched = await fx.request('PATCH', '/destinations/meta-main', { token: 'data', body: { settings: { ...(dest.body.settings as object), accessToken: 'rotated-secret-value' } } });
    expect(patched.status).toBe(409); // file-managed
    const ui = await fx.request('POST', '/destinations', { token: 'data', body: { id: 'meta-ui', type: 'meta', settings: { ...fx.meta.settings(), accessToken: 'ui-secret-value' } } });
    expect(ui.status).toBe(201);
    expect(ui.raw).not.toContain('ui-secret-value');
    const audit = await fx.request('GET', '/audit?limit=50', { token: 'admin' });
    expect(audit.raw).not.toContain('ui-secret-value');
    expect(audit.raw).not.toContain('sandbox-access-token');
  });
});
