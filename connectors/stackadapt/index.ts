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
import { sha256Hex } from '../../src/identity/hash';
import { sendInBatches } from '../shared/batches';
import { KitDestination } from '../shared/destination';
import { destinationLabel } from '../shared/http';
import { Enum, type MappingField, StackAdaptApi, type StackAdaptProfile, type UserError } from './api';

/**
 * StackAdapt audiences through the GraphQL API (reference §12): each member is a profile upserted
 * with `upsertProfiles`, carrying the audience's id and name and `action` `enter` (add) or `exit`
 * (remove), sent with the profile and audience field mappings as the third-party connectors send
 * them. StackAdapt creates the audience from the first profile that names it, so there is no
 * create call: the audience id is the audience's name. The profile's `userId` is the external id
 * when the sync sends one, else the SHA-256 of the email, so a person keeps one profile per
 * identifier set and a changed email exits the old profile.
 *
 * StackAdapt's own docs block crawling: batch and rate limits, a minimum audience size and any
 * size read-back are unpublished (docs/destinations.md lists what stays open).
 */

/** Profiles per request: StackAdapt publishes none; 1,000 keeps a request small (about 100 KB). */
export const STACKADAPT_DEFAULT_PROFILES = 1_000;
export const STACKADAPT_MAX_PROFILES = 10_000;

export const stackAdaptSettingsSchema = z.strictObject({
  /** The advertiser the audience belongs to (numeric, as StackAdapt's GraphQL takes it). */
  advertiserId: z.string().regex(/^\d{1,15}$/, 'the numeric advertiser id'),
  /** The GraphQL API token from StackAdapt's account team (`Authorization: Bearer`). */
  apiKey: z.string().min(1),
  /** The provider key profiles are filed under (`externalProvider` / `mappableType`). */
  externalProvider: z.string().regex(/^[a-z0-9_]{1,64}$/, 'lowercase letters, digits and "_"').default('outflow'),
  /** Whether the profiles may receive email marketing (`isOptedIn` of the profile mapping). */
  marketingOptIn: z.boolean().default(false),
  /** GraphQL is unversioned: the endpoint is `<apiBaseUrl>/graphql`. */
  apiBaseUrl: z.url().default('https://api.stackadapt.com'),
  profilesPerRequest: z.number().int().min(1).max(STACKADAPT_MAX_PROFILES).default(STACKADAPT_DEFAULT_PROFILES),
  concurrency: z.number().int().min(1).max(16).default(2),
  requestTimeoutMs: z.number().int().min(1).default(120_000),
});
export type StackAdaptSettings = z.infer<typeof stackAdaptSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'externalId'];
const STRING = new Enum('STRING');
const PROFILE_MAPPING: readonly MappingField[] = [
  { incomingKey: 'userId', destinationKey: 'external_id', label: 'External ID', type: STRING, isPii: false },
  { incomingKey: 'email', destinationKey: 'email', label: 'Email', type: STRING, isPii: true },
];
const AUDIENCE_MAPPING: readonly MappingField[] = [
  { incomingKey: 'audienceId', destinationKey: 'external_id', label: 'External Audience ID', type: STRING, isPii: false },
  { incomingKey: 'audienceName', destinationKey: 'name', label: 'External Audience Name', type: STRING, isPii: false },
];

export const stackAdaptConnector: ConnectorDefinition<StackAdaptSettings> = {
  type: 'stackadapt',
  title: 'StackAdapt audiences',
  settingsSchema: stackAdaptSettingsSchema,
  secretSettings: ['apiKey'],
  identifiers: ACCEPTED,
  create: (settings, deps) => new StackAdaptDestination(settings, deps),
};
export default stackAdaptConnector;

export class StackAdaptDestination extends KitDestination {
  readonly #s: StackAdaptSettings;
  readonly #api: StackAdaptApi;

  constructor(settings: StackAdaptSettings, deps: ConnectorDeps) {
    const label = destinationLabel('StackAdapt', deps.destinationId, `advertiser ${settings.advertiserId}`);
    // A call fills the requests in flight. Keys need no hashing (only the userId's one SHA-256),
    // so no extra call is kept ready while others send: a revoked token fails one request only.
    const { profilesPerRequest, concurrency } = settings;
    super({ label, deps, requestsInFlight: concurrency, rowsPerRequest: profilesPerRequest, batchLimit: profilesPerRequest * concurrency, concurrency, encoder: 'stackadapt_keys', acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#api = new StackAdaptApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  /**
   * The audience is the name itself: StackAdapt files it on the first profile that names it, so
   * nothing is called here (and nothing can be duplicated).
   */
  createAudience(input: { name: string }): Promise<AudienceRef> {
    return Promise.resolve({ id: input.name, name: input.name });
  }

  /** The token must hold WRITE on the advertiser. */
  protected async probe(): Promise<void> {
    const scopes = await this.#api.scopes();
    const mine = scopes.find((s) => s.advertiserId === this.#s.advertiserId);
    if (!mine?.scopes.includes('WRITE'))
      throw new DestinationError('invalid_auth', `${this.label}: access denied: the GraphQL token has no WRITE scope on advertiser ${this.#s.advertiserId}`);
  }

  protected send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const action = kind === 'add' ? 'enter' : 'exit';
    return sendInBatches(rows, { limit: this.#s.profilesPerRequest, gate: this.gate }, async (chunk) => {
      const profiles = chunk.map((r) => profileOf(r, audience, action));
      const { externalProvider, marketingOptIn: optedIn } = this.#s;
      const input = { advertiserId: this.#s.advertiserId, externalProvider, optedIn, profiles, profileMapping: PROFILE_MAPPING, audienceMapping: AUDIENCE_MAPPING };
      const errors = await this.#api.upsertProfiles(input, ctx.signal);
      if (errors.mappings.length > 0) throw this.#refused('the field mappings', errors.mappings);
      // A userError at ['profiles', i] refuses that profile only; any other refuses the request.
      const rejected = new Map<number, string>();
      const other: UserError[] = [];
      for (const e of errors.profiles) {
        const at = e.path?.[0] === 'profiles' ? e.path[1] : undefined;
        if (typeof at === 'number' && at >= 0 && at < chunk.length) rejected.set(at, `StackAdapt rejected the profile: ${withoutEmails(e.message)}`);
        else other.push(e);
      }
      if (other.length > 0) throw this.#refused('upsertProfiles', other);
      return rejected.size > 0 ? rejected : undefined;
    });
  }

  /** StackAdapt reports no audience size or match rate through the API the connectors use. */
  readMatchRate(_audience: AudienceRef): Promise<MatchRate> {
    return Promise.resolve({ status: 'ready' });
  }

  #refused(what: string, errors: readonly UserError[]): DestinationError {
    const text = errors.map((e) => withoutEmails(e.message)).join('; ');
    return new DestinationError('invalid_payload', `${this.label}: StackAdapt refused ${what}: ${text}`);
  }
}

/** The profile a member row becomes (see the module comment for the userId). */
function profileOf(row: MemberRow, audience: AudienceRef, action: 'enter' | 'exit'): StackAdaptProfile {
  const email = row.identifiers.email ?? undefined;
  const userId = row.identifiers.externalId ?? sha256Hex(email ?? '');
  return { userId, ...(email ? { email } : {}), audienceId: audience.id, audienceName: audience.name, action };
}

/** A platform message with anything shaped like an email left out, before it reaches a run report. */
function withoutEmails(message: string): string {
  return message.replace(/[^\s@]+@[^\s@]+/g, '<email>').slice(0, 200);
}
