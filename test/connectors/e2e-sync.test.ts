import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { destinationFactory } from '../../src/destinations/registry';
import { runSync } from '../../src/sync/steps';
import { openWarehouse } from '../../src/warehouse';
import { GoogleAdsFake } from '../../src/sandbox/google-ads';
import { MetaFake } from '../../src/sandbox/meta';
import {
  expectedAudience,
  googleKeys,
  initialPeople,
  metaKeys,
  type Person,
  runCli,
  withDuckDb,
  writePeople,
  writeWorkspace,
} from './e2e-support';

/**
 * From a DuckDB segment to both contract fakes: the first run through the `outflow sync run` CLI
 * as a user runs it (every output line captured), the next ones through the exported runSync
 * (every structured log event captured), with churn and changed emails in between. After each,
 * the fake's audience is exactly the segment's hashed identifiers; a run with no change sends
 * nothing; no output line or log event holds personal data or secrets.
 */

const google = new GoogleAdsFake();
const meta = new MetaFake();
const env: Record<string, string> = {};
let work: ReturnType<typeof writeWorkspace>;
let people: Person[];
const output: string[] = [];

beforeAll(async () => {
  await Promise.all([google.start(), meta.start()]);
  const g = google.settings({ rowsPerJob: 7, identifiersPerRequest: 6 });
  const m = meta.settings({ rowsPerRequest: 4, requestsPerSession: 2, concurrency: 2 });
  Object.assign(env, {
    E2E_GOOGLE_DEV_TOKEN: google.developerToken,
    E2E_GOOGLE_SECRET: google.clientSecret,
    E2E_GOOGLE_REFRESH: google.refreshToken,
    E2E_META_TOKEN: meta.accessToken,
  });
  work = writeWorkspace([
    {
      id: 'gads',
      type: 'google_ads',
      settings: {
        ...g,
        developerToken: '${env:E2E_GOOGLE_DEV_TOKEN}',
        clientSecret: '${env:E2E_GOOGLE_SECRET}',
        refreshToken: '${env:E2E_GOOGLE_REFRESH}',
      },
    },
    { id: 'meta-main', type: 'meta', settings: { ...m, accessToken: '${env:E2E_META_TOKEN}' } },
  ]);
  people = initialPeople();
  await withDuckDb(work.dbPath, (w) => writePeople(w, people));
});

afterAll(async () => {
  await Promise.all([google.stop(), meta.stop()]);
});

const SYNCS = ['vips-gads', 'vips-meta-main'];

/** Both syncs through the CLI; returns what each printed. */
async function syncBothWithCli(): Promise<string[]> {
  const outs: string[] = [];
  for (const sync of SYNCS) {
    const r = await runCli(['--config', work.config, 'sync', 'run', sync], env);
    output.push(r.stdout, r.stderr);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    outs.push(r.stdout);
  }
  return outs;
}

/** Both syncs through runSync in this process, logging every event into `output`. */
async function syncBoth() {
  const loaded = loadWorkspace(work.config, { ...process.env, ...env });
  const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
  const log = (event: string, fields?: Record<string, unknown>) => void output.push(JSON.stringify({ event, ...fields }));
  try {
    const deps = { warehouse, workspace: loaded.workspace, destinations: destinationFactory(loaded.workspace, loaded.dir, log), log };
    const results = [];
    for (const syncId of SYNCS) {
      const r = await runSync(deps, { syncId, asOf: new Date().toISOString() });
      output.push(JSON.stringify(r));
      expect(r.status, r.reason).toBe('synced');
      results.push(r);
    }
    return results;
  } finally {
    await warehouse.close();
  }
}

