import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { openStoreFor } from '../../src/store';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';

/**
 * `outflow serve` SIGKILLed in the middle of a run it started through the API: the next server
 * resumes that run at start, and no batch the destination acknowledged before the kill is sent
 * again (each batch of the file destination is one file, written by rename: a re-sent batch
 * would be a new file, with a new inode).
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PERSONS = 2400;
const dir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'outflow-serve-crash-'));
const children: ChildProcess[] = [];

function serve(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/outflow.js'), 'serve', '--config', path.join(dir, 'outflow.yaml'), '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API at (http:\/\/\S+)\/api\/v1/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every batch file of the run, with its inode. */
function batchFiles(runFolder: string): Map<string, number> {
  if (!existsSync(runFolder)) return new Map();
  return new Map(readdirSync(runFolder).filter((f) => f.endsWith('.jsonl')).map((f) => [f, statSync(path.join(runFolder, f)).ino]));
}

describe('outflow serve killed mid-run (SIGKILL)', () => {
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes the run at its next start without re-sending acknowledged batches', async () => {
    const db = await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') });
    await db.execute(`create table persons as select 'p' || lpad(i::varchar, 5, '0') as person_id, 'user' || i || '@example.com' as email from range(0, ${PERSONS}) t(i)`);
    await db.close();
    writeFileSync(
      path.join(dir, 'outflow.yaml'),
      `version: 1
warehouse: {type: duckdb, path: ./wh.duckdb}
entities: [{id: person, table: main.persons, primaryKey: person_id, identifiers: {email: email}}]
segments: [{id: everyone, entity: person, name: Everyone, type: everyone, alias: all-people}]
destinations: [{id: out, type: file, settings: {path: ./exports, batchLimit: 2, concurrency: 1}}]
syncs: [{id: all-out, segment: everyone, destination: out}]
`,
    );
    const store = await openStoreFor(loadWorkspace(path.join(dir, 'outflow.yaml')));
    const { token } = await store.tokens.create({ name: 'ops', role: 'marketer' }, { name: 'test' });
    await store.close();
    const call = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    // First server: start the run, kill the server once some batches are acknowledged.
    const first = await serve();
    const queued = await call(`${first.url}/api/v1/syncs/all-out/runs`, { method: 'POST', body: '{}' });
    expect(queued.status).toBe(202);
    const runId = String(queued.body.runId);
    const audienceFolder = path.join(dir, 'exports', 'all-people');
    const runFolder = await until('the run folder', () => (existsSync(audienceFolder) ? readdirSync(audienceFolder).map((f) => path.join(audienceFolder, f))[0] : undefined));
    await until('some acknowledged batches', () => (batchFiles(runFolder).size >= 60 ? true : undefined));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    // What the destination had acknowledged when the server died.
    const wh = await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') });
    const acked = (await wh.query<{ batch_id: string }>(`select batch_id from outflow.sync_batches`)).map((r) => r.batch_id);
    const [open] = await wh.query<{ status: string }>(`select status from outflow.sync_runs`);
    await wh.close();
    expect(open!.status).toBe('syncing');
    expect(acked.length).toBeGreaterThan(0);
    expect(acked.length).toBeLessThan(PERSONS / 2);
    const ackedFiles = acked.map((id) => `add-${id.split('/')[2]!.padStart(6, '0')}.jsonl`);
    const before = batchFiles(runFolder);

    // Second server: resumes the run by itself.
    const second = await serve();
    const done = await until('the resumed run to finish', async () => {
      const run = await call(`${second.url}/api/v1/runs/${runId}`);
      return run.body.status === 'synced' || run.body.status === 'failed' ? run.body : undefined;
    });
    expect(done, second.output()).toMatchObject({ runId, status: 'synced', planned: PERSONS });
    expect(second.output()).toContain('run_resumed_on_start');

    const after = batchFiles(runFolder);
    for (const f of ackedFiles) expect(after.get(f), `${f} was written again`).toBe(before.get(f));
    // The destination holds every person exactly once.
    const seen = new Map<string, number>();
    for (const f of after.keys())
      for (const line of readFileSync(path.join(runFolder, f), 'utf8').split('\n').filter(Boolean)) {
        const { personId } = JSON.parse(line) as { personId: string };
        seen.set(personId, (seen.get(personId) ?? 0) + 1);
      }
    expect(seen.size).toBe(PERSONS);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 300_000);
});
