import { DestinationError } from '../../src/destinations/contract';
import { PlatformClient } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, type HttpResponse, retryAfterMs } from '../shared/http';
import { type OAuthApiOptions, OAuthRefresher } from '../shared/oauth';

/**
 * Thin client of the Google Ads REST API (JSON transcoding of the gRPC services), one method per
 * endpoint the Customer Match connector uses.
 * Versions and sunset dates: https://developers.google.com/google-ads/api/docs/release-notes
 * Auth: https://developers.google.com/google-ads/api/rest/auth
 */

export interface GoogleAdsApiOptions extends OAuthApiOptions {
  developerToken: string;
  /** Manager account the call goes through (digits only), when there is one. */
  loginCustomerId?: string | undefined;
}

/** One UserIdentifier of a UserData (a oneof: exactly one field is set). */
export type UserIdentifier =
  | { hashedEmail: string }
  | { hashedPhoneNumber: string }
  | { addressInfo: { hashedFirstName: string; hashedLastName: string; countryCode: string; postalCode: string } };

export interface UserData {
  userIdentifiers: UserIdentifier[];
}

export type JobOperation = { create: UserData } | { remove: UserData };

/** One error of a GoogleAdsFailure: its error code (`{ quotaError: 'RESOURCE_EXHAUSTED' }`) and location. */
export interface GoogleAdsErrorItem {
  errorCode?: Record<string, string>;
  location?: { fieldPathElements?: { fieldName?: string; index?: number }[] };
  details?: { quotaErrorDetails?: { retryDelay?: string } };
}

/**
 * Error codes as `group.VALUE`: every QuotaError is throttling (its retry_delay says how long),
 * CONCURRENT_MODIFICATION and InternalErrors pass; 401/403 are credentials or account access.
 * https://developers.google.com/google-ads/api/docs/best-practices/common-errors
 */
const QUOTA = ['RESOURCE_EXHAUSTED', 'RESOURCE_TEMPORARILY_EXHAUSTED', 'ACCESS_PROHIBITED', 'EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION', 'EXCESSIVE_LONG_TERM_QUERY_RESOURCE_CONSUMPTION', 'UNKNOWN'];
const INTERNAL = ['INTERNAL_ERROR', 'ERROR_CODE_NOT_PUBLISHED', 'TRANSIENT_ERROR', 'DEADLINE_EXCEEDED', 'UNKNOWN'];
export const GOOGLE_ADS_ERRORS: ErrorCodes = {
  rateLimited: QUOTA.map((v) => `quotaError.${v}`),
  retryable: ['databaseError.CONCURRENT_MODIFICATION', ...INTERNAL.map((v) => `internalError.${v}`)],
  authHint: 'check the credentials and account access',
};

export class GoogleAdsApi {
  readonly #client: PlatformClient;
  readonly #o: GoogleAdsApiOptions;

