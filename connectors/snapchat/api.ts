import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, retryAfterMs } from '../shared/http';
import { type OAuthApiOptions, OAuthRefresher } from '../shared/oauth';

/**
 * Thin client of the Snap Marketing API (v1) for customer-list segments (Snap Audience Match).
 * https://developers.snap.com/api/marketing-api/Ads-API/customer-lists
 */

export type SnapchatApiOptions = OAuthApiOptions;

export type SnapSchema = 'EMAIL_SHA256' | 'PHONE_SHA256' | 'MOBILE_AD_ID_SHA256';

export interface SnapUsers {
  schema: [SnapSchema];
  data: [string][];
}

export interface SegmentView {
  id: string;
  name: string;
  approximateNumberUsers?: unknown;
  uploadStatus?: unknown;
  targetableStatus?: unknown;
}

/** Snap errors carry no code beyond the HTTP status: 401/403 auth, 429 throttling, 5xx passing faults. */
export const SNAPCHAT_ERRORS: ErrorCodes = {
  authHint: 'the token is invalid, expired or revoked, or has no access to the ad account; reconnect the destination',
};

export class SnapchatApi {
  readonly #client: PlatformClient;
  readonly #prefix: string;

  constructor(o: SnapchatApiOptions) {
    const oauth = new OAuthRefresher({ ...o, tokenUrl: o.oauthTokenUrl, platform: 'Snapchat' });
    this.#prefix = `/${o.apiVersion}`;
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: SNAPCHAT_ERRORS,
      refreshOn401: true,
      fetch: o.fetch,
      headers: async (refreshed) => ({ authorization: `Bearer ${await oauth.token(refreshed)}` }),
      failure: (res) => statusFailure(res, () => undefined, retryAfterMs(res.headers)),
    });
  }

  /** A page of the ad account's segments; `cursor` from the previous page's next link. */
  async segments(adAccountId: string, cursor?: string): Promise<{ items: SegmentView[]; next?: string }> {
    const res = await this.#client.call({
      method: 'GET',
      path: `${this.#prefix}/adaccounts/${adAccountId}/segments`,
      query: { limit: '1000', ...(cursor ? { cursor } : {}) },
    });
    const body = asRecord(res.body);
    const next = asRecord(body?.paging)?.next_link;
    const cursorOf = typeof next === 'string' ? (new URL(next).searchParams.get('cursor') ?? undefined) : undefined;
    return { items: segmentsOf(body), ...(cursorOf ? { next: cursorOf } : {}) };
  }

  async segment(id: string): Promise<SegmentView | undefined> {
    const res = await this.#client.call({ method: 'GET', path: `${this.#prefix}/segments/${id}` });
    return segmentsOf(asRecord(res.body))[0];
  }

  async createSegment(adAccountId: string, segment: Record<string, unknown>): Promise<SegmentView | undefined> {
    const res = await this.#client.call({ method: 'POST', path: `${this.#prefix}/adaccounts/${adAccountId}/segments`, json: { segments: [segment] } });
    return segmentsOf(asRecord(res.body))[0];
  }

  /** Adds (POST) or removes (DELETE) hashed identifiers, one users object per schema. */
  async users(method: 'POST' | 'DELETE', segmentId: string, users: readonly SnapUsers[], signal?: AbortSignal): Promise<void> {
    await this.#client.call({ method, path: `${this.#prefix}/segments/${segmentId}/users`, json: { users }, ...(signal ? { signal } : {}) });
  }
}

function segmentsOf(body: Record<string, unknown> | undefined): SegmentView[] {
  const out: SegmentView[] = [];
  for (const entry of Array.isArray(body?.segments) ? body.segments : []) {
    const s = asRecord(asRecord(entry)?.segment);
    if (s && typeof s.id === 'string' && typeof s.name === 'string')
      out.push({ id: s.id, name: s.name, approximateNumberUsers: s.approximate_number_users, uploadStatus: s.upload_status, targetableStatus: s.targetable_status });
  }
  return out;
}
