import { randomBytes } from 'node:crypto';
import { type FakeReply, type FakeRequest, FakeServerBase, isRecord } from './fake-server';

/** A refresh-token client of an OAuth2 token endpoint. */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export type TokenState = 'valid' | 'missing' | 'invalid' | 'expired' | 'revoked';

/**
 * The OAuth2 side of a fake whose platform issues short-lived bearer tokens from a refresh token
 * (LinkedIn, Microsoft Advertising, Snapchat): the token endpoint's refresh_token grant with
 * RFC 6749 §5.2 errors, and the state of each access token for the fake's own error shape.
 *
 * @example
 * const tokens = new OAuthTokens(client, 'AQV');
 * tokens.grant(form);                  // { status: 200, body: { access_token, ... } }
 * tokens.check('Bearer …');            // 'valid'
 * tokens.revoke(); tokens.check(…);    // 'revoked'
 */
export class OAuthTokens {
  readonly #issued = new Map<string, TokenState>();
  #refreshRevoked = false;

  constructor(
    readonly client: OAuthClient,
    /** Prefix of issued tokens, so a token shows which fake issued it. */
    readonly prefix: string,
    readonly lifetimeSeconds = 3600,
    /** Scopes granted with each token (echoed by the token endpoint). */
    readonly scope = '',
  ) {}

  /** Issues a token as the endpoint would (for tests that need one without the HTTP round trip). */
  issue(): string {
    const token = `${this.prefix}-${randomBytes(16).toString('hex')}`;
    this.#issued.set(token, 'valid');
    return token;
  }

  /** Answers a token-endpoint request (form-encoded body). */
  grant(body: unknown): FakeReply {
    const form = isRecord(body) ? body : {};
    if (form.grant_type !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', 'Only refresh_token is supported.');
    if (form.client_id !== this.client.clientId || form.client_secret !== this.client.clientSecret)
      return oauthError(401, 'invalid_client', 'Client authentication failed.');
    if (this.#refreshRevoked || form.refresh_token !== this.client.refreshToken)
      return oauthError(400, 'invalid_grant', 'The refresh token is invalid, expired or revoked.');
    const accessToken = this.issue();
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: this.lifetimeSeconds,
        refresh_token: this.client.refreshToken,
        ...(this.scope ? { scope: this.scope } : {}),
      },
    };
  }

  /** The state of the token in an `Authorization` header value. */
  check(authorization: string | string[] | undefined): TokenState {
    if (typeof authorization !== 'string' || authorization === '') return 'missing';
    const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
    return (token && this.#issued.get(token)) || 'invalid';
  }

  /** The user disconnects the app: the refresh token and every issued access token stop working. */
  revoke(): void {
    this.#refreshRevoked = true;
    for (const token of this.#issued.keys()) this.#issued.set(token, 'revoked');
  }

  /** Issued access tokens expire; the refresh token still works. */
  expire(): void {
    for (const [token, state] of this.#issued) if (state === 'valid') this.#issued.set(token, 'expired');
  }
}

/**
 * The form of a token request whose client authenticates with HTTP Basic (RFC 6749 §2.3.1, as
 * Pinterest and Reddit ask): the header's client id and secret join the form fields `grant` reads.
 * A malformed header leaves the form as it is (and `grant` answers invalid_client).
 */
export function withBasicClient(authorization: string | string[] | undefined, body: unknown): Record<string, unknown> {
  const form = isRecord(body) ? { ...body } : {};
  const encoded = typeof authorization === 'string' ? /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization)?.[1] : undefined;
  if (!encoded) return form;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return form;
  return { ...form, client_id: decoded.slice(0, colon), client_secret: decoded.slice(colon + 1) };
}

function oauthError(status: number, error: string, description: string): FakeReply {
  return { status, body: { error, error_description: description } };
}

/**
 * A fake whose platform authorises with OAuth2 bearer tokens from a refresh token: serves the token
 * endpoint at `tokenPath` (never subject to injected faults, as the Google Ads fake's is not) and
 * hands everything else to `handleApi`.
 */
export abstract class OAuthFakeBase extends FakeServerBase {
  constructor(
    readonly tokens: OAuthTokens,
    readonly tokenPath: string,
  ) {
    super();
  }

  /** The user disconnects the app: the refresh token and the issued access tokens stop working. */
  revokeToken(): void {
    this.tokens.revoke();
  }

  /** Issued access tokens expire; the refresh token still works. */
  expireTokens(): void {
    this.tokens.expire();
  }

  /** The settings every OAuth destination takes: the client, this fake's URL and its token endpoint. */
  protected oauthSettings(): Record<string, unknown> {
    const { clientId, clientSecret, refreshToken } = this.tokens.client;
    return { clientId, clientSecret, refreshToken, apiBaseUrl: this.url, oauthTokenUrl: `${this.url}${this.tokenPath}` };
  }

  protected abstract handleApi(req: FakeRequest): FakeReply | Promise<FakeReply>;

  protected override exemptFromFaults(path: string): boolean {
    return path === this.tokenPath;
  }

  protected override handle(req: FakeRequest): FakeReply | Promise<FakeReply> {
    if (req.path === this.tokenPath && req.method === 'POST') return this.tokens.grant(req.body);
    return this.handleApi(req);
  }
}
