import { describe, expect, it } from 'vitest';
import { DESTINATION_TYPES } from '../../src/config/schema';
import { SANDBOX_PLATFORM_CREDENTIALS, SANDBOX_PLATFORMS, type SandboxDestinationType } from '../../src/sandbox';

describe('sandbox platform registry', () => {
  const types = Object.keys(SANDBOX_PLATFORMS) as SandboxDestinationType[];

  it('covers Google Ads, Meta, LinkedIn, Microsoft Advertising, TikTok, Snapchat, Pinterest, Reddit, X, StackAdapt, Viant and the webhook, all destination types', () => {
    expect(types.sort()).toEqual(['google_ads', 'linkedin', 'meta', 'microsoft_ads', 'pinterest', 'reddit', 'snapchat', 'stackadapt', 'tiktok', 'viant', 'webhook', 'x']);
    for (const t of types) expect(DESTINATION_TYPES).toContain(t);
  });

  it.each(types)('%s starts on loopback with the fixed credentials in its settings, and stops', async (type) => {
    const fake = SANDBOX_PLATFORMS[type]();
    await fake.start();
    try {
      const settings = fake.settings();
      expect(settings.apiBaseUrl).toBe(fake.url);
      expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      for (const value of Object.values(SANDBOX_PLATFORM_CREDENTIALS[type])) expect(JSON.stringify(settings)).toContain(value);
    } finally {
      await fake.stop();
    }
  });
});
