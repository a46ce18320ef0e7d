import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchemas, PG_URL, uniqueSchema } from '../support/pg';
import { storeBackends } from './support';

/**
 * The control plane end to end, as the README tells it, through the command line: `outflow demo`,
 * `outflow tokens create`, `outflow serve --sandbox`; a marketer creates a segment, estimates it
 * (the same count as `outflow segments size`), switches a sandbox ad platform on, runs the sync
 * and reads the run back; a viewer gets 403 on each of those changes. On a SQLite and a
 * PostgreSQL store.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(REPO, 'bin/outflow.js');
const backends = await storeBackends();
const root = mkdtempSync(path.join(tmpdir(), 'outflow-acceptance-'));
const children: ChildProcess[] = [];
const schemas: string[] = [];

function outflow(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [BIN, ...args], { cwd: root, timeout: 180_000, env: { ...process.env, CI: 'true' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

function serve(config: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0', '--sandbox'], { cwd: root, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API at (http:\/\/\S+)\/api\/v1/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`outflow serve exited ${code}: ${out}`)));
  });
}

describe('acceptance: the demo workspace served, driven by a marketer and refused to a viewer', () => {
  let demoOutput = '';
  beforeAll(async () => {
    const demo = await outflow(['demo', '--persons', '2000', '--dir', 'demo']);
    expect(demo.code, demo.stderr).toBe(0);
    demoOutput = demo.stdout;
  }, 300_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await dropSchemas(schemas);
    rmSync(root, { recursive: true, force: true });
  });

  it('outflow demo prints how to serve the demo workspace, with a token it created', () => {
    expect(demoOutput).toContain('npx outflow serve --config demo/outflow.yaml --sandbox');
    expect(demoOutput).toMatch(/admin token "demo" \(shown once\): oft_[A-Za-z0-9_-]{43}/);
  });

  it.each(backends)('on a %s store', async (backend) => {
    const config = path.join(root, 'demo', 'outflow.yaml');
    if (backend === 'postgres') {
      const schema = uniqueSchema('accept');
      schemas.push(schema);
      appendFileSync(config, `store: {type: postgres, connectionString: "${PG_URL}", schema: ${schema}}\n`);
    }
    const tokens: Record<string, string> = {};
    for (const role of ['marketer', 'viewer']) {
      const created = await outflow(['tokens', 'create', '--config', config, '--name', `${role}-${backend}`, '--role', role]);
      expect(created.code, created.stderr).toBe(0);
      tokens[role] = /oft_[A-Za-z0-9_-]{43}/.exec(created.stdout)![0];
    }
    const id = `big-buyers-${backend}`;
    const rules = { conditions: [{ kind: 'event', event: 'purchase', count: { op: '>=', value: 2 }, window: { last: 90, unit: 'day' } }] };
    // The demo's data run up to midnight UTC today; the estimate and `segments size` are asked as of then.
    const now = new Date();
    const asOf = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
    let estimated: unknown;
    const server = await serve(config);
    try {
    const call = async (role: string, method: string, url: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/v1${url}`, {
        method,
        headers: { authorization: `Bearer ${tokens[role]!}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    const segment = { id, entity: 'person', name: 'Two purchases in 90 days', rules };
    const viewer = {
      create: await call('viewer', 'POST', '/segments', segment),
      estimate: await call('viewer', 'POST', '/estimate', { entity: 'person', rules, asOf }),
    };

    const created = await call('marketer', 'POST', '/segments', segment);
    expect(created.status).toBe(201);
    const estimate = await call('marketer', 'POST', '/estimate', { entity: 'person', rules, asOf });
    expect(estimate.status).toBe(200);
    estimated = estimate.body.count;
    const toggle = await call('marketer', 'PUT', `/segments/${id}/destinations/meta-sandbox`, { enabled: true });
    expect(toggle.status, JSON.stringify(toggle.body)).toBe(200);
    expect(toggle.body).toMatchObject({ destinationId: 'meta-sandbox', enabled: true });
    const syncId = String(toggle.body.syncId);
    Object.assign(viewer, {
      toggle: await call('viewer', 'PUT', `/segments/${id}/destinations/google-ads-sandbox`, { enabled: true }),
      run: await call('viewer', 'POST', `/syncs/${syncId}/runs`, {}),
    });
    const queued = await call('marketer', 'POST', `/syncs/${syncId}/runs`, {});
    expect(queued.status).toBe(202);
    let run: Record<string, unknown> = {};
    for (let i = 0; i < 600 && !['synced', 'failed', 'needs_confirmation'].includes(String(run.status)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await call('viewer', 'GET', `/runs/${String(queued.body.runId)}`)).body;
    }
    expect(run).toMatchObject({ status: 'synced', requestedBy: `marketer-${backend}`, error: null });
    expect(Number(run.planned)).toBeGreaterThan(0);
    expect(Number(run.planned)).toBe(Number(run.accepted) + Number(run.rejected) + Number(run.deferred));

    for (const [what, res] of Object.entries(viewer)) {
      expect(res.status, what).toBe(403);
      expect(res.body.error, what).toMatchObject({ code: 'forbidden' });
    }

    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
    const size = await outflow(['segments', 'size', id, '--config', config, '--as-of', asOf]);
    expect(size.code, size.stderr).toBe(0);
    expect(Number(size.stdout.trim())).toBe(estimated);
  }, 300_000);
});
