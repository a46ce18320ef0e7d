import type { DestinationType } from '../config/schema';
import type { FakeServerBase } from './fake-server';
import { GoogleAdsFake } from './google-ads';
import { LinkedInFake } from './linkedin';
import { MetaFake } from './meta';
import { MicrosoftAdsFake } from './microsoft-ads';
import { PinterestFake } from './pinterest';
import { RedditFake } from './reddit';
import { SnapchatFake } from './snapchat';
import { StackAdaptFake } from './stackadapt';
import { TikTokFake } from './tiktok';
import { ViantFake } from './viant';
import { WebhookReceiverFake } from './webhook';
import { XFake } from './x';

/**
 * The sandbox platforms by destination type: each a contract fake with fixed, obviously fake
 * credentials (the fakes accept nothing else). `settings()` gives the destination settings that
 * point at a started fake through `apiBaseUrl`.
 *
 * @example
 * const fake = SANDBOX_PLATFORMS.tiktok();
 * await fake.start();
 * workspace.destinations.push({ id: 'tiktok-sandbox', type: 'tiktok', settings: fake.settings() });
 * try { ... } finally { await fake.stop(); }
 */
export type SandboxFake = FakeServerBase & { settings(extra?: Record<string, unknown>): Record<string, unknown> };

/** Fixed sandbox credentials per destination type (Google Ads and Meta as in `outflow demo`). */
export const SANDBOX_PLATFORM_CREDENTIALS = {
  google_ads: {
    customerId: '1234567890',
    developerToken: 'sandbox-developer-token',
    clientId: 'sandbox-client-id',
    clientSecret: 'sandbox-client-secret',
    refreshToken: 'sandbox-refresh-token',
  },
  meta: { adAccountId: '1234567890', accessToken: 'sandbox-access-token' },
  linkedin: {
    adAccountId: '508000001',
    clientId: 'sandbox-linkedin-client-id',
    clientSecret: 'sandbox-linkedin-client-secret',
    refreshToken: 'sandbox-linkedin-refresh-token',
    sourcePlatform: 'OUTFLOW_SANDBOX',
  },
  microsoft_ads: {
    customerId: '251000001',
    accountId: '180000001',
    developerToken: 'sandbox-developer-token',
    clientId: 'sandbox-msads-client-id',
    clientSecret: 'sandbox-msads-client-secret',
    refreshToken: 'sandbox-msads-refresh-token',
  },
  tiktok: { advertiserId: '7100000000000000001', accessToken: 'sandbox-tiktok-access-token' },
  snapchat: {
    adAccountId: '8adc3db7-8148-4fbf-999c-000000000001',
    clientId: 'sandbox-snapchat-client-id',
    clientSecret: 'sandbox-snapchat-client-secret',
    refreshToken: 'sandbox-snapchat-refresh-token',
  },
  pinterest: {
    adAccountId: '549755885175',
    clientId: 'sandbox-pinterest-client-id',
    clientSecret: 'sandbox-pinterest-client-secret',
    refreshToken: 'sandbox-pinterest-refresh-token',
  },
  reddit: {
    adAccountId: 'a2_sandbox000001',
    clientId: 'sandbox-reddit-client-id',
    clientSecret: 'sandbox-reddit-client-secret',
    refreshToken: 'sandbox-reddit-refresh-token',
  },
  x: {
    accountId: '18ce54sandbox',
    consumerKey: 'sandbox-x-consumer-key',
    consumerSecret: 'sandbox-x-consumer-secret',
    accessToken: '1000000000000000001-sandboxXaccessToken',
    accessTokenSecret: 'sandbox-x-access-token-secret',
  },
  stackadapt: { advertiserId: '91001', apiKey: 'sandbox-stackadapt-graphql-token' },
  viant: { accountId: '4100', accessToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYW5kYm94In0.sandbox-viant-signature' },
  webhook: { signingSecret: 'sandbox-webhook-signing-secret' },
} as const satisfies Partial<Record<DestinationType, Record<string, string>>>;

export type SandboxDestinationType = keyof typeof SANDBOX_PLATFORM_CREDENTIALS;

/** A new, stopped sandbox platform per destination type. */
export const SANDBOX_PLATFORMS: { readonly [T in SandboxDestinationType]: () => SandboxFake } = {
  google_ads: () => new GoogleAdsFake(SANDBOX_PLATFORM_CREDENTIALS.google_ads),
  meta: () => new MetaFake(SANDBOX_PLATFORM_CREDENTIALS.meta),
  linkedin: () => new LinkedInFake(SANDBOX_PLATFORM_CREDENTIALS.linkedin),
  microsoft_ads: () => new MicrosoftAdsFake(SANDBOX_PLATFORM_CREDENTIALS.microsoft_ads),
  tiktok: () => new TikTokFake(SANDBOX_PLATFORM_CREDENTIALS.tiktok),
  snapchat: () => new SnapchatFake(SANDBOX_PLATFORM_CREDENTIALS.snapchat),
  pinterest: () => new PinterestFake(SANDBOX_PLATFORM_CREDENTIALS.pinterest),
  reddit: () => new RedditFake(SANDBOX_PLATFORM_CREDENTIALS.reddit),
  x: () => new XFake(SANDBOX_PLATFORM_CREDENTIALS.x),
  stackadapt: () => new StackAdaptFake(SANDBOX_PLATFORM_CREDENTIALS.stackadapt),
  viant: () => new ViantFake(SANDBOX_PLATFORM_CREDENTIALS.viant),
  webhook: () => new WebhookReceiverFake(SANDBOX_PLATFORM_CREDENTIALS.webhook),
};
