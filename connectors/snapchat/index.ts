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
import { sendInBatches } from '../shared/batches';
import { KitDestination } from '../shared/destination';
import { destinationLabel } from '../shared/http';
import { countOf, sizeReadBack } from '../shared/readback';
import { SnapchatApi, type SnapSchema, type SnapUsers } from './api';

/**
 * Snapchat customer lists: a FIRST_PARTY segment kept in sync with `POST` / `DELETE
 * /segments/{id}/users`, one users object per identifier schema.
 * https://developers.snap.com/api/marketing-api/Ads-API/customer-lists
 */

/** Identifiers one request takes (reference §7, from a third party citing Snap). */
export const MAX_IDENTIFIERS_PER_REQUEST = 100_000;
/** Matched users a segment needs before it can be targeted (reference §7). */
export const SNAPCHAT_MIN_AUDIENCE = 1_000;

export const snapchatSettingsSchema = z.strictObject({
  adAccountId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'the ad account id, a UUID'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
  apiVersion: z.string().regex(/^v\d+$/, 'a version such as "v1"').default('v1'),
  apiBaseUrl: z.url().default('https://adsapi.snapchat.com'),
  oauthTokenUrl: z.url().default('https://accounts.snapchat.com/login/oauth2/access_token'),
  /** Days a member stays in the segment; 9999 keeps them for the segment's lifetime. */
  retentionDays: z.number().int().min(1).max(9999).default(9999),
  identifiersPerRequest: z.number().int().min(3).max(MAX_IDENTIFIERS_PER_REQUEST).default(MAX_IDENTIFIERS_PER_REQUEST),
  concurrency: z.number().int().min(1).max(16).default(2),
  requestTimeoutMs: z.number().int().min(1).default(120_000),
});
export type SnapchatSettings = z.infer<typeof snapchatSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'phone', 'mobileAdId'];
const SCHEMAS: readonly (readonly [IdentifierKind, SnapSchema])[] = [
  ['email', 'EMAIL_SHA256'],
  ['phone', 'PHONE_SHA256'],
  ['mobileAdId', 'MOBILE_AD_ID_SHA256'],
];

export const snapchatConnector: ConnectorDefinition<SnapchatSettings> = {
  type: 'snapchat',
  title: 'Snapchat customer lists',
  settingsSchema: snapchatSettingsSchema,
  secretSettings: ['clientSecret', 'refreshToken'],
  identifiers: ACCEPTED,
  minAudienceSize: SNAPCHAT_MIN_AUDIENCE,
  create: (settings, deps) => new SnapchatDestination(settings, deps),
};
export default snapchatConnector;

export class SnapchatDestination extends KitDestination {
  readonly #s: SnapchatSettings;
  readonly #api: SnapchatApi;
  /** Rows per request: every row may carry one identifier of each schema. */
  readonly #rowsPerRequest: number;

  constructor(settings: SnapchatSettings, deps: ConnectorDeps) {
    const label = destinationLabel('Snapchat', deps.destinationId, `ad account ${settings.adAccountId}`);
    const rowsPerRequest = Math.floor(settings.identifiersPerRequest / SCHEMAS.length);
    super({ label, deps, requestsInFlight: settings.concurrency, rowsPerRequest, encoder: 'snapchat_keys', acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#rowsPerRequest = rowsPerRequest;
    this.#api = new SnapchatApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  protected probe(): Promise<unknown> {
    return this.#api.segments(this.#s.adAccountId);
  }

  createAudience(input: { name: string; description?: string }): Promise<AudienceRef> {
    return findOrCreateAudience(input.name, {
      find: async () => {
        let cursor: string | undefined;
        do {
          const page = await this.#api.segments(this.#s.adAccountId, cursor);
          const hit = page.items.find((s) => s.name === input.name);
          if (hit) return { id: hit.id, name: hit.name };
          cursor = page.next;
        } while (cursor);
        return undefined;
      },
      create: async () => {
        const created = await this.#api.createSegment(this.#s.adAccountId, {
          name: input.name,
          description: input.description ?? '',
          source_type: 'FIRST_PARTY',
          retention_in_days: this.#s.retentionDays,
          ad_account_id: this.#s.adAccountId,
        });
        if (!created) throw new DestinationError('retryable', `${this.label}: segment create returned no segment`);
        return { id: created.id, name: input.name };
      },
    });
  }

  protected send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return sendInBatches(rows, { limit: this.#rowsPerRequest, gate: this.gate }, async (chunk) => {
      const users: SnapUsers[] = [];
      for (const [idKind, schema] of SCHEMAS) {
        const data: [string][] = [];
        for (const row of chunk) {
          const key = row.identifiers[idKind];
          if (key) data.push([key]);
        }
        if (data.length > 0) users.push({ schema: [schema], data });
      }
      await this.#api.users(kind === 'add' ? 'POST' : 'DELETE', audience.id, users, ctx.signal);
      // Snap reports only a count of identifiers taken per schema, which names no row.
      return undefined;
    });
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const s = await this.#api.segment(audience.id);
    return sizeReadBack({
      platform: 'Snapchat',
      ready: s?.uploadStatus === 'COMPLETE',
      size: countOf(s?.approximateNumberUsers),
      minimum: SNAPCHAT_MIN_AUDIENCE,
    });
  }
}