  constructor(o: GoogleAdsApiOptions) {
    this.#o = o;
    const oauth = new OAuthRefresher({ ...o, tokenUrl: o.oauthTokenUrl, platform: 'Google', timeoutMs: o.timeoutMs });
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: GOOGLE_ADS_ERRORS,
      // An access token can be revoked or expire early: refresh once, then believe the 401.
      refreshOn401: true,
      fetch: o.fetch,
      headers: async (refreshed) => ({
        authorization: `Bearer ${await oauth.token(refreshed)}`,
        'developer-token': o.developerToken,
        ...(o.loginCustomerId ? { 'login-customer-id': o.loginCustomerId } : {}),
      }),
      failure: googleAdsFailure,
    });
  }

  async #post(path: string, json: unknown, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    const res = await this.#client.call({ method: 'POST', path: `/${this.#o.apiVersion}${path}`, json, ...(signal ? { signal } : {}) });
    return asRecord(res.body);
  }

  /** GAQL search, all pages. https://developers.google.com/google-ads/api/rest/common/search */
  async search(customerId: string, query: string, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.#post(`/customers/${customerId}/googleAds:search`, { query, ...(pageToken ? { pageToken } : {}) }, signal);
      for (const r of Array.isArray(body?.results) ? body.results : []) if (asRecord(r)) rows.push(r as Record<string, unknown>);
      pageToken = typeof body?.nextPageToken === 'string' && body.nextPageToken !== '' ? body.nextPageToken : undefined;
    } while (pageToken);
    return rows;
  }

  /** UserListService.MutateUserLists with one create; returns the resource name created. */
  async createUserList(customerId: string, create: unknown): Promise<string> {
    const body = await this.#post(`/customers/${customerId}/userLists:mutate`, { operations: [{ create }] });
    return this.#name(asRecord(Array.isArray(body?.results) ? body.results[0] : undefined)?.resourceName, 'list create');
  }

  /** OfflineUserDataJobService.CreateOfflineUserDataJob; returns the job's resource name. */
  async createJob(customerId: string, job: unknown, signal?: AbortSignal): Promise<string> {
    return this.#name((await this.#post(`/customers/${customerId}/offlineUserDataJobs:create`, { job }, signal))?.resourceName, 'job create');
  }

  /** Adds operations with partial failure on; returns the per-operation errors Google reported. */
  async addOperations(job: string, operations: JobOperation[], signal?: AbortSignal): Promise<GoogleAdsErrorItem[]> {
    const body = await this.#post(`/${job}:addOperations`, { operations, enablePartialFailure: true, enableWarnings: false }, signal);
    return failureItems(body?.partialFailureError);
  }

  /** Starts processing a job (a long-running operation whose progress is read through search). */
  async runJob(job: string, signal?: AbortSignal): Promise<void> {
    await this.#post(`/${job}:run`, {}, signal);
  }

  #name(value: unknown, what: string): string {
    if (typeof value !== 'string' || value === '') throw new DestinationError('retryable', `${this.#o.label}: ${what} returned no resource name`);
    return value;
  }
}

/** The failure of a reply: its status, the GoogleAdsFailure code that decides (a quota error first) and the retry delay. */
function googleAdsFailure(res: HttpResponse) {
  if (res.status >= 200 && res.status < 300) return undefined;
  const error = asRecord(asRecord(res.body)?.error);
  const items = failureItems(error);
  const quota = items.find((i) => i.errorCode?.quotaError !== undefined);
  const deciding = quota ?? items.find((i) => GOOGLE_ADS_ERRORS.retryable?.includes(errorCodeName(i))) ?? items[0];
  const code = deciding ? errorCodeName(deciding) : typeof error?.status === 'string' ? error.status : String(res.status);
  // QuotaErrorDetails.retry_delay is the back-off Google asks for; Retry-After as a fallback.
  return { status: res.status, code, retryAfterMs: durationMs(quota?.details?.quotaErrorDetails?.retryDelay) ?? retryAfterMs(res.headers) };
}

/** The GoogleAdsFailure errors inside a google.rpc.Status (an error body or a partialFailureError). */
function failureItems(status: unknown): GoogleAdsErrorItem[] {
  const details = asRecord(status)?.details;
  return (Array.isArray(details) ? details : []).flatMap((d) => {
    const errors = asRecord(d)?.errors;
    return Array.isArray(errors) ? errors.filter((e): e is GoogleAdsErrorItem => asRecord(e) !== undefined) : [];
  });
}

/** `QuotaErrorEnum.QuotaError`, `InternalErrorEnum`, `DatabaseError.CONCURRENT_MODIFICATION`... as `group.VALUE`. */
export function errorCodeName(item: GoogleAdsErrorItem): string {
  const [group, value] = Object.entries(item.errorCode ?? {})[0] ?? ['unknown', 'UNKNOWN'];
  return `${group}.${value}`;
}

/** google.protobuf.Duration in JSON ("30s", "1.5s") as milliseconds. */
function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m?.[1] ? Math.round(Number(m[1]) * 1000) : undefined;
}
