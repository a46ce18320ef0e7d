import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, resetSecondsMs } from '../shared/http';
import { type OAuthApiOptions, OAuthRefresher } from '../shared/oauth';

/**
 * Thin client of the Pinterest API v5 for customer lists and the CUSTOMER_LIST audiences that make
 * them targetable (reference §8, from Pinterest's generated SDK docs).
 * https://developers.pinterest.com/docs/api/v5/
 */

export type PinterestApiOptions = OAuthApiOptions;

export type PinterestListType = 'EMAIL' | 'MAID';

export interface CustomerListView {
  id: string;
  name: string;
  status?: unknown;
}

export interface AudienceView {
  id: string;
  size?: unknown;
  status?: unknown;
}

/**
 * Pinterest answers `{code, message}`: 401 code 2 (authentication failed), 403 codes 3 and 29 (no
 * scope, not the user's ad account), 429 (rate limited; code 8 in the sandbox, unconfirmed).
 */
export const PINTEREST_ERRORS: ErrorCodes = {
  rateLimited: [8],
  authHint: 'the token is invalid, expired or revoked, or lacks ads:read / ads:write on the ad account; reconnect the destination',
};

export class PinterestApi {
  readonly #client: PlatformClient;
  readonly #prefix: string;

  constructor(o: PinterestApiOptions) {
    // Pinterest's token endpoint takes the client in HTTP Basic.
    const oauth = new OAuthRefresher({ ...o, tokenUrl: o.oauthTokenUrl, platform: 'Pinterest', basicClient: true });
    this.#prefix = `/${o.apiVersion}`;
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: PINTEREST_ERRORS,
      refreshOn401: true,
      fetch: o.fetch,
      headers: async (refreshed) => ({ authorization: `Bearer ${await oauth.token(refreshed)}` }),
      failure: (res) => statusFailure(res, (b) => codeOf(b), resetSecondsMs(res.headers, 'x-ratelimit-reset')),
    });
  }

  /** A page of the ad account's customer lists; `bookmark` from the previous page. */
  async customerLists(adAccountId: string, pageSize: number, bookmark?: string): Promise<{ items: CustomerListView[]; bookmark?: string }> {
    const res = await this.#client.call({
      method: 'GET',
      path: `${this.#prefix}/ad_accounts/${adAccountId}/customer_lists`,
      query: { page_size: String(pageSize), ...(bookmark ? { bookmark } : {}) },
    });
    const body = asRecord(res.body);
    const items = (Array.isArray(body?.items) ? body.items : []).map(listOf).filter((l): l is CustomerListView => l !== undefined);
    return { items, ...(typeof body?.bookmark === 'string' && body.bookmark !== '' ? { bookmark: body.bookmark } : {}) };
  }

  async customerList(adAccountId: string, id: string): Promise<CustomerListView | undefined> {
    const res = await this.#client.call({ method: 'GET', path: `${this.#prefix}/ad_accounts/${adAccountId}/customer_lists/${id}` });
    return listOf(res.body);
  }

  /** Creates a list from its first records (Pinterest creates no empty list). */
  async createCustomerList(adAccountId: string, name: string, listType: PinterestListType, records: readonly string[], signal?: AbortSignal): Promise<CustomerListView | undefined> {
    const res = await this.#client.call({
      method: 'POST',
      path: `${this.#prefix}/ad_accounts/${adAccountId}/customer_lists`,
      json: { name, list_type: listType, records: records.join(',') },
      ...(signal ? { signal } : {}),
    });
    return listOf(res.body);
  }

  async updateCustomerList(adAccountId: string, id: string, operation: 'ADD' | 'REMOVE', records: readonly string[], signal?: AbortSignal): Promise<void> {
    await this.#client.call({
      method: 'PATCH',
      path: `${this.#prefix}/ad_accounts/${adAccountId}/customer_lists/${id}`,
      json: { records: records.join(','), operation_type: operation },
      ...(signal ? { signal } : {}),
    });
  }

  /** The CUSTOMER_LIST audience over a list: what campaigns target. */
  async createAudience(adAccountId: string, name: string, customerListId: string): Promise<AudienceView | undefined> {
    const res = await this.#client.call({
      method: 'POST',
      path: `${this.#prefix}/ad_accounts/${adAccountId}/audiences`,
      json: { name, audience_type: 'CUSTOMER_LIST', rule: { customer_list_id: customerListId } },
    });
    return audienceOf(res.body);
  }

  async audience(adAccountId: string, id: string): Promise<AudienceView | undefined> {
    const res = await this.#client.call({ method: 'GET', path: `${this.#prefix}/ad_accounts/${adAccountId}/audiences/${id}` });
    return audienceOf(res.body);
  }
}

function codeOf(body: unknown): number | undefined {
  const code = asRecord(body)?.code;
  return typeof code === 'number' ? code : undefined;
}

function listOf(body: unknown): CustomerListView | undefined {
  const b = asRecord(body);
  return b && typeof b.id === 'string' && typeof b.name === 'string' ? { id: b.id, name: b.name, status: b.status } : undefined;
}

function audienceOf(body: unknown): AudienceView | undefined {
  const b = asRecord(body);
  return b && typeof b.id === 'string' ? { id: b.id, size: b.size, status: b.status } : undefined;
}
