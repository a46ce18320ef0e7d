import { DestinationError } from '../../src/destinations/contract';
import { asRecord, HttpClient, type HttpResponse, retryAfterMs } from '../shared/http';

/**
 * Thin client of the Google Ads REST API (JSON transcoding of the gRPC services), one method per
 * endpoint the Customer Match connector uses.
 * Versions and sunset dates: https://developers.google.com/google-ads/api/docs/release-notes
 * Auth: https://developers.google.com/google-ads/api/rest/auth
 */

export interface GoogleAdsApiOptions {
  apiBaseUrl: string;
  apiVersion: string;
  oauthTokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  developerToken: string;
  /** Manager account the call goes through (digits only), when there is one. */
  loginCustomerId?: string;
  timeoutMs: number;
  /** Names the destination in error messages. */
  label: string;
  fetch?: typeof fetch;
  now?: () => number;
}

/** One UserIdentifier of a UserData (a oneof: exactly one field is set). */
export type UserIdentifier =
  | { hashedEmail: string }
  | { hashedPhoneNumber: string }
  | { addressInfo: { hashedFirstName: string; hashedLastName: string; countryCode: string; postalCode: string } };

export interface UserData {
  userIdentifiers: UserIdentifier[];
}

export type JobOperation = { create: UserData } | { remove: UserData } | { removeAll: true };

export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED';

/** One error of a GoogleAdsFailure: its error code (`{ quotaError: 'RESOURCE_EXHAUSTED' }`) and location. */
export interface GoogleAdsErrorItem {
  errorCode?: Record<string, string>;
  location?: { fieldPathElements?: { fieldName?: string; index?: number }[] };
  details?: { quotaErrorDetails?: { retryDelay?: string } };
}

export class GoogleAdsApi {
  readonly #http: HttpClient;
  readonly #oauth: HttpClient;
  readonly #o: GoogleAdsApiOptions;
  readonly #now: () => number;
  #token: { value: string; expiresAt: number } | undefined;

  constructor(options: GoogleAdsApiOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#http = new HttpClient({ baseUrl: options.apiBaseUrl, timeoutMs: options.timeoutMs, label: options.label, fetch: options.fetch });
    const token = new URL(options.oauthTokenUrl);
    this.#oauth = new HttpClient({ baseUrl: token.origin, timeoutMs: options.timeoutMs, label: options.label, fetch: options.fetch });
  }

  /** GAQL search, all pages. https://developers.google.com/google-ads/api/rest/common/search */
  async search(customerId: string, query: string, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    let pageToken: string | undefined;
    do {
      const body = asRecord(
        await this.#call('POST', `/customers/${customerId}/googleAds:search`, { query, ...(pageToken ? { pageToken } : {}) }, signal),
      );
      for (const r of Array.isArray(body?.results) ? body.results : []) if (asRecord(r)) rows.push(r as Record<string, unknown>);
      pageToken = typeof body?.nextPageToken === 'string' && body.nextPageToken !== '' ? body.nextPageToken : undefined;
    } while (pageToken);
    return rows;
  }

