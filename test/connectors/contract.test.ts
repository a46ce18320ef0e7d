import { expect } from 'vitest';
import { googleAdsConnector } from '../../connectors/google-ads';
import { linkedInConnector } from '../../connectors/linkedin';
import { metaConnector } from '../../connectors/meta';
import { microsoftAdsConnector } from '../../connectors/microsoft-ads';
import { pinterestConnector } from '../../connectors/pinterest';
import { redditConnector } from '../../connectors/reddit';
import { xConnector } from '../../connectors/x';
import { snapchatConnector } from '../../connectors/snapchat';
import { stackAdaptConnector } from '../../connectors/stackadapt';
import { tiktokConnector } from '../../connectors/tiktok';
import { viantConnector } from '../../connectors/viant';
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

const OAUTH = { clientId: 'client-id', clientSecret: 'client-secret-value', refreshToken: 'refresh-token-secret' };
const BEARER = 'replayed-bearer-token';
const oauthTokenEndpoint = (req: { url: URL }) => (req.url.host === 'oauth.replay.invalid' ? Response.json({ access_token: BEARER, expires_in: 3600 }) : undefined);
const oauthSettings = { ...OAUTH, oauthTokenUrl: 'https://oauth.replay.invalid/token' };

const linkedIn: ConnectorCase = {
  name: 'linkedin',
  connector: linkedInConnector as unknown as ConnectorDefinition,
  settings: { adAccountId: '508000001', sourcePlatform: 'OUTFLOW', apiVersion: '202610', apiBaseUrl: 'https://li.replay.invalid', ...oauthSettings },
  secrets: [OAUTH.clientSecret, OAUTH.refreshToken, BEARER],
  around: oauthTokenEndpoint,
  testCall: {
    method: 'GET',
    path: '/rest/dmpSegments',
    query: { q: 'account', account: 'urn:li:sponsoredAccount:508000001', start: '0', count: '1' },
    headers: { authorization: `Bearer ${BEARER}`, 'linkedin-version': '202610', 'x-restli-protocol-version': '2.0.0' },
  },
  ok: () => Response.json({ elements: [], paging: { start: 0, count: 1, total: 0 } }),
  errors: [
    { name: '429 (no Retry-After published)', status: 429, body: { status: 429, message: 'throttle' }, kind: 'rate_limited' },
    { name: '429 with Retry-After', status: 429, headers: { 'retry-after': '30' }, kind: 'rate_limited', retryAfterMs: 30_000 },
    { name: '401 revoked 65601', status: 401, body: { status: 401, serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN' }, kind: 'invalid_auth' },
    { name: '403 no rw_dmp_segments', status: 403, body: { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED' }, kind: 'invalid_auth' },
    { name: '426 sunset version', status: 426, body: { status: 426, code: 'NONEXISTENT_VERSION' }, kind: 'invalid_payload' },
    { name: '400 bad request', status: 400, body: { status: 400, code: 'ILLEGAL_ARGUMENT' }, kind: 'invalid_payload' },
    { name: '500', status: 500, kind: 'retryable' },
    { name: '504', status: 504, kind: 'retryable' },
  ],
};

const msFault = (code: number) => ({ TrackingId: 't', Type: 'AdApiFaultDetail', Errors: [{ Code: code, ErrorCode: 'E', Message: 'm' }] });
const MS_DEV_TOKEN = 'ms-developer-token-secret';
const microsoftAds: ConnectorCase = {
  name: 'microsoft_ads',
  connector: microsoftAdsConnector as unknown as ConnectorDefinition,
  settings: { customerId: '251000001', accountId: '180000001', developerToken: MS_DEV_TOKEN, apiBaseUrl: 'https://ms.replay.invalid', ...oauthSettings },
  secrets: [OAUTH.clientSecret, OAUTH.refreshToken, BEARER, MS_DEV_TOKEN],
  around: oauthTokenEndpoint,
  testCall: {
    method: 'POST',
    path: '/CampaignManagement/v13/Audiences/QueryByIds',
    body: { AudienceIds: null, Type: 'CustomerList' },
    headers: { authorization: `Bearer ${BEARER}`, developertoken: MS_DEV_TOKEN, customerid: '251000001', customeraccountid: '180000001' },
  },
  ok: () => Response.json({ Audiences: [], PartialErrors: [] }),
  errors: [
    { name: '400 117 CallRateExceeded (wait 60 s)', status: 400, body: msFault(117), kind: 'rate_limited', retryAfterMs: 60_000 },
    { name: '429', status: 429, kind: 'rate_limited' },
    { name: '401 105 InvalidCredentials', status: 401, body: msFault(105), kind: 'invalid_auth' },
    { name: '401 109 AuthenticationTokenExpired', status: 401, body: msFault(109), kind: 'invalid_auth' },
    { name: '403 106 UserIsNotAuthorized', status: 403, body: msFault(106), kind: 'invalid_auth' },
    { name: '400 8003 terms not accepted', status: 400, body: { Type: 'ApiFaultDetail', OperationErrors: [{ Code: 8003 }], BatchErrors: [] }, kind: 'invalid_auth' },
    { name: '400 4603 CountExceedsLimit', status: 400, body: { Type: 'ApiFaultDetail', OperationErrors: [{ Code: 4603 }], BatchErrors: [] }, kind: 'invalid_payload' },
    { name: '500 internal error', status: 500, body: msFault(0), kind: 'retryable' },
  ],
};

const TIKTOK_TOKEN = 'tiktok-access-token-secret';
const tiktokReply = (code: number) => ({ code, message: 'm', request_id: 'r', data: {} });
const tiktok: ConnectorCase = {
  name: 'tiktok',
  connector: tiktokConnector as unknown as ConnectorDefinition,
  settings: { advertiserId: '7100000000000000001', accessToken: TIKTOK_TOKEN, apiBaseUrl: 'https://tt.replay.invalid' },
  secrets: [TIKTOK_TOKEN],
  testCall: {
    method: 'GET',
    path: '/open_api/v1.3/dmp/custom_audience/list/',
    query: { advertiser_id: '7100000000000000001', page: '1', page_size: '100' },
    headers: { 'access-token': TIKTOK_TOKEN },
  },
  ok: () => Response.json({ code: 0, message: 'OK', data: { list: [], page_info: { page: 1, total_page: 1 } } }),
  errors: [
    { name: '200 code 40100 throttled', status: 200, body: tiktokReply(40100), kind: 'rate_limited' },
    { name: '429', status: 429, kind: 'rate_limited' },
    { name: '200 code 40105 invalid or revoked token', status: 200, body: tiktokReply(40105), kind: 'invalid_auth' },
    { name: '200 code 40001 no permission on the advertiser', status: 200, body: tiktokReply(40001), kind: 'invalid_auth' },
    { name: '401', status: 401, kind: 'invalid_auth' },
    { name: '200 code 40002 bad parameter', status: 200, body: tiktokReply(40002), kind: 'invalid_payload' },
    { name: '400', status: 400, kind: 'invalid_payload' },
    { name: '200 code 50000 server error', status: 200, body: tiktokReply(50000), kind: 'retryable' },
    { name: '503', status: 503, kind: 'retryable' },
  ],
};

const snapError = { request_status: 'ERROR', request_id: 'r', debug_message: 'm' };
const snapchat: ConnectorCase = {
  name: 'snapchat',
  connector: snapchatConnector as unknown as ConnectorDefinition,
  settings: { adAccountId: '8adc3db7-8148-4fbf-999c-000000000001', apiBaseUrl: 'https://snap.replay.invalid', ...oauthSettings },
  secrets: [OAUTH.clientSecret, OAUTH.refreshToken, BEARER],
  around: oauthTokenEndpoint,
  testCall: { method: 'GET', path: '/v1/adaccounts/8adc3db7-8148-4fbf-999c-000000000001/segments', query: { limit: '1000' }, headers: { authorization: `Bearer ${BEARER}` } },
  ok: () => Response.json({ request_status: 'SUCCESS', segments: [] }),
  errors: [
    { name: '429', status: 429, body: snapError, kind: 'rate_limited' },
    { name: '429 with Retry-After', status: 429, headers: { 'retry-after': '5' }, kind: 'rate_limited', retryAfterMs: 5_000 },
    { name: '401', status: 401, body: snapError, kind: 'invalid_auth' },
    { name: '403 another ad account', status: 403, body: snapError, kind: 'invalid_auth' },
    { name: '400', status: 400, body: snapError, kind: 'invalid_payload' },
    { name: '500', status: 500, body: snapError, kind: 'retryable' },
  ],
};

const pinError = (code: number) => ({ code, message: 'm' });
const pinterest: ConnectorCase = {
  name: 'pinterest',
  connector: pinterestConnector as unknown as ConnectorDefinition,
  settings: { adAccountId: '549755885175', apiBaseUrl: 'https://pin.replay.invalid', ...oauthSettings },
  secrets: [OAUTH.clientSecret, OAUTH.refreshToken, BEARER],
  around: oauthTokenEndpoint,
  testCall: { method: 'GET', path: '/v5/ad_accounts/549755885175/customer_lists', query: { page_size: '1' }, headers: { authorization: `Bearer ${BEARER}` } },
  ok: () => Response.json({ items: [], bookmark: null }),
  errors: [
    { name: '429 code 8 with x-ratelimit-reset', status: 429, body: pinError(8), headers: { 'x-ratelimit-reset': '30' }, kind: 'rate_limited', retryAfterMs: 30_000 },
    { name: '429', status: 429, kind: 'rate_limited' },
    { name: '401 code 2', status: 401, body: pinError(2), kind: 'invalid_auth' },
    { name: '403 code 29 another ad account', status: 403, body: pinError(29), kind: 'invalid_auth' },
    { name: '400 code 1', status: 400, body: pinError(1), kind: 'invalid_payload' },
    { name: '503', status: 503, kind: 'retryable' },
  ],
};

const redditError = (code: number) => ({ error: { code, message: 'm' } });
const reddit: ConnectorCase = {
  name: 'reddit',
  connector: redditConnector as unknown as ConnectorDefinition,
  settings: { adAccountId: 'a2_sandbox000001', apiBaseUrl: 'https://reddit.replay.invalid', userAgent: 'outflow-test/1.0 (contract kit)', ...oauthSettings },
  secrets: [OAUTH.clientSecret, OAUTH.refreshToken, BEARER],
  around: oauthTokenEndpoint,
  testCall: {
    method: 'GET',
    path: '/api/v3/ad_accounts/a2_sandbox000001/custom_audiences',
    headers: { authorization: `Bearer ${BEARER}`, 'user-agent': 'outflow-test/1.0 (contract kit)' },
  },
  ok: () => Response.json({ data: [] }),
  errors: [
    { name: '429 with x-ratelimit-reset', status: 429, body: redditError(429), headers: { 'x-ratelimit-reset': '42' }, kind: 'rate_limited', retryAfterMs: 42_000 },
    { name: '401 UNAUTHORIZED', status: 401, body: { error: { code: 401, message: 'm', reason: 'UNAUTHORIZED' } }, kind: 'invalid_auth' },
    { name: '403 scope', status: 403, body: redditError(403), kind: 'invalid_auth' },
    { name: '400 with fields', status: 400, body: { error: { code: 400, message: 'Bad request.', fields: [{ field: 'data.user_data', message: 'm' }] } }, kind: 'invalid_payload' },
    { name: '502', status: 502, kind: 'retryable' },
  ],
};

const xError = (code: string) => ({ errors: [{ code, message: 'm' }], request: { params: {} } });
const X_SECRETS = { consumerKey: 'ck-replayed', consumerSecret: 'cs-replayed-secret', accessToken: '1-at-replayed-secret', accessTokenSecret: 'ats-replayed-secret' };
const x: ConnectorCase = {
  name: 'x',
  connector: xConnector as unknown as ConnectorDefinition,
  settings: { accountId: '18ce54d4x5t', apiBaseUrl: 'https://x.replay.invalid', ...X_SECRETS },
  // The access token travels in the signed header (as X requires), never in a message.
  secrets: [X_SECRETS.consumerSecret, X_SECRETS.accessToken, X_SECRETS.accessTokenSecret],
  testCall: {
    method: 'GET',
    path: '/12/accounts/18ce54d4x5t/custom_audiences',
    query: { count: '1' },
    headers: { authorization: expect.stringMatching(/^OAuth oauth_consumer_key="ck-replayed", oauth_nonce="[^"]+", oauth_signature="[^"]+", oauth_signature_method="HMAC-SHA1", oauth_timestamp="\d+", oauth_token="1-at-replayed-secret", oauth_version="1.0"$/) as unknown as string },
  },
  ok: () => Response.json({ data: [], next_cursor: null }),
  errors: [
    { name: '429 TOO_MANY_REQUESTS with Retry-After', status: 429, body: xError('TOO_MANY_REQUESTS'), headers: { 'retry-after': '7' }, kind: 'rate_limited', retryAfterMs: 7_000 },
    { name: '401 UNAUTHORIZED_ACCESS', status: 401, body: xError('UNAUTHORIZED_ACCESS'), kind: 'invalid_auth' },
    { name: '403 UNAUTHORIZED_ACCOUNT_ACCESS', status: 403, body: xError('UNAUTHORIZED_ACCOUNT_ACCESS'), kind: 'invalid_auth' },
    { name: '400 INVALID_PARAMETER', status: 400, body: xError('INVALID_PARAMETER'), kind: 'invalid_payload' },
    { name: '413 over 5,000,000 bytes', status: 413, body: xError('REQUEST_ENTITY_TOO_LARGE'), kind: 'invalid_payload' },
    { name: '503', status: 503, kind: 'retryable' },
  ],
};

const gqlError = (code: string) => ({ errors: [{ message: 'm', extensions: { code } }], data: null });
const STACKADAPT_TOKEN = 'sa-gql-replayed-secret';
const stackAdapt: ConnectorCase = {
  name: 'stackadapt',
  connector: stackAdaptConnector as unknown as ConnectorDefinition,
  settings: { advertiserId: '91001', apiKey: STACKADAPT_TOKEN, apiBaseUrl: 'https://stackadapt.replay.invalid' },
  secrets: [STACKADAPT_TOKEN],
  testCall: {
    method: 'POST',
    path: '/graphql',
    body: { query: expect.stringMatching(/^query \{ tokenInfo \{ scopesByAdvertiser \{ nodes \{ advertiser \{ id name \} scopes \} \} \} \}$/) as unknown as string },
    headers: { authorization: `Bearer ${STACKADAPT_TOKEN}` },
  },
  ok: () => Response.json({ data: { tokenInfo: { scopesByAdvertiser: { nodes: [{ advertiser: { id: '91001', name: 'A' }, scopes: ['READ', 'WRITE'] }] } } } }),
  errors: [
    { name: '429 RATE_LIMITED', status: 429, body: gqlError('RATE_LIMITED'), kind: 'rate_limited' },
    { name: '200 RATE_LIMITED without data', status: 200, body: gqlError('RATE_LIMITED'), kind: 'rate_limited' },
    { name: '401 UNAUTHENTICATED', status: 401, body: gqlError('UNAUTHENTICATED'), kind: 'invalid_auth' },
    { name: '200 UNAUTHENTICATED without data', status: 200, body: gqlError('UNAUTHENTICATED'), kind: 'invalid_auth' },
    { name: '200 read-only token', status: 200, body: { data: { tokenInfo: { scopesByAdvertiser: { nodes: [{ advertiser: { id: '91001', name: 'A' }, scopes: ['READ'] }] } } } }, kind: 'invalid_auth' },
    { name: '400 GRAPHQL_VALIDATION_FAILED', status: 400, body: gqlError('GRAPHQL_VALIDATION_FAILED'), kind: 'invalid_payload' },
    { name: '503', status: 503, kind: 'retryable' },
  ],
};

const VIANT_JWT = 'eyJ.replayed.viant-secret';
const viant: ConnectorCase = {
  name: 'viant',
  connector: viantConnector as unknown as ConnectorDefinition,
  settings: { accountId: '4100', advertiserIds: ['52001'], accessToken: VIANT_JWT, apiBaseUrl: 'https://viant.replay.invalid' },
  secrets: [VIANT_JWT],
  testCall: { method: 'GET', path: '/v1/audiences', query: { page: '1' }, headers: { authorization: `Bearer ${VIANT_JWT}` } },
  ok: () => Response.json({ data: [] }),
  errors: [
    { name: '429 with Retry-After', status: 429, body: { message: 'Too Many Requests' }, headers: { 'retry-after': '9' }, kind: 'rate_limited', retryAfterMs: 9_000 },
    { name: '401 Invalid JWT', status: 401, body: { message: 'Unauthorized - Invalid JWT' }, kind: 'invalid_auth' },
    { name: '403 another account', status: 403, body: { message: 'm' }, kind: 'invalid_auth' },
    { name: '400', status: 400, body: { message: 'm' }, kind: 'invalid_payload' },
    { name: '502', status: 502, kind: 'retryable' },
  ],
};

for (const c of [meta, googleAds, linkedIn, microsoftAds, tiktok, snapchat, pinterest, reddit, x, stackAdapt, viant]) connectorContract(c);
