import { randomInt } from 'node:crypto';
import { z } from 'zod';
import {
  type AudienceRef,
  type BatchContext,
  type ConnectorDefinition,
  type ConnectorDeps,
  DestinationError,
  type IdentifierKind,
  type MatchRate,
  type MemberRow,
  type RowResult,
} from '../../src/destinations/contract';
import { findOrCreateAudience } from '../shared/audience';
import { KitDestination } from '../shared/destination';
import { asRecord, destinationLabel, yieldToEventLoop } from '../shared/http';
import { countOf, sizeReadBack } from '../shared/readback';
import { rejected } from '../shared/rows';
import { MetaApi, type UsersResponse } from './api';

/**
 * Meta customer-file custom audiences.
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/audiences/guides/custom-audiences
 */

/** Pinned Graph API version; see https://developers.facebook.com/docs/graph-api/changelog before moving it. */
export const META_API_VERSION = 'v25.0';
/** Meta's limit of rows in one `/users` request. */
export const MAX_ROWS_PER_REQUEST = 10_000;

export const metaSettingsSchema = z.strictObject({
  adAccountId: z
    .string()
    .transform((s) => s.replace(/^act_/, ''))
    .pipe(z.string().regex(/^\d+$/, 'the numeric ad account id, with or without "act_"')),
  /** A system-user token with ads_management on the ad account (user tokens expire in ~60 days). */
  accessToken: z.string().min(1),
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'a version such as "v25.0"').default(META_API_VERSION),
  apiBaseUrl: z.url().default('https://graph.facebook.com'),
  customerFileSource: z.enum(['USER_PROVIDED_ONLY', 'PARTNER_PROVIDED_ONLY', 'BOTH_USER_AND_PARTNER_PROVIDED']).default('USER_PROVIDED_ONLY'),
  /** Rows per `/users` request (Meta allows 10,000). */
  rowsPerRequest: z.number().int().min(1).max(MAX_ROWS_PER_REQUEST).default(MAX_ROWS_PER_REQUEST),
  /**
   * Requests per upload session, i.e. per addMembers/removeMembers call (a batch of the sync
   * engine). A session's requests go one after another, so short sessions keep every request slot
   * busy to the end of an upload; two per session measured best (bench/upload.ts).
   */
  requestsPerSession: z.number().int().min(1).max(100).default(2),
  /** `/users` requests in flight at once. One more session than this is open, so the next one's first request is ready when a reply comes. */
  concurrency: z.number().int().min(1).max(16).default(2),
  requestTimeoutMs: z.number().int().min(1).default(120_000),
});
export type MetaSettings = z.infer<typeof metaSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'phone', 'firstName', 'lastName', 'postalCode', 'countryCode', 'mobileAdId', 'externalId'];

export const metaConnector: ConnectorDefinition<MetaSettings> = {
  type: 'meta',
  title: 'Meta Custom Audiences',
  settingsSchema: metaSettingsSchema,
  secretSettings: ['accessToken'],
  identifiers: ACCEPTED,
  // Meta advises against lists under 100 people (reference §3 "Minimum size").
  minAudienceSize: 100,
  create: (settings, deps) => new MetaDestination(settings, deps),
};
export default metaConnector;

interface PreparedChunk {
  /** The payload (`UsersPayload` as UTF-8 JSON), ready to send. */
  payload: Buffer;
  /** The call's rows `from..to`; those not rejected while preparing are in the payload. */
  from: number;
  to: number;
  /** Rows in the payload. */
  sent: number;
}

export class MetaDestination extends KitDestination {
  readonly #s: MetaSettings;
  readonly #api: MetaApi;

