import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { sandboxTypes, syncSegmentsToSandbox } from '../../src/demo/sandbox';
import { initialPeople, withDuckDb, writePeople } from './e2e-support';

describe('syncSegmentsToSandbox', () => {
  it('syncs two segments to every sandbox platform with a connector, prints adds, removes and match rates; a second round sends nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'outflow-sandbox-'));
    const db = path.join(dir, 'w.duckdb');
    await withDuckDb(db, (w) => writePeople(w, initialPeople()));
    const config = path.join(dir, 'outflow.yaml');
    writeFileSync(
      config,
      `version: 1
warehouse: { type: duckdb, path: ${JSON.stringify(db)} }
entities:
  - { id: person, table: main.persons, primaryKey: person_id, identifiers: { email: email, phone: phone } }
  - { id: vip, sql: "select * from main.persons where vip", primaryKey: person_id, identifiers: { email: email } }
segments:
  - { id: everyone, entity: person, name: Everyone, type: everyone }
  - { id: vips, entity: vip, name: VIPs, type: everyone, alias: aud-vips }
`,
    );
    const lines: string[] = [];
    const reports = await syncSegmentsToSandbox({ loaded: loadWorkspace(config), segmentIds: ['everyone', 'vips'], print: (l) => lines.push(l), rounds: 2 });
    const platforms = sandboxTypes().map((t) => `${t.replace('_', '-')}-sandbox`);
    expect(platforms.slice(0, 6)).toEqual(['google-ads-sandbox', 'meta-sandbox', 'linkedin-sandbox', 'microsoft-ads-sandbox', 'tiktok-sandbox', 'snapchat-sandbox']);
    expect(reports).toHaveLength(2 * 2 * platforms.length);
    const n = 2 * platforms.length;
    const [first, second] = [reports.slice(0, n), reports.slice(n)];
    expect(first.map((r) => [r.segment, r.destination, r.status])).toEqual([
      ...platforms.map((d) => ['everyone', d, 'synced']),
      ...platforms.map((d) => ['vips', d, 'synced']),
    ]);
    // Rows of keys sent: at most one per person (30 and 27), fewer where people share a key in the
    // platform's key space or have no value the platform takes (rejected before sending).
    for (const r of first) {
      const persons = r.segment === 'everyone' ? 30 : 27;
      expect(r.added, r.destination).toBeLessThanOrEqual(persons);
      expect(r.added, r.destination).toBeGreaterThanOrEqual(persons - 3);
    }
    for (const r of first) expect(r.matchRate?.status, r.destination).toBe('ready');
    expect(first[platforms.length]?.audienceName).toBe('aud-vips');
    expect(first[0]?.audienceName).toMatch(/^[a-z]+-[a-z]+-[a-z]+$/);
    expect(second.every((r) => r.status === 'synced' && r.added === 0 && r.removed === 0)).toBe(true);
    // Thirty people are below every new platform's minimum: a warning on the run, not a failure.
    // StackAdapt documents no minimum and reports no size: no warning there.
    const tiktok = first.find((r) => r.destination === 'tiktok-sandbox')!;
    expect(tiktok.rejected).toBe(30);
    for (const r of first.filter((x) => x.destination === 'stackadapt-sandbox')) expect(r.matchRate, r.destination).toEqual({ status: 'ready' });
    for (const r of first.filter((x) => !['google-ads-sandbox', 'meta-sandbox', 'stackadapt-sandbox', 'webhook-sandbox'].includes(x.destination)))
      expect(r.matchRate?.warnings?.[0], r.destination).toMatch(/^audience below .*'s minimum size: \d+ matched, campaigns need at least (100|300|1,000)$/);
    // Each platform by its connector's title.
    expect(lines[0]).toMatch(/^Sandbox ad platforms on loopback: Google Ads Customer Match http:\/\/127\.0\.0\.1:\d+, Meta Custom Audiences http:\/\/127\.0\.0\.1:\d+, LinkedIn Matched Audiences http/);
    expect(lines[1 + platforms.length]).toMatch(/^ {2}vips -> google-ads-sandbox \(audience "aud-vips"\): synced, added \d+, removed 0, rejected \d+; match rate \d+%, size \d+$/);
    expect(lines.join('\n')).toMatch(/vips -> linkedin-sandbox .*; warning: audience below LinkedIn's minimum size/);
    // The webhook sandbox receives every VIP's record, and reports no match rate.
    expect(lines.join('\n')).toMatch(/vips -> webhook-sandbox \(audience "aud-vips"\): synced, added 27, removed 0, rejected 0; no match rate reported/);
  });
});
