import { DestinationError } from '../../src/destinations/contract';
import { asRecord, HttpClient, retryAfterMs } from './http';

export interface OAuthRefresherOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Names the destination in errors. */
  label: string;
  /** Platform name in the reconnect hint. */
  platform: string;
  timeoutMs: number;
  /** Extra form fields (Microsoft's scope). */
  extra?: Record<string, string>;
  /** The client id and secret in HTTP Basic instead of the form (Pinterest, Reddit; RFC 6749 §2.3.1). */
  basicClient?: boolean;
  /** Extra headers of the token request (Reddit's User-Agent). */
  headers?: Record<string, string>;
  fetch?: typeof fetch | undefined;
  now?: () => number;
}

/**
 * OAuth2 access tokens from a refresh token (RFC 6749 §6), for platforms whose API calls carry a
 * short-lived Bearer token (LinkedIn, Microsoft Advertising, Snapchat). The token is kept until a
 * minute before it expires; `token(true)` refreshes after a 401. A refused refresh token
 * (invalid_grant, invalid_client) is invalid_auth: the user must reconnect.
 *
 * @example
 * const oauth = new OAuthRefresher({ tokenUrl, clientId, clientSecret, refreshToken, label, timeoutMs: 60_000 });
 * headers.authorization = `Bearer ${await oauth.token()}`;
 */
export class OAuthRefresher {
  readonly #o: OAuthRefresherOptions;
  readonly #http: HttpClient;
  readonly #now: () => number;
  #token: { value: string; expiresAt: number } | undefined;
  #refreshing: Promise<string> | undefined;

  constructor(options: OAuthRefresherOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#http = new HttpClient({ baseUrl: new URL(options.tokenUrl).origin, timeoutMs: options.timeoutMs, label: options.label, fetch: options.fetch });
  }

  /** A valid access token; `force` refreshes even a cached one (after the platform said 401). */
  token(force = false): Promise<string> {
    if (!force && this.#token && this.#token.expiresAt > this.#now() + 60_000) return Promise.resolve(this.#token.value);
    // Concurrent callers share one refresh.
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refresh(): Promise<string> {
    const o = this.#o;
    const client: Record<string, string> = o.basicClient ? {} : { client_id: o.clientId, client_secret: o.clientSecret };
    const basic: Record<string, string> = o.basicClient ? { authorization: `Basic ${Buffer.from(`${o.clientId}:${o.clientSecret}`).toString('base64')}` } : {};
    const res = await this.#http.send({
      method: 'POST',
      path: new URL(o.tokenUrl).pathname,
      headers: { ...o.headers, ...basic },
      form: { grant_type: 'refresh_token', ...client, refresh_token: o.refreshToken, ...o.extra },
    });
    const body = asRecord(res.body);
    if (res.status === 200 && typeof body?.access_token === 'string') {
      const ttl = typeof body.expires_in === 'number' ? body.expires_in : 3600;
      this.#token = { value: body.access_token, expiresAt: this.#now() + ttl * 1000 };
      return body.access_token;
    }
    const code = typeof body?.error === 'string' ? body.error : String(res.status);
    if (res.status === 429) throw new DestinationError('rate_limited', `${o.label}: OAuth token endpoint is throttling`, { code: 429, ...withWait(retryAfterMs(res.headers)) });
    if (res.status >= 500) throw new DestinationError('retryable', `${o.label}: OAuth token endpoint returned HTTP ${res.status}`, { code: res.status });
    throw new DestinationError('invalid_auth', `${o.label}: ${o.platform} refused the OAuth refresh token (${code}); reconnect the destination with a new refresh token`, { code });
  }
}

function withWait(ms: number | undefined): { retryAfterMs?: number } {
  return ms === undefined ? {} : { retryAfterMs: ms };
}

/** The options of a connector API client whose calls carry an OAuth2 Bearer token from a refresh token. */
export interface OAuthApiOptions {
  apiBaseUrl: string;
  apiVersion: string;
  oauthTokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  timeoutMs: number;
  /** Names the destination in errors. */
  label: string;
  fetch?: typeof fetch | undefined;
}
