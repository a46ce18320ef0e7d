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
import { LinkedInApi, type SegmentUser } from './api';

/**
 * LinkedIn Matched Audiences: a USER DMP segment kept in sync by streaming ADD / REMOVE elements.
 * https://learn.microsoft.com/linkedin/marketing/matched-audiences/create-and-manage-segment-users
 */

/** Pinned `LinkedIn-Version`; versions are sunset about a year after release, so move it yearly. */
export const LINKEDIN_API_VERSION = '202610';
/** Matched members a segment needs before campaigns can use it (reference §4). */
export const LINKEDIN_MIN_AUDIENCE = 300;

export const linkedInSettingsSchema = z.strictObject({
  /** The sponsored (ad) account that owns the segments. */
  adAccountId: z.string().regex(/^\d+$/, 'the numeric ad account id'),
  /** OAuth app and a member's refresh token with rw_dmp_segments (Audiences program access). */
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
  /** The `sourcePlatform` value LinkedIn assigned to this integration. */
  sourcePlatform: z.string().regex(/^[A-Z0-9_]+$/, 'the upper-case enum value LinkedIn assigned, e.g. "OUTFLOW"'),
  apiVersion: z.string().regex(/^\d{6}$/, 'a version such as "202610" (YYYYMM)').default(LINKEDIN_API_VERSION),
  apiBaseUrl: z.url().default('https://api.linkedin.com'),
  oauthTokenUrl: z.url().default('https://www.linkedin.com/oauth/v2/accessToken'),
  /** Elements per `/users` request; LinkedIn documents no cap (unconfirmed), the sandbox takes 5,000. */
  elementsPerRequest: z.number().int().min(1).max(5_000).default(1_000),
  /** `/users` requests in flight at once (LinkedIn allows 600 a minute per member). */
  concurrency: z.number().int().min(1).max(16).default(4),
  /** LinkedIn asks for at least 5 s between creating a segment and posting its users. */
  segmentReadyDelayMs: z.number().int().min(0).default(5_000),
  requestTimeoutMs: z.number().int().min(1).default(60_000),
});
export type LinkedInSettings = z.infer<typeof linkedInSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'firstName', 'lastName', 'countryCode'];

export const linkedInConnector: ConnectorDefinition<LinkedInSettings> = {
  type: 'linkedin',
  title: 'LinkedIn Matched Audiences',
  settingsSchema: linkedInSettingsSchema,
  secretSettings: ['clientSecret', 'refreshToken'],
  identifiers: ACCEPTED,
  minAudienceSize: LINKEDIN_MIN_AUDIENCE,
  create: (settings, deps) => new LinkedInDestination(settings, deps),
};
export default linkedInConnector;

export class LinkedInDestination extends KitDestination {
  readonly #s: LinkedInSettings;
  readonly #api: LinkedInApi;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Segments this process created, and when: their users wait segmentReadyDelayMs. */
  readonly #created = new Map<string, number>();

  constructor(settings: LinkedInSettings, deps: ConnectorDeps) {
    const label = destinationLabel('LinkedIn', deps.destinationId, `ad account ${settings.adAccountId}`);
    super({ label, deps, requestsInFlight: settings.concurrency, rowsPerRequest: settings.elementsPerRequest, encoder: 'linkedin_keys', acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#api = new LinkedInApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
    this.#sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get #account(): string {
    return `urn:li:sponsoredAccount:${this.#s.adAccountId}`;
  }

  protected probe(): Promise<unknown> {
    return this.#api.segments(this.#account, 0, 1);
  }

  createAudience(input: { name: string; description?: string }): Promise<AudienceRef> {
    const find = async () => {
      const hit = await findInPages((i) => this.#api.segments(this.#account, i * 100, 100), (s) => s.name === input.name);
      return hit ? { id: hit.id, name: hit.name } : undefined;
    };
    return findOrCreateAudience(input.name, {
      find,
      create: async () => {
        const id = await this.#api.createSegment({
          name: input.name,
          account: this.#account,
          type: 'USER',
          accessPolicy: 'PRIVATE',
          sourcePlatform: this.#s.sourcePlatform,
          destinations: [{ destination: 'LINKEDIN' }],
          ...(input.description ? { description: input.description } : {}),
        });
        const ref = id ? { id, name: input.name } : await find();
        if (!ref) throw new DestinationError('retryable', `${this.label}: segment create returned no id`);
        this.#created.set(ref.id, Date.now());
        return ref;
      },
    });
  }

  protected async send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const action: SegmentUser['action'] = kind === 'add' ? 'ADD' : 'REMOVE';
    const created = this.#created.get(audience.id);
    const wait = created === undefined ? 0 : created + this.#s.segmentReadyDelayMs - Date.now();
    if (wait > 0) await this.#sleep(wait);
    return sendInBatches(rows, { limit: this.#s.elementsPerRequest, gate: this.gate }, async (chunk) => {
      const statuses = await this.#api.users(audience.id, chunk.map((row) => element(action, row)), ctx.signal);
      const rejected = new Map<number, string>();
      statuses.forEach((status, i) => {
        if (status < 200 || status >= 300) rejected.set(i, `LinkedIn rejected the element (status ${status})`);
      });
      return rejected;
    });
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const s = await this.#api.segment(audience.id);
    const size = countOf(s.audienceSize);
    return sizeReadBack({
      platform: 'LinkedIn',
      // A segment stays BUILDING below the minimum: one with matched members is processed.
      ready: s.status === 'READY' || (s.status === 'BUILDING' && (size ?? 0) > 0),
      size,
      received: countOf(s.inputCount),
      matched: countOf(s.matchedCount),
      minimum: LINKEDIN_MIN_AUDIENCE,
    });
  }
}

/** One `/users` element from a row's prepared keys, sent as they are. */
function element(action: SegmentUser['action'], row: MemberRow): SegmentUser {
  const { email, firstName, lastName, countryCode } = row.identifiers;
  return {
    action,
    userIds: email ? [{ idType: 'SHA256_EMAIL', idValue: email }] : [],
    ...(firstName ? { firstName } : {}),
    ...(lastName ? { lastName } : {}),
    ...(countryCode ? { country: countryCode } : {}),
  };
}
