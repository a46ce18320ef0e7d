import { describe, expect, it } from 'vitest';
import { loadConnector } from '../../src/destinations/registry';
import { sandboxTypes, startSandboxPlatforms } from '../../src/demo/sandbox';
import { sendingRaw } from './contract-kit';

/** The one call each platform's testConnection makes. */
const TEST_CALL: Record<string, RegExp> = {
  google_ads: /^POST \/v26\/customers\/\d+\/googleAds:search$/,
  meta: /^GET \/v25\.0\/act_\d+$/,
  linkedin: /^GET \/rest\/dmpSegments$/,
  microsoft_ads: /^POST \/CampaignManagement\/v13\/Audiences\/QueryByIds$/,
  tiktok: /^GET \/open_api\/v1\.3\/dmp\/custom_audience\/list\/$/,
  snapchat: /^GET \/v1\/adaccounts\/[0-9a-f-]+\/segments$/,
  pinterest: /^GET \/v5\/ad_accounts\/\d+\/customer_lists$/,
  reddit: /^GET \/api\/v3\/ad_accounts\/\w+\/custom_audiences$/,
  x: /^GET \/12\/accounts\/\w+\/custom_audiences$/,
  stackadapt: /^POST \/graphql$/,
  viant: /^GET \/v1\/audiences$/,
  webhook: /^POST \/outflow$/,
};
/** Platforms that report no audience size through their API (docs/destinations.md). */
const NO_SIZE = new Set(['stackadapt']);

describe('startSandboxPlatforms', () => {
  it('starts every fake on loopback; their destination configs sync and read back match rates', async () => {
    const sandbox = await startSandboxPlatforms();
    try {
      // Every fake with a connector, and only those: a fake whose connector is still to come stays out of the demo.
      expect(sandbox.destinations.map((d) => [d.id, d.type])).toEqual(Object.keys(TEST_CALL).map((t) => [`${t.replace('_', '-')}-sandbox`, t]));
      expect(sandboxTypes()).toEqual(Object.keys(TEST_CALL));
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
        // A webhook sends records of mapped fields, not identifiers: test/connectors/webhook-*.test.ts.
        if (connector.records) continue;
        const audience = await dest.createAudience({ name: 'aud-sandbox' });
        // TikTok creates an audience from 1,000 entries or more.
        const raw = Array.from({ length: 1_200 }, (_, i) => ({ personId: `p${i}`, identifiers: { email: `p${i}@example.com` } }));
        // Connectors that prepare keys are sent keys, never raw values.
        const rows = dest.prepareKeys ? (await dest.prepareKeys(raw)).map((p) => ({ personId: p.personId, identifiers: p.keys })) : raw;
        expect((await dest.addMembers(audience, rows, { batchId: 'b/add/0' })).every((r) => r.ok)).toBe(true);
        await dest.removeMembers(audience, rows.slice(0, 5), { batchId: 'b/remove/0' });
        const rate = await dest.readMatchRate(audience);
        expect(rate.status).toBe('ready');
        if (NO_SIZE.has(config.type)) expect(rate.audienceSize).toBeUndefined();
        else expect(rate.audienceSize).toBeGreaterThan(0);
      }
    } finally {
      await sandbox.stop();
    }
  });
});
