import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, retryAfterMs } from '../shared/http';

/**
 * Thin client of Viant's VDP Connect audience API (reference §11 and Viant's API reference pages,
 * https://docs.api.viantinc.com/reference/add-audience-data): segments are created, fed with
 * `POST .../data` and trimmed with `PUT .../data?action=expireSpecificAudience`. Segment ids are
 * strings (`fpsegm…`). The listing's paging parameters and the format of the bad-record details
 * are not published; what this client assumes is said where it is used.
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

/** Viant answers `{error}` with the HTTP status: 401 "Unauthorized - Invalid JWT", 404 not found, 400 validation. */
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
      // A payload refused for bad records is answered to `add`, which reads the records it names.
      failure: (res) => (badRecordsOf(res.body) !== undefined ? undefined : statusFailure(res, () => undefined, retryAfterMs(res.headers))),
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

  /**
   * Adds values. Viant refuses a payload with bad records whole ("invalid payload: N bad
   * record(s)", published 0) and returns "the actual bad record data" as text: the answer is then
   * the count and that text (its format is unpublished), else undefined.
   */
  async add(id: string, countryCode: string, values: readonly string[], signal?: AbortSignal): Promise<{ count: number; details: string; published: number } | undefined> {
    const res = await this.#client.call({
      method: 'POST',
      path: `${this.#prefix}/${id}/data`,
      json: [{ viantSegmentId: id, countryCode, values }],
      ...(signal ? { signal } : {}),
    });
    return badRecordsOf(res.body);
  }

  /** Asks Viant to remove values (a job: done within 24 hours). */
  async expire(id: string, dataType: ViantDataType, values: readonly string[], signal?: AbortSignal): Promise<void> {
    await this.#client.call({
      method: 'PUT',
      path: `${this.#prefix}/${id}/data`,
      query: { action: 'expireSpecificAudience' },
      json: { segmentId: id, dataType, values },
      ...(signal ? { signal } : {}),
    });
  }
}

/** The bad records a data reply reports, if it reports any. */
function badRecordsOf(body: unknown): { count: number; details: string; published: number } | undefined {
  const b = asRecord(body);
  const count = typeof b?.bad_records === 'number' ? b.bad_records : 0;
  if (count <= 0) return undefined;
  return { count, details: typeof b?.bad_records_details === 'string' ? b.bad_records_details : JSON.stringify(b?.bad_records_details ?? ''), published: typeof b?.published === 'number' ? b.published : 0 };
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
