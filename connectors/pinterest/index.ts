import { z } from 'zod';
import type {
  AudienceRef,
  BatchContext,
  ConnectorDefinition,
  ConnectorDeps,
  IdentifierKind,
  MatchRate,
  MemberRow,
  RowResult,
} from '../../src/destinations/contract';
import { findInPages } from '../shared/audience';
import { sendInBatches } from '../shared/batches';
import { KitDestination } from '../shared/destination';
import { destinationLabel } from '../shared/http';
import { countOf, sizeReadBack } from '../shared/readback';
import { PinterestApi, type PinterestListType } from './api';

/**
 * Pinterest customer lists (API v5): a customer list kept in sync with `PATCH
 * /ad_accounts/{id}/customer_lists/{list}` and `operation_type` ADD / REMOVE, made targetable by a
 * CUSTOMER_LIST audience over it. Pinterest creates no empty list, so a new list is created with
 * the first upload's records (as TikTok's audiences are).
 * https://developers.pinterest.com/docs/api/v5/customer_lists-create
 */

export const PINTEREST_API_VERSION = 'v5';
/** Records per request: Pinterest publishes none; a third-party tool states 50,000 (reference §8, unconfirmed). */
export const PINTEREST_MAX_RECORDS = 50_000;
/** Pinterest users a list must match before it can be targeted (reference §8, [S]). */
export const PINTEREST_MIN_AUDIENCE = 100;
/** An audience ref whose list Pinterest does not have yet: it is created with the first upload. */
const PENDING = 'pending:';
const LIST_TYPES = { email: 'EMAIL', mobileAdId: 'MAID' } as const satisfies Record<string, PinterestListType>;

export const pinterestSettingsSchema = z.strictObject({
  adAccountId: z.string().regex(/^\d+$/, 'the numeric ad account id'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
  /** The identifier the list is built from: a list holds one type (EMAIL or MAID). */
  identifier: z.enum(['email', 'mobileAdId']).default('email'),
  apiVersion: z.string().regex(/^v\d+$/, 'a version such as "v5"').default(PINTEREST_API_VERSION),
  apiBaseUrl: z.url().default('https://api.pinterest.com'),
  oauthTokenUrl: z.url().default('https://api.pinterest.com/v5/oauth/token'),
  recordsPerRequest: z.number().int().min(1).max(PINTEREST_MAX_RECORDS).default(PINTEREST_MAX_RECORDS),
  concurrency: z.number().int().min(1).max(16).default(2),
  requestTimeoutMs: z.number().int().min(1).default(120_000),
});
export type PinterestSettings = z.infer<typeof pinterestSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'mobileAdId'];

export const pinterestConnector: ConnectorDefinition<PinterestSettings> = {
  type: 'pinterest',
  title: 'Pinterest customer lists',
  settingsSchema: pinterestSettingsSchema,
  secretSettings: ['clientSecret', 'refreshToken'],
  identifiers: ACCEPTED,
  minAudienceSize: PINTEREST_MIN_AUDIENCE,
  create: (settings, deps) => new PinterestDestination(settings, deps),
};
export default pinterestConnector;

interface ListEntry {
  /** The call whose records created the list (it sends no update of its own). */
  owner: object;
  list: Promise<{ id: string; created: boolean }>;
}

export class PinterestDestination extends KitDestination {
  readonly #s: PinterestSettings;
  readonly #api: PinterestApi;
  /** Lists by audience name, found or created by this destination (one create per name). */
  readonly #lists = new Map<string, ListEntry>();
  /** CUSTOMER_LIST audience ids by list id, for the ones this destination created. */
  readonly #audiences = new Map<string, string>();

