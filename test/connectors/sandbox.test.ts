import { describe, expect, it } from 'vitest';
import { loadConnector } from '../../src/destinations/registry';
import { startSandboxPlatforms } from '../../src/demo/sandbox';
import { sendingRaw } from './contract-kit';

/** The one call each platform's testConnection makes. */
const TEST_CALL: Record<string, RegExp> = {
  google_ads: /^POST \/v26\/customers\/\d+\/googleAds:search$/,
  meta: /^GET \/v25\.0\/act_\d+$/,
};

describe('startSandboxPlatforms', () => {
  it('starts both fakes on loopback; their destination configs sync and read back match rates', async () => {
    const sandbox = await startSandboxPlatforms();
    try {
      expect(sandbox.destinations.map((d) => [d.id, d.type])).toEqual([
        ['google-ads-sandbox', 'google_ads'],
        ['meta-sandbox', 'meta'],
      ]);
      for (const config of sandbox.destinations) {
        expect(String(config.settings.apiBaseUrl)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const connector = await loadConnector(config.type);
        if (!connector) throw new Error(`no connector ${config.type}`);
        const sent: string[] = [];
        const spy: typeof fetch = async (input, init) => {
          sent.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
          return fetch(input, init);
        };
        // As the sync engine drives it: raw values are keyed by prepareKeys, then the keys are sent.
        const dest = sendingRaw(connector.create(connector.settingsSchema.parse(config.settings), { baseDir: '.', fetch: spy }));
        await dest.testConnection();
        // The platform's cheap check, answered by the sandbox (after an OAuth token, for Google).
        expect(sent.at(-1)).toMatch(TEST_CALL[config.type]!);
        const audience = await dest.createAudience({ name: 'aud-sandbox' });
        const rows = Array.from({ length: 20 }, (_, i) => ({ personId: `p${i}`, identifiers: { email: `p${i}@example.com` } }));
        expect((await dest.addMembers(audience, rows, { batchId: 'b/add/0' })).every((r) => r.ok)).toBe(true);
        await dest.removeMembers(audience, rows.slice(0, 5), { batchId: 'b/remove/0' });
        const rate = await dest.readMatchRate(audience);
        expect(rate.status).toBe('ready');
        expect(rate.audienceSize).toBeGreaterThan(0);
      }
    } finally {
      await sandbox.stop();
    }
  });
});