  /** UserListService.MutateUserLists; returns the resource names created. */
  async mutateUserLists(customerId: string, operations: unknown[]): Promise<string[]> {
    const body = asRecord(await this.#call('POST', `/customers/${customerId}/userLists:mutate`, { operations }));
    return (Array.isArray(body?.results) ? body.results : []).map((r) => String(asRecord(r)?.resourceName ?? ''));
  }

  /** OfflineUserDataJobService.CreateOfflineUserDataJob; returns the job's resource name. */
  async createJob(customerId: string, job: unknown, signal?: AbortSignal): Promise<string> {
    const body = asRecord(await this.#call('POST', `/customers/${customerId}/offlineUserDataJobs:create`, { job }, signal));
    const name = body?.resourceName;
    if (typeof name !== 'string') throw new DestinationError('retryable', `${this.#o.label}: job create returned no resource name`);
    return name;
  }

  /** Adds operations with partial failure on; returns the per-operation errors Google reported. */
  async addOperations(job: string, operations: JobOperation[], signal?: AbortSignal): Promise<GoogleAdsErrorItem[]> {
    const body = asRecord(
      await this.#call('POST', `/${job}:addOperations`, { operations, enablePartialFailure: true, enableWarnings: false }, signal),
    );
    return failureItems(body?.partialFailureError);
  }

  /** Starts processing a job (a long-running operation whose progress is read through search). */
  async runJob(job: string, signal?: AbortSignal): Promise<void> {
    await this.#call('POST', `/${job}:run`, {}, signal);
  }

  /** An OAuth2 access token, refreshed from the refresh token when missing or about to expire. */
  async accessToken(force = false): Promise<string> {
    if (!force && this.#token && this.#token.expiresAt > this.#now() + 60_000) return this.#token.value;
    const url = new URL(this.#o.oauthTokenUrl);
    const res = await this.#oauth.send({
      method: 'POST',
      path: url.pathname,
      form: {
        grant_type: 'refresh_token',
        client_id: this.#o.clientId,
        client_secret: this.#o.clientSecret,
        refresh_token: this.#o.refreshToken,
      },
    });
    const body = asRecord(res.body);
    if (res.status === 200 && typeof body?.access_token === 'string') {
      const ttl = typeof body.expires_in === 'number' ? body.expires_in : 3600;
      this.#token = { value: body.access_token, expiresAt: this.#now() + ttl * 1000 };
      return body.access_token;
    }
    // https://www.rfc-editor.org/rfc/rfc6749#section-5.2: 400/401 with error=invalid_grant (revoked
    // or expired refresh token), invalid_client, unauthorized_client.
    const code = typeof body?.error === 'string' ? body.error : String(res.status);
    if (res.status >= 500) throw new DestinationError('retryable', `${this.#o.label}: OAuth token endpoint returned HTTP ${res.status}`, { code: res.status });
    if (res.status === 429)
      throw new DestinationError('rate_limited', `${this.#o.label}: OAuth token endpoint is throttling`, {
        code: 429,
        retryAfterMs: retryAfterMs(res.headers),
      });
    throw new DestinationError(
      'invalid_auth',
      `${this.#o.label}: Google rejected the OAuth refresh token (${code}); reconnect the destination with a new refresh token`,
      { code },
    );
  }

  async #call(method: 'POST', path: string, json: unknown, signal?: AbortSignal): Promise<unknown> {
    const send = async (token: string) =>
      this.#http.send({
        method,
        path: `/${this.#o.apiVersion}${path}`,
        json,
        signal,
        headers: {
          authorization: `Bearer ${token}`,
          'developer-token': this.#o.developerToken,
          ...(this.#o.loginCustomerId ? { 'login-customer-id': this.#o.loginCustomerId } : {}),
        },
      });
    let res = await send(await this.accessToken());
    // An access token can be revoked or expire early: refresh once, then believe the 401.
    if (res.status === 401) res = await send(await this.accessToken(true));
    if (res.status >= 200 && res.status < 300) return res.body;
    throw classifyGoogleAdsError(res, `${this.#o.label}: ${method} ${path}`);
  }
}

/** The GoogleAdsFailure errors inside a google.rpc.Status (an error body or a partialFailureError). */
export function failureItems(status: unknown): GoogleAdsErrorItem[] {
  const details = asRecord(status)?.details;
  if (!Array.isArray(details)) return [];
  const out: GoogleAdsErrorItem[] = [];
  for (const d of details) {
    const errors = asRecord(d)?.errors;
    if (Array.isArray(errors)) for (const e of errors) if (asRecord(e)) out.push(e as GoogleAdsErrorItem);
  }
  return out;
}

/** `QuotaErrorEnum.QuotaError`, `InternalErrorEnum`, `DatabaseError.CONCURRENT_MODIFICATION`... as `group.VALUE`. */
export function errorCodeName(item: GoogleAdsErrorItem): string {
  const [group, value] = Object.entries(item.errorCode ?? {})[0] ?? ['unknown', 'UNKNOWN'];
  return `${group}.${value}`;
}

/** google.protobuf.Duration in JSON ("30s", "1.5s") as milliseconds. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m?.[1] ? Math.round(Number(m[1]) * 1000) : undefined;
}

/**
 * Maps a failed Google Ads REST reply to the destination error taxonomy, by HTTP status and
 * GoogleAdsFailure error code. https://developers.google.com/google-ads/api/docs/best-practices/common-errors
 */
export function classifyGoogleAdsError(res: HttpResponse, where: string): DestinationError {
  const error = asRecord(asRecord(res.body)?.error);
  const items = failureItems(error);
  const first = items[0];
  const code = first ? errorCodeName(first) : typeof error?.status === 'string' ? error.status : String(res.status);
  const quota = items.find((i) => i.errorCode?.quotaError !== undefined);
  if (res.status === 429 || quota) {
    // QuotaErrorDetails.retry_delay is the back-off Google asks for; Retry-After as a fallback.
    const delay = durationMs(quota?.details?.quotaErrorDetails?.retryDelay) ?? retryAfterMs(res.headers);
    return new DestinationError('rate_limited', `${where}: rate limited (${code})`, {
      code,
      ...(delay !== undefined ? { retryAfterMs: delay } : {}),
    });
  }
  if (res.status === 401 || res.status === 403)
    return new DestinationError('invalid_auth', `${where}: access denied (HTTP ${res.status}, ${code}); check the credentials and account access`, { code });
  if (res.status >= 500 || res.status === 408 || items.some((i) => i.errorCode?.databaseError === 'CONCURRENT_MODIFICATION' || i.errorCode?.internalError))
    return new DestinationError('retryable', `${where}: HTTP ${res.status} (${code})`, { code });
  return new DestinationError('invalid_payload', `${where}: rejected (HTTP ${res.status}, ${code})`, { code });
}
