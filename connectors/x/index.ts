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
import { chunked, sendInBatches } from '../shared/batches';
import { KitDestination } from '../shared/destination';
import { payloadBytes } from '../shared/encode';
import { destinationLabel } from '../shared/http';
import { countOf, sizeReadBack } from '../shared/readback';
import { XApi, type XOperation, type XUser } from './api';

/**
 * X (Twitter) Ads custom audiences (Ads API 12): an audience kept in sync with `POST
 * /accounts/{id}/custom_audiences/{audience}/users`, a JSON array of `Update` / `Delete`
 * operations, every call signed with OAuth 1.0a in user context. Reference §10.
 * https://docs.x.com/x-ads-api/audiences/api-reference/custom-audience-users
 */

export const X_API_VERSION = '12';
/** Operations per request and bytes per body (reference §10, [D]). */
export const X_MAX_OPERATIONS = 2_500;
export const X_MAX_BODY_BYTES = 5_000_000;
/** Matched users active in the past 90 days an audience needs to be targetable (reference §10, [D]). */
export const X_MIN_AUDIENCE = 100;

export const xSettingsSchema = z.strictObject({
  accountId: z.string().regex(/^[a-z0-9]+$/i, 'the ads account id, e.g. "18ce54d4x5t"'),
  consumerKey: z.string().min(1),
  consumerSecret: z.string().min(1),
  accessToken: z.string().min(1),
  accessTokenSecret: z.string().min(1),
  apiVersion: z.string().regex(/^\d+$/, 'a version such as "12"').default(X_API_VERSION),
  apiBaseUrl: z.url().default('https://ads-api.x.com'),
  /** Users per operation; X states no limit of its own (unconfirmed), so operations stay small. */
  usersPerOperation: z.number().int().min(1).max(10_000).default(100),
  /** Users per request: at most 2,500 operations, and the body is split further past `maxBodyBytes`. */
  usersPerRequest: z.number().int().min(1).max(250_000).default(10_000),
  maxBodyBytes: z.number().int().min(1_000).max(X_MAX_BODY_BYTES).default(X_MAX_BODY_BYTES),
  concurrency: z.number().int().min(1).max(16).default(2),
  requestTimeoutMs: z.number().int().min(1).default(120_000),
}).refine((s) => Math.ceil(s.usersPerRequest / s.usersPerOperation) <= X_MAX_OPERATIONS, {
  path: ['usersPerRequest'],
  message: `at most ${X_MAX_OPERATIONS.toLocaleString('en-US')} operations per request: usersPerRequest / usersPerOperation must not exceed it`,
});
export type XSettings = z.infer<typeof xSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'mobileAdId', 'externalId'];
const KEYS: readonly (readonly [IdentifierKind, keyof XUser])[] = [
  ['email', 'email'],
  ['mobileAdId', 'device_id'],
  ['externalId', 'partner_user_id'],
];

export const xConnector: ConnectorDefinition<XSettings> = {
  type: 'x',
  title: 'X custom audiences',
  settingsSchema: xSettingsSchema as unknown as z.ZodType<XSettings>,
  secretSettings: ['consumerSecret', 'accessToken', 'accessTokenSecret'],
  identifiers: ACCEPTED,
  minAudienceSize: X_MIN_AUDIENCE,
  create: (settings, deps) => new XDestination(settings, deps),
};
export default xConnector;

export class XDestination extends KitDestination {
  readonly #s: XSettings;
  readonly #api: XApi;

  constructor(settings: XSettings, deps: ConnectorDeps) {
    const label = destinationLabel('X', deps.destinationId, `ads account ${settings.accountId}`);
    // A call fills the requests in flight; one call more than that is hashed while the others send.
    const { usersPerRequest, concurrency } = settings;
    super({ label, deps, requestsInFlight: concurrency, rowsPerRequest: usersPerRequest, batchLimit: usersPerRequest * concurrency, encoder: 'x_keys', acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#api = new XApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  protected probe(): Promise<unknown> {
    return this.#api.customAudiences(this.#s.accountId, 1);
  }

  createAudience(input: { name: string; description?: string }): Promise<AudienceRef> {
    return findOrCreateAudience(input.name, {
      find: async () => {
        let cursor: string | undefined;
        do {
          const page = await this.#api.customAudiences(this.#s.accountId, 1_000, cursor);
          const hit = page.items.find((a) => a.name === input.name);
          if (hit) return { id: hit.id, name: hit.name };
          cursor = page.next;
        } while (cursor);
        return undefined;
      },
      create: async () => {
        const created = await this.#api.create(this.#s.accountId, input.name, input.description ?? '');
        if (!created) throw new DestinationError('retryable', `${this.label}: custom audience create returned no audience`);
        return { id: created.id, name: input.name };
      },
    });
  }

  protected send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const operation: XOperation['operation_type'] = kind === 'add' ? 'Update' : 'Delete';
    return sendInBatches(rows, { limit: this.#s.usersPerRequest, gate: this.gate }, async (chunk) => {
      const users = chunk.map(userOf);
      const rejected = await this.#post(audience.id, operation, users, ctx.signal);
      if (rejected.size === 0) return undefined;
      // All or nothing: X applied none of the request, so the users it did not refuse go again.
      const rest = users.map((u, i) => [u, i] as const).filter(([, i]) => !rejected.has(i));
      if (rest.length > 0) {
        const again = await this.#post(audience.id, operation, rest.map(([u]) => u), ctx.signal);
        if (again.size > 0) throw new DestinationError('invalid_payload', `${this.label}: X refused users of a request that had no refused user left`, { code: 'INVALID_PARAMETER' });
      }
      return rejected;
    });
  }

  /** One request, or halves of it while the body is over `maxBodyBytes`; the users X refused, by index in `users`. */
  async #post(audienceId: string, operation: XOperation['operation_type'], users: readonly XUser[], signal?: AbortSignal): Promise<Map<number, string>> {
    const operations: XOperation[] = chunked(users, this.#s.usersPerOperation).map((u) => ({ operation_type: operation, params: { users: u } }));
    const body = payloadBytes(JSON.stringify(operations));
    if (body.length > this.#s.maxBodyBytes && users.length > 1) {
      const half = Math.ceil(users.length / 2);
      const first = await this.#post(audienceId, operation, users.slice(0, half), signal);
      const second = await this.#post(audienceId, operation, users.slice(half), signal);
      for (const [i, reason] of second) first.set(half + i, reason);
      return first;
    }
    return new Map(await this.#api.users(this.#s.accountId, audienceId, body, users.length, this.#s.usersPerOperation, signal));
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const a = await this.#api.customAudience(this.#s.accountId, audience.id);
    const reasons = Array.isArray(a?.reasonsNotTargetable) ? a.reasonsNotTargetable : [];
    const size = countOf(a?.audienceSize);
    // Sizes show once X's size job has run (every 6-8 hours); until then the audience is processing.
    return sizeReadBack({ platform: 'X', ready: size !== undefined && !reasons.includes('PROCESSING'), size, minimum: X_MIN_AUDIENCE });
  }
}

function userOf(row: MemberRow): XUser {
  const user: XUser = {};
  for (const [kind, key] of KEYS) {
    const value = row.identifiers[kind];
    if (value) user[key] = [value];
  }
  return user;
}
