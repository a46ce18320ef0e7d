import { DestinationError } from '../../src/destinations/contract';
import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, retryAfterMs } from '../shared/http';
import { type OAuthApiOptions, OAuthRefresher } from '../shared/oauth';

/**
 * Thin client of Microsoft Advertising Campaign Management (REST, v13) for customer lists.
 * https://learn.microsoft.com/advertising/campaign-management-service/applycustomerlistuserdata
 * Error codes: https://learn.microsoft.com/advertising/guides/operation-error-codes
 */

export interface MicrosoftAdsApiOptions extends OAuthApiOptions {
  developerToken: string;
  customerId: string;
  accountId: string;
}

export interface ListView {
  id: string;
  name: string;
  /** Null while the list builds (up to 24-48 hours). */
  searchSize: unknown;
}

export interface PartialError {
  index: number;
  code: number | undefined;
  errorCode: string | undefined;
}

/**
 * 117 CallRateExceeded (an HTTP 400 fault; the documented remedy is to wait 60 s), 105
 * InvalidCredentials, 106 UserIsNotAuthorized, 109 AuthenticationTokenExpired, 8003 Customer Match
 * terms not accepted (the user must accept them in the web UI), 0 / 1001 internal errors.
 */
export const MICROSOFT_ADS_ERRORS: ErrorCodes = {
  rateLimited: [117],
  rateLimitWaitMs: 60_000,
  invalidAuth: [105, 106, 109, 8003],
  retryable: [0, 1001],
  authHint: 'check the refresh token, developer token, customer and account ids, and that the Customer Match terms are accepted',
};

/** DuplicateAudienceName: another list of the name exists. */
export const DUPLICATE_AUDIENCE_NAME = 4853;

export class MicrosoftAdsApi {
  readonly #client: PlatformClient;
  readonly #prefix: string;

  constructor(o: MicrosoftAdsApiOptions) {
    const oauth = new OAuthRefresher({
      ...o,
      tokenUrl: o.oauthTokenUrl,
      platform: 'Microsoft',
      extra: { scope: 'https://ads.microsoft.com/msads.manage offline_access' },
    });
    this.#prefix = `/CampaignManagement/${o.apiVersion}`;
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: MICROSOFT_ADS_ERRORS,
      refreshOn401: true,
      fetch: o.fetch,
      headers: async (refreshed) => ({
        authorization: `Bearer ${await oauth.token(refreshed)}`,
        developertoken: o.developerToken,
        customerid: o.customerId,
        customeraccountid: o.accountId,
      }),
      failure: (res) => statusFailure(res, faultCode, retryAfterMs(res.headers)),
    });
  }

  async #post(path: string, json: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const res = await this.#client.call({ method: 'POST', path: `${this.#prefix}${path}`, json, ...(signal ? { signal } : {}) });
    return asRecord(res.body) ?? {};
  }

  /** Customer lists by id, or every customer list of the account when `ids` is null. */
  async lists(ids: string[] | null): Promise<ListView[]> {
    const body = await this.#post('/Audiences/QueryByIds', { AudienceIds: ids, Type: 'CustomerList' });
    const out: ListView[] = [];
    for (const a of Array.isArray(body.Audiences) ? body.Audiences : []) {
      const r = asRecord(a);
      if (r && r.Id !== undefined && typeof r.Name === 'string') out.push({ id: String(r.Id), name: r.Name, searchSize: r.SearchSize });
    }
    return out;
  }

  /** AddAudiences of one customer list; a partial error (e.g. 4853 duplicate name) is thrown with its code. */
  async createList(audience: Record<string, unknown>): Promise<string> {
    const body = await this.#post('/Audiences', { Audiences: [audience] });
    const id = Array.isArray(body.AudienceIds) ? body.AudienceIds[0] : undefined;
    if (id !== undefined && id !== null) return String(id);
    const error = partialErrors(body)[0];
    throw new DestinationError('invalid_payload', `${this.#client.label}: customer list not created (${error?.errorCode ?? 'no id'}, code ${error?.code ?? '?'})`, {
      code: error?.code ?? 'NO_ID',
    });
  }

  /** CustomerListUserData/Apply: Add or Remove up to 1,000 hashed emails; the items Microsoft refused. */
  async apply(action: 'Add' | 'Remove', audienceId: string, items: readonly string[], signal?: AbortSignal): Promise<PartialError[]> {
    const body = await this.#post(
      '/CustomerListUserData/Apply',
      { CustomerListUserData: { ActionType: action, AudienceId: audienceId, CustomerListItemSubType: 'Email', CustomerListItems: items } },
      signal,
    );
    return partialErrors(body);
  }
}

function partialErrors(body: Record<string, unknown>): PartialError[] {
  return (Array.isArray(body.PartialErrors) ? body.PartialErrors : []).map((e) => {
    const r = asRecord(e);
    return { index: Number(r?.Index ?? -1), code: typeof r?.Code === 'number' ? r.Code : undefined, errorCode: typeof r?.ErrorCode === 'string' ? r.ErrorCode : undefined };
  });
}

/** The first error code of an AdApiFaultDetail (`Errors`) or ApiFaultDetail (`OperationErrors`, `BatchErrors`). */
function faultCode(body: unknown): number | undefined {
  const b = asRecord(body);
  for (const list of [b?.Errors, b?.OperationErrors, b?.BatchErrors]) {
    const first = asRecord(Array.isArray(list) ? list[0] : undefined);
    if (typeof first?.Code === 'number') return first.Code;
  }
  return undefined;
}