  constructor(settings: PinterestSettings, deps: ConnectorDeps) {
    const label = destinationLabel('Pinterest', deps.destinationId, `ad account ${settings.adAccountId}`);
    // A call fills the requests in flight; one call more than that is hashed while the others send.
    const { recordsPerRequest, concurrency } = settings;
    super({ label, deps, requestsInFlight: concurrency, rowsPerRequest: recordsPerRequest, batchLimit: recordsPerRequest * concurrency, encoder: 'pinterest_keys', keyedBy: settings.identifier, acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#api = new PinterestApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  get #listType(): PinterestListType {
    return LIST_TYPES[this.#s.identifier];
  }

  protected probe(): Promise<unknown> {
    return this.#api.customerLists(this.#s.adAccountId, 1);
  }

  async #find(name: string): Promise<string | undefined> {
    let bookmark: string | undefined;
    const hit = await findInPages(
      async () => {
        const page = await this.#api.customerLists(this.#s.adAccountId, 250, bookmark);
        bookmark = page.bookmark;
        return { items: page.items, more: bookmark !== undefined };
      },
      (l) => l.name === name,
    );
    return hit?.id;
  }

  /** The list of this name, or a pending ref: Pinterest creates a list only with records. */
  async createAudience(input: { name: string }): Promise<AudienceRef> {
    const id = await this.#find(input.name);
    return id ? { id, name: input.name } : { id: `${PENDING}${input.name}`, name: input.name };
  }


  protected send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const operation = kind === 'add' ? 'ADD' : 'REMOVE';
    const identifier = this.#s.identifier;
    return sendInBatches(rows, { limit: this.#s.recordsPerRequest, gate: this.gate }, async (chunk) => {
      const records = chunk.map((r) => r.identifiers[identifier] ?? '').filter((r) => r !== '');
      let listId = audience.id;
      if (listId.startsWith(PENDING)) {
        const me = {};
        let entry = this.#lists.get(audience.name);
        if (!entry && operation === 'REMOVE') {
          // Nothing to remove from a list that does not exist.
          const found = await this.#find(audience.name);
          if (!found) return undefined;
          listId = found;
        } else {
          if (!entry) {
            const created: ListEntry = { owner: me, list: this.#findOrCreate(audience.name, records, ctx.signal) };
            entry = created;
            this.#lists.set(audience.name, created);
            // A failed create is tried again by the next call (the engine's retry).
            created.list.catch(() => this.#lists.get(audience.name) === created && this.#lists.delete(audience.name));
          }
          const list = await entry.list;
          if (list.created && entry.owner === me) return undefined;
          listId = list.id;
        }
      }
      await this.#api.updateCustomerList(this.#s.adAccountId, listId, operation, records, ctx.signal);
      // Pinterest reports counters per list, not a result per record.
      return undefined;
    });
  }

  async #findOrCreate(name: string, records: readonly string[], signal?: AbortSignal): Promise<{ id: string; created: boolean }> {
    const found = await this.#find(name);
    if (found) return { id: found, created: false };
    const list = await this.#api.createCustomerList(this.#s.adAccountId, name, this.#listType, records, signal);
    if (!list) throw new Error(`${this.label}: customer list create returned no list`);
    const audience = await this.#api.createAudience(this.#s.adAccountId, name, list.id);
    if (audience) this.#audiences.set(list.id, audience.id);
    return { id: list.id, created: true };
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const listId = audience.id.startsWith(PENDING) ? await this.#resolved(audience.name) : audience.id;
    if (!listId) return sizeReadBack({ platform: 'Pinterest', ready: true, size: 0, minimum: PINTEREST_MIN_AUDIENCE });
    const audienceId = this.#audiences.get(listId);
    if (audienceId) {
      const a = await this.#api.audience(this.#s.adAccountId, audienceId);
      return sizeReadBack({ platform: 'Pinterest', ready: a?.status === 'READY' || a?.status === 'TOO_SMALL', size: countOf(a?.size), minimum: PINTEREST_MIN_AUDIENCE });
    }
    // An audience created by an earlier process: the reference documents no listing of audiences,
    // so the list's own status says what is known (TOO_SMALL: under 100 Pinterest users).
    const list = await this.#api.customerList(this.#s.adAccountId, listId);
    const rate: MatchRate = { status: list?.status === 'PROCESSING' ? 'processing' : 'ready' };
    if (list?.status === 'TOO_SMALL') rate.warnings = [`audience below Pinterest's minimum size: campaigns need at least ${PINTEREST_MIN_AUDIENCE} matched Pinterest users`];
    return rate;
  }

  async #resolved(name: string): Promise<string | undefined> {
    const entry = this.#lists.get(name);
    if (entry) return (await entry.list).id;
    return this.#find(name);
  }
}