  constructor(settings: MetaSettings, deps: ConnectorDeps) {
    const label = destinationLabel('Meta', deps.destinationId, `ad account ${settings.adAccountId}`);
    // `concurrency` /users requests in flight, and one call more (the kit's default): while they
    // are out, the extra call hashes its first request, so a session ending never leaves a slot idle.
    super({
      label,
      deps,
      requestsInFlight: settings.concurrency,
      rowsPerRequest: settings.rowsPerRequest,
      batchLimit: settings.rowsPerRequest * settings.requestsPerSession,
      encoder: 'meta_keys',
      acceptedIdentifiers: ACCEPTED,
    });
    this.#s = settings;
    this.#api = new MetaApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  protected probe(): Promise<unknown> {
    return this.#api.get(`/act_${this.#s.adAccountId}`, { fields: 'id,name' });
  }

  createAudience(input: { name: string; description?: string }): Promise<AudienceRef> {
    return findOrCreateAudience(input.name, {
      find: () => this.#find(input.name),
      create: async () => {
        const created = await this.#api.post(`/act_${this.#s.adAccountId}/customaudiences`, {
          name: input.name,
          subtype: 'CUSTOM',
          ...(input.description ? { description: input.description } : {}),
          customer_file_source: this.#s.customerFileSource,
        });
        if (typeof created.id !== 'string') throw new DestinationError('retryable', `${this.label}: audience create returned no id`);
        return { id: created.id, name: input.name };
      },
    });
  }

  async #find(name: string): Promise<AudienceRef | undefined> {
    const match = (await this.#api.listAudiences(this.#s.adAccountId)).find((a) => a.name === name);
    if (!match) return undefined;
    if (match.subtype !== undefined && match.subtype !== 'CUSTOM')
      throw new DestinationError(
        'invalid_payload',
        `${this.label}: an audience named "${name}" already exists but is not a customer-file audience (${match.subtype}); rename it or set audienceName`,
        { code: 'AUDIENCE_TYPE_MISMATCH' },
      );
    return { id: match.id, name: match.name };
  }

  /**
   * One upload session per call: requests of <= rowsPerRequest rows sent in order with
   * batch_seq 1..n and last_batch_flag on the last. The rows hold keys (prepareKeys), sent as they
   * are; the next request's body is built while the current one is in flight.
   */
  protected async send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const method = kind === 'add' ? 'POST' : 'DELETE';
    const results: RowResult[] = new Array(rows.length);
    const size = this.#s.rowsPerRequest;
    const starts: number[] = [];
    for (let i = 0; i < rows.length; i += size) starts.push(i);
    // Advertiser-chosen, unique per ad account; kept below 2^48 so it survives JSON numbers.
    const sessionId = randomInt(1, 2 ** 48 - 1);
    const prepare = (start: number) => this.#prepareChunk(rows, start, Math.min(start + size, rows.length), results);
    let next: Promise<PreparedChunk> | undefined = starts.length > 0 ? prepare(starts[0] as number) : undefined;
    let seq = 0;
    // The previous request's reply, recorded once the next request is on its way.
    let acknowledged: { chunk: PreparedChunk; reply: UsersResponse } | undefined;
    const settle = () => {
      if (!acknowledged) return;
      const { chunk, reply } = acknowledged;
      acknowledged = undefined;
      // Rows rejected while preparing already have their result; every other row was sent.
      for (let i = chunk.from; i < chunk.to; i++) results[i] ??= { personId: (rows[i] as MemberRow).personId, ok: true };
      if (reply.num_invalid_entries > 0) this.#markInvalid(rows, chunk, reply.num_invalid_entries, reply.invalid_entry_samples, results);
    };
    for (let k = 0; k < starts.length; k++) {
      const chunk: PreparedChunk = await (next as Promise<PreparedChunk>);
      const last = k === starts.length - 1;
      if (chunk.sent === 0) {
        settle();
        next = last ? undefined : prepare(starts[k + 1] as number);
        if (last && seq > 0) this.deps.log?.('meta.session_without_last_batch', { sessionId, batches: seq });
        continue;
      }
      seq++;
      const session = { session_id: sessionId, batch_seq: seq, last_batch_flag: last, estimated_num_total: rows.length };
      const sending = this.gate.run(() => this.#api.users(method, audience.id, chunk.payload, session, ctx.signal));
      // Handled below; until then, a quick failure must not count as an unhandled rejection.
      sending.catch(() => {});
      // Let the request go out before preparing the next one and the previous one's bookkeeping.
      await yieldToEventLoop();
      next = last ? undefined : prepare(starts[k + 1] as number);
      // Keep the prepared next chunk from becoming an unhandled rejection if this send fails.
      next?.catch(() => {});
      settle();
      acknowledged = { chunk, reply: await sending };
    }
    settle();
    return results;
  }

  /**
   * Serialises the keys of rows `from..to` (rows without any key are rejected) into the payload
   * bytes, on a worker thread for large requests (EncodePool). Nothing per row outlives
   * the call but the rejected rows' results: objects kept across the request's round trip would be
   * promoted to the old generation and cost a major GC each.
   */
  async #prepareChunk(rows: readonly MemberRow[], from: number, to: number, results: RowResult[]): Promise<PreparedChunk> {
    const { payload, sent, rejected: left } = await this.pool.encode('meta_users', rows, from, to);
    for (const [i, reason] of left) results[from + i] = rejected(rows[from + i] as MemberRow, reason);
    return { payload, from, to, sent };
  }

  /**
   * Meta reports an approximate count of invalid rows and up to 100 sample values. Rows holding a
   * sampled value are reported as rejected; the rest of the count cannot be traced to rows.
   */
  #markInvalid(rows: readonly MemberRow[], chunk: PreparedChunk, count: number, samples: Record<string, string>, results: RowResult[]) {
    const byValue = new Map<string, number[]>();
    for (let i = chunk.from; i < chunk.to; i++) {
      if (results[i]?.ok !== true) continue;
      for (const c of Object.values((rows[i] as MemberRow).identifiers)) {
        if (c === null || c === undefined) continue;
        const list = byValue.get(c);
        if (list) list.push(i);
        else byValue.set(c, [i]);
      }
    }
    let traced = 0;
    for (const [value, why] of Object.entries(samples)) {
      for (const i of byValue.get(value) ?? []) {
        const current = results[i];
        if (current?.ok === false) continue;
        // Meta's explanation is kept only when it does not echo the value.
        const reason = why && !why.includes(value) ? `Meta: invalid entry (${why})` : 'Meta: invalid entry';
        results[i] = rejected(rows[i] as MemberRow, reason);
        traced++;
      }
    }
    if (count > traced) this.deps.log?.('meta.invalid_entries_untraced', { reported: count, traced });
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const a = await this.#api.get(`/${audience.id}`, {
      fields: 'approximate_count_lower_bound,approximate_count_upper_bound,operation_status,delivery_status',
    });
    const status = asRecord(a.operation_status)?.code;
    // 471: flagged (e.g. suggests health or financial status); edits are refused until fixed.
    if (status === 471)
      throw new DestinationError('invalid_payload', `${this.label}: audience ${audience.id} is flagged (operation_status 471); review it in Ads Manager`, {
        code: 471,
      });
    const upper = countOf(a.approximate_count_upper_bound);
    const sessions = await this.#api.get(`/${audience.id}/sessions`, { fields: 'session_id,stage,num_received,num_matched,num_invalid_entries', limit: '1' });
    const latest = asRecord(Array.isArray(sessions.data) ? sessions.data[0] : undefined);
    // Meta advises against lists under 100 people but enforces no minimum: no warning (minimum 0).
    const rate = sizeReadBack({
      platform: 'Meta',
      ready: status === 200,
      size: countOf(a.approximate_count_lower_bound),
      received: countOf(latest?.num_received),
      matched: countOf(latest?.num_matched),
      minimum: 0,
    });
    return upper !== undefined ? { ...rate, audienceSizeUpper: upper } : rate;
  }
}
