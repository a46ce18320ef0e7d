import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { destinationFactory } from '../../src/destinations/registry';
import { runSync } from '../../src/sync/steps';
import { openWarehouse } from '../../src/warehouse';
import { type Person, runCli, withDuckDb, writePeople, writeWorkspace } from './e2e-support';
import { PLATFORMS, platformCase } from './platforms-ii-support';

/**
 * From a DuckDB segment to the LinkedIn, Microsoft Advertising, TikTok, Snapchat, Pinterest,
 * Reddit and X contract fakes, over three runs: `outflow sync run` as a user runs it, then a run with churn and changed
 * emails and phones through runSync (every structured log event captured), then `outflow sync
 * run` with nothing changed. After each, the fake's audience is exactly the segment's keys as the
 * fake computes them; the unchanged run sends no request; no output line or log event holds an
 * email, a phone number or a secret.
 */

describe.each(PLATFORMS)('outflow sync run to the %s fake', (name) => {
  const c = platformCase(name);
  const output: string[] = [];
  let work: ReturnType<typeof writeWorkspace>;
  let people: Person[];

  beforeAll(async () => {
    await c.fake.start();
    work = writeWorkspace([{ id: 'dest', type: name, settings: c.settings() }]);
    people = c.people();
    await withDuckDb(work.dbPath, (w) => writePeople(w, people));
  });
  afterAll(() => c.fake.stop());

  const cli = async () => {
    const r = await runCli(['--config', work.config, 'sync', 'run', 'vips-dest'], c.env);
    output.push(r.stdout, r.stderr);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    return r.stdout;
  };

  it('run 1: the audience equals the segment; unusable rows are rejected with their reason; a small audience is a warning', async () => {
    const out = await cli();
    const vips = people.filter((p) => p.vip).length;
    // p007's email is not one, p008 has none; Snapchat still takes p007's phone.
    const rejected = name === 'snapchat' ? 1 : 2;
    // Unusable rows are planned and rejected before sending: they are not among the rows sent.
    expect(out).toContain(`planned ${vips} (add ${vips}, remove 0), sent ${vips - rejected} (added ${vips - rejected}, removed 0), accepted ${vips - rejected}, rejected ${rejected}, deferred 0`);
    expect(out).toMatch(/rejected 1: no usable identifier/);
    if (c.minimum === false) expect(out).not.toMatch(/warning: audience below/);
    else expect(out).toMatch(/\n {2}warning: audience below .*'s minimum size: \d+ matched, campaigns need at least (100|300|1,000)\n/);
    expect(c.audience()).toEqual(c.expected(people));
    expect(c.audience().size).toBeGreaterThan(0);
  }, 120_000);

  it('run 2: churn, a changed email and a changed phone; still exact, only the diff is sent', async () => {
    people = people.map((p) => {
      if (p.id === 'p001') return { ...p, vip: false }; // leaves
      if (p.id === 'p009') return { ...p, vip: true }; // joins
      if (p.id === 'p004') return { ...p, email: 'Renamed.Four@Example.org' };
      if (p.id === 'p005') return { ...p, phone: '+44 20 7183 8750' };
      return p;
    });
    people.push({ id: 'p100', email: 'newcomer@example.net', phone: null, vip: true });
    await withDuckDb(work.dbPath, (w) => writePeople(w, people));
    const loaded = loadWorkspace(work.config, { ...process.env, ...c.env });
    const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
    const log = (event: string, fields?: Record<string, unknown>) => void output.push(JSON.stringify({ event, ...fields }));
    try {
      const r = await runSync({ warehouse, workspace: loaded.workspace, destinations: destinationFactory(loaded.workspace, loaded.dir, log), log }, { syncId: 'vips-dest', asOf: new Date().toISOString() });
      output.push(JSON.stringify(r));
      expect(r.status, r.reason).toBe('synced');
      // joins: p009, p100; changed: p004, and p005 where phones are sent (each a remove of the old row and an add of the new).
      // TikTok keys only the audience's one identifier (email), so a changed phone changes no key.
      const phones = c.kinds.includes('phone') && name !== 'tiktok' ? 1 : 0;
      expect(r).toMatchObject({ added: 3 + phones, removed: 2 + phones, rejected: 0 });
    } finally {
      await warehouse.close();
    }
    expect(c.audience()).toEqual(c.expected(people));
  }, 120_000);

  it('run 3: nothing changed, no request is sent', async () => {
    const before = c.fake.requests.length;
    const out = await cli();
    expect(out).toContain('planned 0 (add 0, remove 0), sent 0 (added 0, removed 0), accepted 0, rejected 0, deferred 0, batches 0');
    expect(c.fake.requests.length).toBe(before);
    expect(c.audience()).toEqual(c.expected(people));
  }, 120_000);

  it('no output line or log event holds an email, a phone number or a secret', () => {
    const all = output.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const s of c.secrets) expect(all).not.toContain(s);
    if (c.tokenPrefix) expect(all).not.toMatch(c.tokenPrefix);
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
