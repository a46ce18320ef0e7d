import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, retryAfterMs } from '../shared/http';
import { type OAuthApiOptions, OAuthRefresher } from '../shared/oauth';

/**
 * Thin client of LinkedIn's Marketing REST API for Matched Audiences (DMP segments).
 * https://learn.microsoft.com/linkedin/marketing/matched-audiences/create-and-manage-segments
 * Versioning (`LinkedIn-Version: YYYYMM`, sunset about a year after release):
 * https://learn.microsoft.com/linkedin/marketing/versioning
 */

export type LinkedInApiOptions = OAuthApiOptions;

/** One element of a `/users` BATCH_CREATE: ids hashed, names and country plain. */
export interface SegmentUser {
  action: 'ADD' | 'REMOVE';
  userIds: { idType: 'SHA256_EMAIL'; idValue: string }[];
  firstName?: string;
  lastName?: string;
  country?: string;
}

export interface SegmentView {
  id: string;
  name: string;
  status?: string;
  audienceSize?: unknown;
  matchedCount?: unknown;
  inputCount?: unknown;
}

/**
 * 401 with serviceErrorCode 65600-65604 (invalid, revoked, expired, empty token), 403 without
 * rw_dmp_segments or the ad account; 429 for the per-member minute limits (no Retry-After is
 * published); 426 NONEXISTENT_VERSION for a sunset `apiVersion` is a settings problem.
 */
export const LINKEDIN_ERRORS: ErrorCodes = {
  invalidAuth: [65600, 65601, 65602, 65604],
  invalidPayload: ['NONEXISTENT_VERSION', 'VERSION_MISSING'],
  authHint: 'the token is invalid, expired or revoked, or lacks rw_dmp_segments on the ad account; reconnect the destination',
};

export class LinkedInApi {
  readonly #client: PlatformClient;

  constructor(o: LinkedInApiOptions) {
    const oauth = new OAuthRefresher({ ...o, tokenUrl: o.oauthTokenUrl, platform: 'LinkedIn', timeoutMs: o.timeoutMs });
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: LINKEDIN_ERRORS,
      refreshOn401: true,
      fetch: o.fetch,
      headers: async (refreshed) => ({
        authorization: `Bearer ${await oauth.token(refreshed)}`,
        'linkedin-version': o.apiVersion,
        'x-restli-protocol-version': '2.0.0',
      }),
      failure: (res) => statusFailure(res, (b) => (asRecord(b)?.serviceErrorCode as number | undefined) ?? (asRecord(b)?.code as string | undefined), retryAfterMs(res.headers)),
    });
  }

  /** A page of the ad account's segments (the `q=account` finder). */
  async segments(account: string, start: number, count: number): Promise<{ items: SegmentView[]; more: boolean }> {
    const res = await this.#client.call({ method: 'GET', path: '/rest/dmpSegments', query: { q: 'account', account, start: String(start), count: String(count) } });
    const body = asRecord(res.body);
    const items = (Array.isArray(body?.elements) ? body.elements : []).map(view).filter((s): s is SegmentView => s !== undefined);
    const total = Number(asRecord(body?.paging)?.total ?? 0);
    return { items, more: start + count < total };
  }

  async segment(id: string): Promise<SegmentView> {
    const res = await this.#client.call({ method: 'GET', path: `/rest/dmpSegments/${id}` });
    return view(res.body) ?? { id, name: '' };
  }

  /** Creates a USER segment; LinkedIn answers 201 with the id in `x-restli-id` (or `x-linkedin-id`). */
  async createSegment(body: Record<string, unknown>): Promise<string | undefined> {
    const res = await this.#client.call({ method: 'POST', path: '/rest/dmpSegments', json: body });
    return res.headers.get('x-restli-id') ?? res.headers.get('x-linkedin-id') ?? undefined;
  }

  /** BATCH_CREATE of ADD/REMOVE elements; the HTTP status of each element, in order. */
  async users(segmentId: string, elements: readonly SegmentUser[], signal?: AbortSignal): Promise<number[]> {
    const res = await this.#client.call({ method: 'POST', path: `/rest/dmpSegments/${segmentId}/users`, headers: { 'x-restli-method': 'BATCH_CREATE' }, json: { elements }, signal });
    const replies = asRecord(res.body)?.elements;
    return elements.map((_, i) => Number(asRecord(Array.isArray(replies) ? replies[i] : undefined)?.status ?? 201));
  }
}

function view(value: unknown): SegmentView | undefined {
  const s = asRecord(value);
  if (!s || (typeof s.id !== 'number' && typeof s.id !== 'string') || typeof s.name !== 'string') return undefined;
  const dest = asRecord(Array.isArray(s.destinations) ? s.destinations.find((d) => asRecord(d)?.destination === 'LINKEDIN') : undefined);
  return {
    id: String(s.id),
    name: s.name,
    ...(typeof dest?.status === 'string' ? { status: dest.status } : {}),
    audienceSize: dest?.audienceSize,
    matchedCount: dest?.matchedCount,
    inputCount: dest?.inputCount,
  };
}
