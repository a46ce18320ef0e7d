import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, resetSecondsMs } from '../shared/http';
import { type OAuthApiOptions, OAuthRefresher } from '../shared/oauth';

/**
 * Thin client of the Reddit Ads API v3 for custom audiences (customer lists). Reddit's own v3
 * reference was not retrieved; the shapes are those of the reference §9 (third-party connectors).
 */

export interface RedditApiOptions extends OAuthApiOptions {
  userAgent: string;
}

export type RedditColumn = 'EMAIL_SHA256' | 'MAID_SHA256';

export interface CustomAudienceView {
  id: string;
  name: string;
  size?: unknown;
  status?: unknown;
}

/** Reddit answers `{error: {code, message}}`: 401 bad token, 403 scope / account / User-Agent, 429 throttled. */
export const REDDIT_ERRORS: ErrorCodes = {
  authHint: 'the token is invalid or revoked, or lacks adsread / adsedit on the ad account; reconnect the destination',
};

export class RedditApi {
  readonly #client: PlatformClient;
  readonly #prefix: string;

  constructor(o: RedditApiOptions) {
    const ua = { 'user-agent': o.userAgent };
    // Reddit's token endpoint takes the client in HTTP Basic, and every call a descriptive User-Agent.
    const oauth = new OAuthRefresher({ ...o, tokenUrl: o.oauthTokenUrl, platform: 'Reddit', basicClient: true, headers: ua });
    this.#prefix = `/api/${o.apiVersion}`;
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: REDDIT_ERRORS,
      refreshOn401: true,
      fetch: o.fetch,
      headers: async (refreshed) => ({ ...ua, authorization: `Bearer ${await oauth.token(refreshed)}` }),
      // A 400 naming one row of user_data is answered to `users`, which reads the row it names.
      failure: (res) => (res.status === 400 && badRowOf(res.body) ? undefined : statusFailure(res, (b) => (typeof asRecord(asRecord(b)?.error)?.code === 'number' ? (asRecord(asRecord(b)?.error)?.code as number) : undefined), resetSecondsMs(res.headers, 'x-ratelimit-reset'))),
    });
  }

  async customAudiences(adAccountId: string): Promise<CustomAudienceView[]> {
    const res = await this.#client.call({ method: 'GET', path: `${this.#prefix}/ad_accounts/${adAccountId}/custom_audiences` });
    const data = asRecord(res.body)?.data;
    return (Array.isArray(data) ? data : []).map(audienceOf).filter((a): a is CustomAudienceView => a !== undefined);
  }

  async customAudience(id: string): Promise<CustomAudienceView | undefined> {
    const res = await this.#client.call({ method: 'GET', path: `${this.#prefix}/custom_audiences/${id}` });
    return audienceOf(asRecord(res.body)?.data);
  }

  async create(adAccountId: string, name: string): Promise<CustomAudienceView | undefined> {
    const res = await this.#client.call({
      method: 'POST',
      path: `${this.#prefix}/ad_accounts/${adAccountId}/custom_audiences`,
      json: { data: { name, type: 'CUSTOMER_LIST' } },
    });
    return audienceOf(asRecord(res.body)?.data);
  }

  /**
   * Adds or removes users: one row per person, one cell per column ('' where the person has none).
   * A request with a bad row applies nothing; the row Reddit names comes back, with its column.
   */
  async users(id: string, action: 'ADD' | 'REMOVE', columns: readonly RedditColumn[], rows: readonly string[][], signal?: AbortSignal): Promise<{ row: number; column?: string } | undefined> {
    const res = await this.#client.call({
      method: 'PATCH',
      path: `${this.#prefix}/custom_audiences/${id}/users`,
      json: { data: { action_type: action, column_order: columns, user_data: rows } },
      ...(signal ? { signal } : {}),
    });
    const bad = badRowOf(res.body);
    return bad ? { row: bad.row, ...(bad.column !== undefined && columns[bad.column] ? { column: columns[bad.column] } : {}) } : undefined;
  }
}

/** The row (and column) a 400's `error.fields` names in `data.user_data`, if it names one. */
function badRowOf(body: unknown): { row: number; column?: number } | undefined {
  const fields = asRecord(asRecord(body)?.error)?.fields;
  for (const f of Array.isArray(fields) ? fields : []) {
    const field = asRecord(f)?.field;
    const m = typeof field === 'string' ? /^data\.user_data\[(\d+)\](?:\[(\d+)\])?$/.exec(field) : null;
    if (m) return { row: Number(m[1]), ...(m[2] !== undefined ? { column: Number(m[2]) } : {}) };
  }
  return undefined;
}

function audienceOf(value: unknown): CustomAudienceView | undefined {
  const a = asRecord(value);
  return a && typeof a.id === 'string' && typeof a.name === 'string' ? { id: a.id, name: a.name, size: a.size, status: a.status } : undefined;
}
