import { z } from 'zod';
import type { AudienceRef, BatchContext, ConnectorDefinition, ConnectorDeps, IdentifierKind, MatchRate, MemberRow, RowResult } from '../../src/destinations/contract';
import { findOrCreateAudience } from '../shared/audience';
import { sendInBatches } from '../shared/batches';
import { KitDestination } from '../shared/destination';
import { destinationLabel } from '../shared/http';
import { countOf, sizeReadBack } from '../shared/readback';
import { DUPLICATE_AUDIENCE_NAME, MicrosoftAdsApi } from './api';

/**
 * Microsoft Advertising customer lists (Customer Match): a CustomerList audience kept in sync with
 * CustomerListUserData/Apply, Add and Remove, hashed emails.
 * https://learn.microsoft.com/advertising/guides/customer-match
 */

export const MICROSOFT_ADS_API_VERSION = 'v13';
/** Items one Apply call takes. */
export const MAX_ITEMS_PER_CALL = 1_000;
/** People a list needs before Microsoft Advertising uses it (reference §5). */
export const MICROSOFT_ADS_MIN_AUDIENCE = 300;

const id = (what: string) => z.union([z.string(), z.number().int()]).transform(String).pipe(z.string().regex(/^\d+$/, `the numeric ${what}`));

export const microsoftAdsSettingsSchema = z.strictObject({
  customerId: id('customer id'),
  /** The ad account (CustomerAccountId) that owns the lists. */
  accountId: id('account id'),
  developerToken: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
  apiVersion: z.string().regex(/^v\d+$/, 'a version such as "v13"').default(MICROSOFT_ADS_API_VERSION),
  apiBaseUrl: z.url().default('https://campaign.api.bingads.microsoft.com'),
  oauthTokenUrl: z.url().default('https://login.microsoftonline.com/common/oauth2/v2.0/token'),
  /** Days a member stays on the list: 1-180, or -1 for no expiry; unset leaves Microsoft's default. */
  membershipDurationDays: z.union([z.literal(-1), z.number().int().min(1).max(180)]).optional(),
  itemsPerCall: z.number().int().min(1).max(MAX_ITEMS_PER_CALL).default(MAX_ITEMS_PER_CALL),
  /** Apply calls in flight at once (Microsoft publishes no call quota; 117 means slow down). */
  concurrency: z.number().int().min(1).max(16).default(4),
  requestTimeoutMs: z.number().int().min(1).default(60_000),
});
export type MicrosoftAdsSettings = z.infer<typeof microsoftAdsSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email'];

export const microsoftAdsConnector: ConnectorDefinition<MicrosoftAdsSettings> = {
  type: 'microsoft_ads',
  title: 'Microsoft Advertising customer lists',
  settingsSchema: microsoftAdsSettingsSchema,
  secretSettings: ['developerToken', 'clientSecret', 'refreshToken'],
  identifiers: ACCEPTED,
  audienceNames: { maxLength: 128 },
  minAudienceSize: MICROSOFT_ADS_MIN_AUDIENCE,
  create: (settings, deps) => new MicrosoftAdsDestination(settings, deps),
};
export default microsoftAdsConnector;

export class MicrosoftAdsDestination extends KitDestination {
  readonly #s: MicrosoftAdsSettings;
  readonly #api: MicrosoftAdsApi;

  constructor(settings: MicrosoftAdsSettings, deps: ConnectorDeps) {
    const label = destinationLabel('Microsoft Advertising', deps.destinationId, `account ${settings.accountId}`);
    super({ label, deps, requestsInFlight: settings.concurrency, rowsPerRequest: settings.itemsPerCall, encoder: 'microsoft_ads_keys', acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#api = new MicrosoftAdsApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  protected probe(): Promise<unknown> {
    return this.#api.lists(null);
  }

  createAudience(input: { name: string; description?: string }): Promise<AudienceRef> {
    return findOrCreateAudience(input.name, {
      find: async () => {
        const hit = (await this.#api.lists(null)).find((l) => l.name === input.name);
        return hit ? { id: hit.id, name: hit.name } : undefined;
      },
      create: async () => ({
        id: await this.#api.createList({
          Name: input.name,
          Type: 'CustomerList',
          Scope: 'Customer',
          ...(input.description ? { Description: input.description } : {}),
          ...(this.#s.membershipDurationDays !== undefined ? { MembershipDuration: this.#s.membershipDurationDays } : {}),
        }),
        name: input.name,
      }),
      duplicateCodes: [DUPLICATE_AUDIENCE_NAME],
    });
  }

  protected send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return sendInBatches(rows, { limit: this.#s.itemsPerCall, gate: this.gate }, async (chunk) => {
      const items = chunk.map((r) => r.identifiers.email ?? '');
      const errors = await this.#api.apply(kind === 'add' ? 'Add' : 'Remove', audience.id, items, ctx.signal);
      return new Map(errors.map((e) => [e.index, `Microsoft Advertising rejected the item: ${e.errorCode ?? 'error'} (${e.code ?? '?'})`]));
    });
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const [list] = await this.#api.lists([audience.id]);
    const size = countOf(list?.searchSize);
    return sizeReadBack({ platform: 'Microsoft Advertising', ready: size !== undefined, size, minimum: MICROSOFT_ADS_MIN_AUDIENCE });
  }
}
