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
import { RedditApi, type RedditColumn } from './api';

/**
 * Reddit custom audiences (Ads API v3): a CUSTOMER_LIST audience kept in sync with `PATCH
 * /custom_audiences/{id}/users` and `action_type` ADD / REMOVE, one row per person with a cell per
 * column of `column_order`. Reference §9; Reddit's own v3 text was not retrieved.
 */

export const REDDIT_API_VERSION = 'v3';
/** Rows per request (reference §9, third-party; unconfirmed against Reddit's text). */
export const REDDIT_MAX_ROWS = 2_500;
/**
 * Matched users an audience needs, per a third-party connector (Amperity): used for the read-back
 * warning only. Reddit's own figure is unconfirmed, so the connector sets no blocking minimum.
 */
export const REDDIT_MIN_AUDIENCE = 1_000;

export const redditSettingsSchema = z.strictObject({
  adAccountId: z.string().regex(/^[A-Za-z0-9_]+$/, 'the ad account id, e.g. "a2_abc123"'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
  /** Reddit refuses generic User-Agents; name the app and a contact. */
  userAgent: z.string().min(8).default('outflow-audience-sync/1.0 (reverse-ETL; +https://github.com/outflow)'),
  apiVersion: z.string().regex(/^v\d+$/, 'a version such as "v3"').default(REDDIT_API_VERSION),
  apiBaseUrl: z.url().default('https://ads-api.reddit.com'),
  oauthTokenUrl: z.url().default('https://www.reddit.com/api/v1/access_token'),
  rowsPerRequest: z.number().int().min(1).max(REDDIT_MAX_ROWS).default(REDDIT_MAX_ROWS),
  concurrency: z.number().int().min(1).max(16).default(2),
  requestTimeoutMs: z.number().int().min(1).default(120_000),
});
export type RedditSettings = z.infer<typeof redditSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'mobileAdId'];
const COLUMNS: readonly (readonly [IdentifierKind, RedditColumn])[] = [
  ['email', 'EMAIL_SHA256'],
  ['mobileAdId', 'MAID_SHA256'],
];

export const redditConnector: ConnectorDefinition<RedditSettings> = {
  type: 'reddit',
  title: 'Reddit custom audiences',
  settingsSchema: redditSettingsSchema,
  secretSettings: ['clientSecret', 'refreshToken'],
  identifiers: ACCEPTED,
  create: (settings, deps) => new RedditDestination(settings, deps),
};
export default redditConnector;

export class RedditDestination extends KitDestination {
  readonly #s: RedditSettings;
  readonly #api: RedditApi;

  constructor(settings: RedditSettings, deps: ConnectorDeps) {
    const label = destinationLabel('Reddit', deps.destinationId, `ad account ${settings.adAccountId}`);
    // A call fills the requests in flight; one call more than that is hashed while the others send.
    const { rowsPerRequest, concurrency } = settings;
    super({ label, deps, requestsInFlight: concurrency, rowsPerRequest, batchLimit: rowsPerRequest * concurrency, encoder: 'reddit_keys', acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#api = new RedditApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  protected probe(): Promise<unknown> {
    return this.#api.customAudiences(this.#s.adAccountId);
  }

  createAudience(input: { name: string }): Promise<AudienceRef> {
    return findOrCreateAudience(input.name, {
      find: async () => {
        const hit = (await this.#api.customAudiences(this.#s.adAccountId)).find((a) => a.name === input.name);
        return hit ? { id: hit.id, name: hit.name } : undefined;
      },
      create: async () => {
        const created = await this.#api.create(this.#s.adAccountId, input.name);
        if (!created) throw new DestinationError('retryable', `${this.label}: custom audience create returned no audience`);
        return { id: created.id, name: input.name };
      },
    });
  }

  protected send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const action = kind === 'add' ? 'ADD' : 'REMOVE';
    return sendInBatches(rows, { limit: this.#s.rowsPerRequest, gate: this.gate }, async (chunk) => {
      // Only the columns some row of the request has: a row needs one value at least.
      const columns = COLUMNS.filter(([kind]) => chunk.some((r) => r.identifiers[kind]));
      const data = chunk.map((r) => columns.map(([kind]) => r.identifiers[kind] ?? ''));
      // Reddit refuses a request with a bad row and names the first one: that row is rejected and
      // the others go again, until a request is taken (each round drops one row at least).
      const rejected = new Map<number, string>();
      let left = data.map((_, i) => i);
      while (left.length > 0) {
        const bad = await this.#api.users(audience.id, action, columns.map(([, c]) => c), left.map((i) => data[i] as string[]), ctx.signal);
        if (!bad) break;
        const at = left[bad.row];
        if (at === undefined) throw new DestinationError('invalid_payload', `${this.label}: Reddit refused a row outside the request`, { code: 400 });
        rejected.set(at, `Reddit rejected the row${bad.column ? `: invalid ${bad.column}` : ''}`);
        left = left.filter((i) => i !== at);
      }
      return rejected.size > 0 ? rejected : undefined;
    });
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const a = await this.#api.customAudience(audience.id);
    // The read-back fields are unconfirmed (reference §9): `size` and `status` as the fake answers them.
    return sizeReadBack({ platform: 'Reddit', ready: a !== undefined && a.status !== 'PROCESSING', size: countOf(a?.size), minimum: REDDIT_MIN_AUDIENCE });
  }
}
