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
import { findInPages, findOrCreateAudience } from '../shared/audience';
import { sendInBatches } from '../shared/batches';
import { KitDestination } from '../shared/destination';
import { destinationLabel } from '../shared/http';
import { countOf, sizeReadBack } from '../shared/readback';
import { VIANT_PAGE_SIZE, ViantApi, type ViantDataType } from './api';

/**
 * Viant VDP Connect segments (reference §11): a first-party segment of one data type, fed with
 * `POST /v1/audiences/{id}/data` and trimmed with `PUT .../data?action=expireSpecificAudience`
 * (a job Viant finishes within 24 hours). The segment is found by its external id (the audience
 * name) or created. Viant processes uploads every 10 minutes and activates a segment at 1,000
 * matches. The JWT is supplied as a setting: the endpoint that issues it is not published.
 * https://docs.api.viantinc.com/reference/create-new-audience-segment
 */

export const VIANT_API_VERSION = 'v1';
/** Matches a segment needs to become ACTIVE (reference §11, [D]). */
export const VIANT_MIN_AUDIENCE = 1_000;
/** Values per request: a request is at most 10 MB, and a hashed value about 67 bytes in the JSON. */
export const VIANT_MAX_VALUES = 150_000;
const DATA_TYPES = { email: 'email_sha256', phone: 'phonenumber_sha256' } as const satisfies Record<string, ViantDataType>;

export const viantSettingsSchema = z.strictObject({
  /** The Viant account the segments belong to. */
  accountId: z.string().regex(/^\d{1,15}$/, 'the numeric account id'),
  /** Advertisers that may use the segments. */
  advertiserIds: z.array(z.string().regex(/^\d{1,15}$/, 'a numeric advertiser id')).min(1),
  /** A JWT issued by Viant (Outflow cannot obtain one: the token endpoint is not published). */
  accessToken: z.string().min(1),
  /** The identifier a segment is built from: a segment holds one data type. */
  identifier: z.enum(['email', 'phone']).default('email'),
  /** Country of the uploaded values (ISO 3166-1 alpha-2). */
  countryCode: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as "US"').default('US'),
  /** How long Viant keeps a value after its last upload, in seconds (172,800 to 32,000,000). */
  ttlSeconds: z.number().int().min(172_800).max(32_000_000).default(32_000_000),
  apiVersion: z.string().regex(/^v\d+$/, 'a version such as "v1"').default(VIANT_API_VERSION),
  apiBaseUrl: z.url().default('https://vdp-connect-api.viantinc.com'),
  valuesPerRequest: z.number().int().min(1).max(VIANT_MAX_VALUES).default(50_000),
  concurrency: z.number().int().min(1).max(16).default(2),
  requestTimeoutMs: z.number().int().min(1).default(120_000),
});
export type ViantSettings = z.infer<typeof viantSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'phone'];

export const viantConnector: ConnectorDefinition<ViantSettings> = {
  type: 'viant',
  title: 'Viant VDP Connect segments',
  settingsSchema: viantSettingsSchema,
  secretSettings: ['accessToken'],
  identifiers: ACCEPTED,
  minAudienceSize: VIANT_MIN_AUDIENCE,
  create: (settings, deps) => new ViantDestination(settings, deps),
};
export default viantConnector;

export class ViantDestination extends KitDestination {
  readonly #s: ViantSettings;
  readonly #api: ViantApi;

  constructor(settings: ViantSettings, deps: ConnectorDeps) {
    const label = destinationLabel('Viant', deps.destinationId, `account ${settings.accountId}`);
    // A call fills the requests in flight; one call more than that is hashed while the others send.
    const { valuesPerRequest, concurrency } = settings;
    super({ label, deps, requestsInFlight: concurrency, rowsPerRequest: valuesPerRequest, batchLimit: valuesPerRequest * concurrency, encoder: 'viant_keys', keyedBy: settings.identifier, acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#api = new ViantApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  get #dataType(): ViantDataType {
    return DATA_TYPES[this.#s.identifier];
  }

  protected probe(): Promise<unknown> {
    return this.#api.segments(1);
  }

  createAudience(input: { name: string }): Promise<AudienceRef> {
    return findOrCreateAudience(input.name, {
      find: async () => {
        const hit = await findInPages(
          async (i) => {
            const items = await this.#api.segments(i + 1);
            return { items, more: items.length >= VIANT_PAGE_SIZE };
          },
          (s) => (s.externalAudienceId ?? s.name) === input.name,
        );
        return hit ? { id: hit.id, name: input.name } : undefined;
      },
      create: async () => {
        const { accountId, advertiserIds, ttlSeconds } = this.#s;
        const created = await this.#api.create({ name: input.name, dataType: this.#dataType, accountId: Number(accountId), advertiserIds: advertiserIds.map(Number), ttl: ttlSeconds });
        if (!created) throw new DestinationError('retryable', `${this.label}: segment create returned no segment id`);
        return { id: created.id, name: input.name };
      },
    });
  }


  protected send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return kind === 'add' ? this.#add(audience, rows, ctx) : this.#expire(audience, rows, ctx);
  }

  /**
   * Viant refuses a payload with a bad record whole and returns the bad records' data: each sent
   * value found there is rejected (`Viant rejected the record`, never the value) and the rest are
   * sent again, until a payload is taken. A refusal naming none of the sent values fails the batch.
   */
  #add(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const kind = this.#s.identifier;
    return sendInBatches(rows, { limit: this.#s.valuesPerRequest, gate: this.gate }, async (chunk) => {
      const values = chunk.map((r) => r.identifiers[kind] ?? '');
      const rejected = new Map<number, string>();
      let left = values.map((_, i) => i);
      while (left.length > 0) {
        const bad = await this.#api.add(audience.id, this.#s.countryCode, left.map((i) => values[i] as string), ctx.signal);
        if (!bad) break;
        const named = left.filter((i) => bad.details.includes(values[i] as string));
        if (named.length === 0) throw new DestinationError('invalid_payload', `${this.label}: Viant refused ${bad.count} record(s) without naming them`, { code: 400 });
        for (const i of named) rejected.set(i, 'Viant rejected the record (bad record)');
        // A payload Viant took in part (published > 0) is not sent again.
        if (bad.published > 0) break;
        left = left.filter((i) => !rejected.has(i));
      }
      return rejected.size > 0 ? rejected : undefined;
    });
  }

  /** Removal is a job Viant finishes within 24 hours: the members leave the segment then. */
  #expire(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const kind = this.#s.identifier;
    return sendInBatches(rows, { limit: this.#s.valuesPerRequest, gate: this.gate }, async (chunk) => {
      await this.#api.expire(audience.id, this.#dataType, chunk.map((r) => r.identifiers[kind] ?? ''), ctx.signal);
      return undefined;
    });
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const s = await this.#api.segment(audience.id);
    // dataCount counts the segment's values as of Viant's last 10-minute processing; INACTIVE
    // means under 1,000 matches (or not processed yet).
    const size = countOf(s?.dataCount);
    const rate = sizeReadBack({ platform: 'Viant', ready: s !== undefined, size, minimum: VIANT_MIN_AUDIENCE });
    if (s?.status === 'INACTIVE' && !rate.warnings)
      rate.warnings = [`Viant segment INACTIVE: it becomes usable at ${VIANT_MIN_AUDIENCE.toLocaleString('en-US')} matches (processing runs every 10 minutes)`];
    return rate;
  }
}
