import type { DestinationConfig } from '../config/schema';
import { GoogleAdsFake } from '../../test/fakes/google-ads-fake';
import { MetaFake } from '../../test/fakes/meta-fake';

/**
 * Sandbox ad platforms for `outflow demo`: the Google Ads and Meta contract fakes, started on
 * loopback (127.0.0.1, ephemeral ports) with fixed demo credentials, and destination configs
 * pointing at them through `apiBaseUrl`. They enforce the platforms' documented rules (auth,
 * batch limits, hash format, sessions and jobs) and keep each audience's hashed members, so the
 * demo's adds, removes and match rates are what those platforms would hold.
 *
 * @example
 * const sandbox = await startSandboxPlatforms();
 * workspace.destinations.push(...sandbox.destinations);
 * try { ... } finally { await sandbox.stop(); }
 */
export interface SandboxPlatforms {
  /** `google-ads-sandbox` (type google_ads) and `meta-sandbox` (type meta). */
  destinations: DestinationConfig[];
  stop(): Promise<void>;
}

/** Fixed, obviously fake credentials: the sandboxes accept nothing else. */
export const SANDBOX_CREDENTIALS = {
  googleAds: {
    customerId: '1234567890',
    developerToken: 'sandbox-developer-token',
    clientId: 'sandbox-client-id',
    clientSecret: 'sandbox-client-secret',
    refreshToken: 'sandbox-refresh-token',
  },
  meta: { adAccountId: '1234567890', accessToken: 'sandbox-access-token' },
} as const;

export async function startSandboxPlatforms(): Promise<SandboxPlatforms> {
  const google = new GoogleAdsFake(SANDBOX_CREDENTIALS.googleAds);
  const meta = new MetaFake(SANDBOX_CREDENTIALS.meta);
  await Promise.all([google.start(), meta.start()]);
  return {
    destinations: [
      { id: 'google-ads-sandbox', type: 'google_ads', settings: google.settings() },
      { id: 'meta-sandbox', type: 'meta', settings: meta.settings() },
    ],
    stop: async () => {
      await Promise.all([google.stop(), meta.stop()]);
    },
  };
}