describe('outflow sync run to the Google Ads and Meta fakes', () => {
  it('run 1: the audiences equal the segment; the unusable row is rejected with its reason', async () => {
    const [g, m] = await syncBothWithCli();
    const members = people.filter((p) => p.vip).length;
    for (const out of [g, m]) {
      // The unusable row is planned and rejected before sending: it is not among the rows sent.
      expect(out).toContain(`planned ${members} (add ${members}, remove 0), sent ${members - 1} (added ${members - 1}, removed 0), accepted ${members - 1}, rejected 1, deferred 0`);
      expect(out).toContain('rejected 1: no usable identifier (phone: not a possible phone number (no country code))');
      // The platform's read-back is printed after the run (and recorded on it; see `sync status`).
      expect(out).toMatch(/match rate \d+%|audience size \d+/);
    }
    expect(google.members('aud-vips')).toEqual(expectedAudience(people, googleKeys));
    expect(meta.members('aud-vips')).toEqual(expectedAudience(people, metaKeys));
    expect(google.lists.size).toBe(1);
    expect(meta.audiences.size).toBe(1);
  }, 120_000);

  it('run 2: churn and changed emails; still exact, only the diff is sent', async () => {
    people = people.map((p) => {
      if (p.id === 'p001') return { ...p, vip: false }; // leaves
      if (p.id === 'p009') return { ...p, vip: true }; // joins
      if (p.id === 'p004') return { ...p, email: 'Renamed.Four@Example.org' }; // changed email
      if (p.id === 'p005') return { ...p, phone: '+44 20 7183 8750' }; // changed phone
      return p;
    });
    people.push({ id: 'p100', email: 'newcomer@example.net', phone: null, vip: true });
    await withDuckDb(work.dbPath, (w) => writePeople(w, people));
    const metaRowsBefore = meta.uploads.reduce((n, u) => n + u.rows, 0);
    const results = await syncBoth();
    // joins: p009, p100; changed: p004, p005 (each a remove of the old row and an add of the new)
    for (const r of results) expect(r).toMatchObject({ added: 4, removed: 3, rejected: 0 });
    expect(google.members('aud-vips')).toEqual(expectedAudience(people, googleKeys));
    expect(meta.members('aud-vips')).toEqual(expectedAudience(people, metaKeys));
    expect(meta.uploads.reduce((n, u) => n + u.rows, 0) - metaRowsBefore).toBe(7);
  }, 120_000);

  it('run 3: nothing changed, nothing is sent', async () => {
    const requests = { google: google.requests.length, meta: meta.requests.length, jobs: google.jobs.size };
    const results = await syncBoth();
    for (const r of results) expect(r).toMatchObject({ added: 0, removed: 0, rejected: 0, batches: 0 });
    expect(google.jobs.size).toBe(requests.jobs);
    // Not even a token refresh or an audience lookup: an empty diff needs no platform call.
    expect(google.requests.length).toBe(requests.google);
    expect(meta.requests.length).toBe(requests.meta);
  }, 120_000);

  it('run 4: a platform that cannot report a match rate yet does not fail the run; the summary says why', async () => {
    people = [...people, { id: 'p101', email: 'late@example.net', phone: null, vip: true }];
    await withDuckDb(work.dbPath, (w) => writePeople(w, people));
    // The read-back's second call (the audience's last session) fails once.
    meta.inject({ kind: 'server_error', times: 1, status: 503, pathIncludes: '/sessions' });
    const r = await runCli(['--config', work.config, 'sync', 'run', 'vips-meta-main'], env);
    output.push(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('added 1, removed 0');
    expect(r.stdout).toMatch(/\n {2}match rate not read: Meta destination "meta-main" .*503/);
    expect(meta.members('aud-vips')).toEqual(expectedAudience(people, metaKeys));
  }, 120_000);

  it('no output line or log event holds an email, a phone number or a secret', () => {
    const all = output.join('\n');
    expect(all.length).toBeGreaterThan(0);
    const secrets = [google.developerToken, google.clientSecret, google.refreshToken, meta.accessToken];
    for (const s of secrets) expect(all).not.toContain(s);
    expect(all).not.toMatch(/ya29\.fake-/);
    for (const p of people) {
      if (p.email) expect(all.toLowerCase()).not.toContain(p.email.trim().toLowerCase());
      if (p.phone && p.phone.length > 4) {
        expect(all).not.toContain(p.phone);
        expect(all).not.toContain(p.phone.replace(/\D/g, ''));
      }
    }
    expect(all).not.toMatch(/[^\s@]+@[^\s@]+\.[a-z]{2,}/i);
  });
});
