import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, retryAfterMs } from '../shared/http';

/**
 * Thin client of Viant's VDP Connect audience API (reference §11, from Viant's API reference
 * pages): segments are created, fed with `POST .../data` and trimmed with `PUT
 * .../data?action=expireSpecificAudience`. The listing's paging parameters and the shape of a bad
 * record's details are not published; what this client assumes is said where it is used.
 */

export interface ViantApiOptions {
  apiBaseUrl: string;
  apiVersion: string;
  accessToken: string;
  timeoutMs: number;
  label: string;
  fetch?: typeof fetch | undefined;
}

export type ViantDataType = 'email_sha256' | 'phonenumber_sha256';

export interface SegmentView {
  id: string;
  name: string;
  externalAudienceId?: string;
  status?: unknown;
  dataCount?: unknown;
}

/** Viant answers `{message}` with the HTTP status: 401 "Invalid JWT", 403 not the token's account. */
export const VIANT_ERRORS: ErrorCodes = {
  authHint: 'the JWT is invalid, expired or revoked, or not for this account; get a new token from Viant',
};

/** Segments read per listing page (the parameter names are an assumption, see docs/destinations.md). */
export const VIANT_PAGE_SIZE = 100;

export class ViantApi {
  readonly #client: PlatformClient;
  readonly #prefix: string;

  constructor(o: ViantApiOptions) {
    this.#prefix = `/${o.apiVersion}/audiences`;
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: VIANT_ERRORS,
      fetch: o.fetch,
      headers: async () => ({ authorization: `Bearer ${o.accessToken}` }),
      failure: (res) => statusFailure(res, () => undefined, retryAfterMs(res.headers)),
    });
  }

  /** One page of the account's segments (`page` from 1). */
  async segments(page: number): Promise<SegmentView[]> {
    const res = await this.#client.call({ method: 'GET', path: this.#prefix, query: { page: String(page), pageSize: String(VIANT_PAGE_SIZE) } });
    const body = res.body;
    const items = Array.isArray(body) ? body : asRecord(body)?.data;
    return (Array.isArray(items) ? items : []).map(segmentOf).filter((s): s is SegmentView => s !== undefined);
  }

  async segment(id: string): Promise<SegmentView | undefined> {
    const res = await this.#client.call({ method: 'GET', path: `${this.#prefix}/${id}` });
    return segmentOf(res.body);
  }

  async create(input: { name: string; dataType: ViantDataType; accountId: number; advertiserIds: number[]; ttl: number }): Promise<SegmentView | undefined> {
    const res = await this.#client.call({
      method: 'POST',
      path: this.#prefix,
      // The external id is the name: Outflow finds its segments by it.
      json: { name: input.name, description: 'Synced by Outflow', dataType: input.dataType, accountId: input.accountId, advertiserIds: input.advertiserIds, externalAudienceId: input.name, ttl: input.ttl },
    });
    // The create answers ids, status and ttl, not the name.
    return segmentOf({ name: input.name, ...asRecord(res.body) });
  }

  /** Adds values; returns the values Viant named as bad records, with their reasons. */
  async add(id: string, countryCode: string, values: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
    const res = await this.#client.call({
      method: 'POST',
      path: `${this.#prefix}/${id}/data`,
      json: [{ viantSegmentId: Number(id), countryCode, values }],
      ...(signal ? { signal } : {}),
    });
    const bad = new Map<string, string>();
    const details = asRecord(res.body)?.bad_records_details;
    for (const d of Array.isArray(details) ? details : []) {
      const r = asRecord(d);
      if (typeof r?.value === 'string' && r.value !== '') bad.set(r.value, typeof r.reason === 'string' ? r.reason : 'bad record');
    }
    return bad;
  }

  /** Asks Viant to remove values (a job: done within 24 hours). */
  async expire(id: string, dataType: ViantDataType, values: readonly string[], signal?: AbortSignal): Promise<void> {
    await this.#client.call({
      method: 'PUT',
      path: `${this.#prefix}/${id}/data`,
      query: { action: 'expireSpecificAudience' },
      json: { segmentId: Number(id), dataType, values },
      ...(signal ? { signal } : {}),
    });
  }
}

function segmentOf(value: unknown): SegmentView | undefined {
  const s = asRecord(value);
  const id = s?.viantSegmentId;
  if (!s || (typeof id !== 'number' && typeof id !== 'string') || typeof s.name !== 'string') return undefined;
  return {
    id: String(id),
    name: s.name,
    ...(typeof s.externalAudienceId === 'string' ? { externalAudienceId: s.externalAudienceId } : {}),
    status: s.status,
    dataCount: s.dataCount,
  };
}
