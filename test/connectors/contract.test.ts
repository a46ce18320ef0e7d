import { googleAdsConnector } from '../../connectors/google-ads';
import { metaConnector } from '../../connectors/meta';
import type { ConnectorDefinition } from '../../src/destinations/contract';
import { type ConnectorCase, connectorContract } from './contract-kit';

/** Every HTTP connector's case for the contract-test kit (contract-kit.ts); a new connector adds one. */

const metaError = (code: number, extra: Record<string, unknown> = {}) => ({ error: { message: 'm', type: 'OAuthException', code, ...extra } });
const usage = JSON.stringify({ '123': [{ type: 'custom_audience', call_count: 100, estimated_time_to_regain_access: 5 }] });
const META_TOKEN = 'EAAreplayed-secret-token';

const meta: ConnectorCase = {
  name: 'meta',
  connector: metaConnector as unknown as ConnectorDefinition,
  settings: { adAccountId: 'act_1234567890', accessToken: META_TOKEN, apiBaseUrl: 'https://graph.replay.invalid' },
  secrets: [META_TOKEN],
  testCall: { method: 'GET', path: '/v25.0/act_1234567890', query: { fields: 'id,name', access_token: META_TOKEN } },
  ok: () => Response.json({ id: 'act_1234567890', name: 'Ads' }),
  errors: [
    { name: '400 code 4', status: 400, body: metaError(4), kind: 'rate_limited' },
    { name: '400 code 17 with usage header', status: 400, body: metaError(17, { error_subcode: 2446079 }), headers: { 'x-business-use-case-usage': usage }, kind: 'rate_limited', retryAfterMs: 300_000 },
    { name: '400 code 613', status: 400, body: metaError(613, { error_subcode: 1487742 }), kind: 'rate_limited' },
    { name: '400 code 80003', status: 400, body: metaError(80003), kind: 'rate_limited' },
    { name: '400 code 80004', status: 400, body: metaError(80004), kind: 'rate_limited' },
    { name: '429 with Retry-After', status: 429, headers: { 'retry-after': '12' }, kind: 'rate_limited', retryAfterMs: 12_000 },
    { name: '400 code 190', status: 400, body: metaError(190), kind: 'invalid_auth' },
    { name: '401', status: 401, kind: 'invalid_auth' },
    { name: '400 code 200/1870090 terms', status: 400, body: metaError(200, { error_subcode: 1870090 }), kind: 'invalid_auth' },
    { name: '400 code 100', status: 400, body: metaError(100), kind: 'invalid_payload' },
    { name: '400 code 2650', status: 400, body: metaError(2650, { error_subcode: 1870145 }), kind: 'invalid_payload' },
    { name: '400 transient code 2', status: 400, body: metaError(2, { is_transient: true }), kind: 'retryable' },
    { name: '500', status: 500, body: metaError(1), kind: 'retryable' },
    { name: '502 no body', status: 502, kind: 'retryable' },
  ],
};

const quotaBody = {
  error: {
    code: 429,
    status: 'RESOURCE_EXHAUSTED',
    details: [
      {
        '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
        errors: [{ errorCode: { quotaError: 'RESOURCE_EXHAUSTED' }, details: { quotaErrorDetails: { retryDelay: '30s' } } }],
      },
    ],
  },
};
const googleFailure = (status: number, errorCode: Record<string, string>) => ({ error: { code: status, details: [{ errors: [{ errorCode }] }] } });
const GOOGLE_SECRETS = { developerToken: 'dev-token-secret', clientSecret: 'client-secret-value', refreshToken: 'refresh-token-secret' };
const ACCESS_TOKEN = 'ya29.replayed-access-token';

const googleAds: ConnectorCase = {
  name: 'google_ads',
  connector: googleAdsConnector as unknown as ConnectorDefinition,
  settings: {
    customerId: '123-456-7890',
    loginCustomerId: '999-888-7776',
    clientId: 'client-id',
    ...GOOGLE_SECRETS,
    apiBaseUrl: 'https://ads.replay.invalid',
    oauthTokenUrl: 'https://oauth.replay.invalid/token',
  },
  secrets: [...Object.values(GOOGLE_SECRETS), ACCESS_TOKEN],
  around: (req) => (req.url.host === 'oauth.replay.invalid' ? Response.json({ access_token: ACCESS_TOKEN, expires_in: 3600 }) : undefined),
  testCall: {
    method: 'POST',
    path: '/v26/customers/1234567890/googleAds:search',
    body: { query: 'SELECT customer.id FROM customer LIMIT 1' },
    headers: { 'developer-token': GOOGLE_SECRETS.developerToken, 'login-customer-id': '9998887776', authorization: `Bearer ${ACCESS_TOKEN}` },
  },
  ok: () => Response.json({ results: [] }),
  errors: [
    { name: '429 quota with retryDelay', status: 429, body: quotaBody, kind: 'rate_limited', retryAfterMs: 30_000 },
    { name: '400 CONFLICTING_OPERATION', status: 400, body: googleFailure(400, { offlineUserDataJobError: 'CONFLICTING_OPERATION' }), kind: 'invalid_payload' },
    { name: '400 CONCURRENT_MODIFICATION', status: 400, body: googleFailure(400, { databaseError: 'CONCURRENT_MODIFICATION' }), kind: 'retryable' },
    { name: '403 USER_PERMISSION_DENIED', status: 403, body: googleFailure(403, { authorizationError: 'USER_PERMISSION_DENIED' }), kind: 'invalid_auth' },
    { name: '401 after refresh', status: 401, body: googleFailure(401, { authenticationError: 'OAUTH_TOKEN_INVALID' }), kind: 'invalid_auth' },
    { name: '500', status: 500, body: googleFailure(500, { internalError: 'INTERNAL_ERROR' }), kind: 'retryable' },
    { name: '503 without body', status: 503, kind: 'retryable' },
  ],
};

for (const c of [meta, googleAds]) connectorContract(c);
