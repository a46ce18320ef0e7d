import { createHash, randomBytes } from 'node:crypto';
import { PlatformClient } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord, type HttpRequest } from '../shared/http';

/**
 * Thin client of the TikTok Business API (v1.3) for customer-file custom audiences.
 * https://business-api.tiktok.com/portal/docs?id=1739940567842818 (file upload)
 * https://business-api.tiktok.com/portal/docs?id=1739940570793985 (create / update)
 * Every reply is `{"code":0,"message":"OK","data":{...}}`; a non-zero code is an error, usually
 * with HTTP 200.
 */

export interface TikTokApiOptions {
  apiBaseUrl: string;
  apiVersion: string;
  accessToken: string;
  advertiserId: string;
  timeoutMs: number;
  label: string;
  fetch?: typeof fetch | undefined;
}

export interface AudienceView {
  id: string;
  name: string;
  isValid: boolean;
  coverNum?: unknown;
  calculateType?: unknown;
}

/**
 * 40100 throttling (no header says for how long; unconfirmed), 40104 empty and 40105 invalid or
 * revoked token, 40001 no permission on the advertiser, 50000 / 50002 server errors (unconfirmed).
 */
export const TIKTOK_ERRORS: ErrorCodes = {
  rateLimited: [40100],
  invalidAuth: [40001, 40104, 40105],
  retryable: [50000, 50002],
  authHint: 'the access token is invalid or revoked, or has no access to the advertiser; reconnect the destination',
};

export class TikTokApi {
  readonly #client: PlatformClient;
  readonly #o: TikTokApiOptions;

  constructor(o: TikTokApiOptions) {
    this.#o = o;
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: TIKTOK_ERRORS,
      fetch: o.fetch,
      headers: async () => ({ 'access-token': o.accessToken }),
      failure: (res) => {
        const code = asRecord(res.body)?.code;
        if (res.status >= 200 && res.status < 300 && code === 0) return undefined;
        return { status: res.status, code: typeof code === 'number' ? code : undefined };
      },
    });
  }

  async #data(req: HttpRequest): Promise<Record<string, unknown>> {
    const res = await this.#client.call({ ...req, path: `/open_api/${this.#o.apiVersion}/dmp/custom_audience${req.path}` });
    return asRecord(asRecord(res.body)?.data) ?? {};
  }

  /** A page (1-based) of the advertiser's audiences. */
  async list(page: number): Promise<{ items: AudienceView[]; more: boolean }> {
    const data = await this.#data({ method: 'GET', path: '/list/', query: { advertiser_id: this.#o.advertiserId, page: String(page), page_size: '100' } });
    const total = Number(asRecord(data.page_info)?.total_page ?? 1);
    return { items: (Array.isArray(data.list) ? data.list : []).map(view).filter((a): a is AudienceView => a !== undefined), more: page < total };
  }

  async get(id: string): Promise<AudienceView | undefined> {
    const data = await this.#data({ method: 'GET', path: '/get/', query: { advertiser_id: this.#o.advertiserId, custom_audience_ids: JSON.stringify([id]) } });
    return view(asRecord(Array.isArray(data.list) ? data.list[0] : undefined)?.audience_details);
  }

  /** Uploads one customer file (one hash a line) and returns its file_path. */
  async upload(calculateType: string, lines: readonly string[], signal?: AbortSignal): Promise<string> {
    const file = Buffer.from(lines.join('\n') + '\n', 'utf8');
    const boundary = `outflow${randomBytes(12).toString('hex')}`;
    const field = (name: string, value: string) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const body = Buffer.concat([
      Buffer.from(
        field('advertiser_id', this.#o.advertiserId) +
          field('calculate_type', calculateType) +
          field('file_signature', createHash('md5').update(file).digest('hex')) +
          `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="audience.txt"\r\ncontent-type: text/plain\r\n\r\n`,
      ),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const data = await this.#data({ method: 'POST', path: '/file/upload/', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body, ...(signal ? { signal } : {}) });
    return String(data.file_path ?? '');
  }

  async create(name: string, calculateType: string, filePaths: string[], retentionDays?: number): Promise<string> {
    const data = await this.#data({
      method: 'POST',
      path: '/create/',
      json: { advertiser_id: this.#o.advertiserId, custom_audience_name: name, calculate_type: calculateType, file_paths: filePaths, ...(retentionDays ? { retention_in_days: retentionDays } : {}) },
    });
    return String(data.custom_audience_id ?? '');
  }

  /** APPEND or REMOVE the files' ids; the action is always sent (TikTok's default is REPLACE). */
  async update(id: string, action: 'APPEND' | 'REMOVE', filePaths: string[], signal?: AbortSignal): Promise<void> {
    await this.#data({ method: 'POST', path: '/update/', json: { advertiser_id: this.#o.advertiserId, custom_audience_id: id, file_paths: filePaths, action }, ...(signal ? { signal } : {}) });
  }
}

function view(value: unknown): AudienceView | undefined {
  const a = asRecord(value);
  if (!a || a.audience_id === undefined || typeof a.name !== 'string') return undefined;
  return { id: String(a.audience_id), name: a.name, isValid: a.is_valid === true, coverNum: a.cover_num, calculateType: a.calculate_type };
}
