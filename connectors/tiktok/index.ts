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
import { findInPages } from '../shared/audience';
import { sendInBatches } from '../shared/batches';
import { KitDestination } from '../shared/destination';
import { destinationLabel } from '../shared/http';
import { countOf, sizeReadBack } from '../shared/readback';
import { TikTokApi } from './api';

/**
 * TikTok customer-file custom audiences: each change is a file of hashes uploaded, then
 * `custom_audience/update` with APPEND or REMOVE (always explicit: the default is REPLACE). An
 * audience is created from its first file, which TikTok takes only with 1,000 entries or more.
 * https://business-api.tiktok.com/portal/docs?id=1739940570793985
 */

export const TIKTOK_API_VERSION = 'v1.3';
/** Entries an audience must keep; TikTok refuses a create or update that leaves fewer. */
export const TIKTOK_MIN_AUDIENCE = 1_000;
/** An audience ref whose audience TikTok does not have yet: it is created with the first upload of 1,000 or more. */
const PENDING = 'pending:';

/** One audience takes one identifier type (its calculate_type). */
const CALCULATE_TYPES = { email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', mobileAdId: 'MAID_SHA256' } as const;

export const tiktokSettingsSchema = z.strictObject({
  advertiserId: z.string().regex(/^\d+$/, 'the numeric advertiser id'),
  /** A long-lived advertiser access token of the app (Access-Token header). */
  accessToken: z.string().min(1),
  /** The identifier the audience is built from (an audience holds one type). */
  identifier: z.enum(['email', 'phone', 'mobileAdId']).default('email'),
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'a version such as "v1.3"').default(TIKTOK_API_VERSION),
  apiBaseUrl: z.url().default('https://business-api.tiktok.com'),
  /** Days an audience lives after its last use (1-365); unset: 365. */
  retentionDays: z.number().int().min(1).max(365).optional(),
  /** Hashes per file; 65 bytes each, so the default stays far below TikTok's 250 MB. */
  rowsPerFile: z.number().int().min(1).max(3_000_000).default(500_000),
  requestTimeoutMs: z.number().int().min(1).default(300_000),
});
export type TikTokSettings = z.infer<typeof tiktokSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'phone', 'mobileAdId'];

export const tiktokConnector: ConnectorDefinition<TikTokSettings> = {
  type: 'tiktok',
  title: 'TikTok custom audiences',
  settingsSchema: tiktokSettingsSchema,
  secretSettings: ['accessToken'],
  identifiers: ACCEPTED,
  audienceNames: { maxLength: 128 },
  minAudienceSize: TIKTOK_MIN_AUDIENCE,
  create: (settings, deps) => new TikTokDestination(settings, deps),
};
export default tiktokConnector;

export class TikTokDestination extends KitDestination {
  readonly #s: TikTokSettings;
  readonly #api: TikTokApi;
  readonly #log: ConnectorDeps['log'];
  /** Audiences created by this destination, by name. */
  readonly #created = new Map<string, string>();

  constructor(settings: TikTokSettings, deps: ConnectorDeps) {
    const label = destinationLabel('TikTok', deps.destinationId, `advertiser ${settings.advertiserId}`);
    // One file and its update at a time (TikTok applies them in order); a second call hashes its rows meanwhile.
    super({ label, deps, requestsInFlight: 1, rowsPerRequest: settings.rowsPerFile, batchLimit: settings.rowsPerFile, encoder: 'tiktok_keys', keyedBy: settings.identifier, acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#api = new TikTokApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
    this.#log = deps.log;
  }

  get #calculateType(): string {
    return CALCULATE_TYPES[this.#s.identifier];
  }

  protected probe(): Promise<unknown> {
    return this.#api.list(1);
  }

  async #find(name: string): Promise<AudienceRef | undefined> {
    const created = this.#created.get(name);
    if (created) return { id: created, name };
    const hit = await findInPages((i) => this.#api.list(i + 1), (a) => a.name === name);
    return hit ? { id: hit.id, name: hit.name } : undefined;
  }

  /** The audience of this name, or a pending ref: TikTok creates audiences only from a file of 1,000 entries. */
  async createAudience(input: { name: string }): Promise<AudienceRef> {
    return (await this.#find(input.name)) ?? { id: `${PENDING}${input.name}`, name: input.name };
  }


  protected send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const action = kind === 'add' ? 'APPEND' : 'REMOVE';
    return sendInBatches(rows, { limit: this.#s.rowsPerFile, gate: this.gate }, async (chunk) => {
      const lines = chunk.map((r) => r.identifiers[this.#s.identifier] ?? '');
      const existing = audience.id.startsWith(PENDING) ? await this.#find(audience.name) : audience;
      if (!existing) {
        // Nothing to remove from an audience that does not exist; an add needs 1,000 entries to create it.
        if (action === 'REMOVE') return undefined;
        if (lines.length < TIKTOK_MIN_AUDIENCE) {
          this.#log?.('tiktok.audience_below_minimum', { rows: lines.length, minimum: TIKTOK_MIN_AUDIENCE });
          const reason = `TikTok creates an audience from ${TIKTOK_MIN_AUDIENCE.toLocaleString('en-US')} entries or more; this upload had ${lines.length}`;
          return new Map(chunk.map((_, i) => [i, reason]));
        }
        const file = await this.#api.upload(this.#calculateType, lines, ctx.signal);
        this.#created.set(audience.name, await this.#api.create(audience.name, this.#calculateType, [file], this.#s.retentionDays));
        return undefined;
      }
      const state = await this.#api.get(existing.id);
      if (state && !state.isValid)
        throw new DestinationError('retryable', `${this.label}: audience ${existing.id} is still calculating; TikTok takes updates once it is valid`, { code: 'AUDIENCE_NOT_VALID' });
      const file = await this.#api.upload(this.#calculateType, lines, ctx.signal);
      await this.#api.update(existing.id, action, [file], ctx.signal);
      return undefined;
    });
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const existing = audience.id.startsWith(PENDING) ? await this.#find(audience.name) : audience;
    if (!existing) return sizeReadBack({ platform: 'TikTok', ready: true, size: 0, minimum: TIKTOK_MIN_AUDIENCE });
    const a = await this.#api.get(existing.id);
    return sizeReadBack({ platform: 'TikTok', ready: a?.isValid === true, size: countOf(a?.coverNum), minimum: TIKTOK_MIN_AUDIENCE });
  }
}
