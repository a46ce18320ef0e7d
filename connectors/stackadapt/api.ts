import { createHash } from 'node:crypto';
import { DestinationError } from '../../src/destinations/contract';
import { PlatformClient, statusFailure } from '../shared/client';
import type { ErrorCodes } from '../shared/errors';
import { asRecord } from '../shared/http';

/**
 * Thin client of StackAdapt's GraphQL API for profile and audience sync (reference §12). The
 * official docs block crawling; the operations and their arguments are those of the third-party
 * connectors (Segment `stackadapt-audiences`, Tealium), which send the arguments as literals in
 * the document: so does this client, because the GraphQL input type names are not published.
 */

export interface StackAdaptApiOptions {
  apiBaseUrl: string;
  apiKey: string;
  timeoutMs: number;
  label: string;
  fetch?: typeof fetch | undefined;
}

/** One profile of `upsertProfiles`: `action` enters or exits the audience. */
export interface StackAdaptProfile {
  userId: string;
  email?: string;
  audienceId: string;
  audienceName: string;
  action: 'enter' | 'exit';
}

export interface UserError {
  message: string;
  path?: readonly (string | number)[] | null;
}

/** A field of a mapping schema; `type` is a GraphQL enum (STRING, ...). */
export interface MappingField {
  incomingKey: string;
  destinationKey: string;
  label: string;
  type: Enum;
  isPii: boolean;
}

/** A GraphQL enum value: written bare in the document. */
export class Enum {
  constructor(readonly value: string) {}
}

/** GraphQL errors carry `extensions.code`; UNAUTHENTICATED / FORBIDDEN are credentials, RATE_LIMITED throttling. */
export const STACKADAPT_ERRORS: ErrorCodes = {
  rateLimited: ['RATE_LIMITED'],
  invalidAuth: ['UNAUTHENTICATED', 'FORBIDDEN'],
  authHint: 'the GraphQL token is invalid or revoked, or lacks WRITE on the advertiser; ask StackAdapt for a new token',
};

const GRAPHQL_PATH = '/graphql';

export class StackAdaptApi {
  readonly #client: PlatformClient;

  constructor(o: StackAdaptApiOptions) {
    this.#client = new PlatformClient({
      baseUrl: o.apiBaseUrl,
      timeoutMs: o.timeoutMs,
      label: o.label,
      codes: STACKADAPT_ERRORS,
      fetch: o.fetch,
      headers: async () => ({ authorization: `Bearer ${o.apiKey}` }),
      // A GraphQL server may answer errors with 200 and no data: that is a failure too.
      failure: (res) => {
        const code = (b: unknown) => errorCodeOf(b);
        const failed = statusFailure(res, code);
        if (failed) return failed;
        const body = asRecord(res.body);
        return body?.data === null || body?.data === undefined ? { status: 400, code: code(res.body) } : undefined;
      },
    });
  }

  get label(): string {
    return this.#client.label;
  }

  /** Runs one GraphQL document and returns its `data`. */
  async run(document: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const res = await this.#client.call({ method: 'POST', path: GRAPHQL_PATH, json: { query: document }, ...(signal ? { signal } : {}) });
    return asRecord(asRecord(res.body)?.data) ?? {};
  }

  /** The token's scopes per advertiser (`tokenInfo`). */
  async scopes(): Promise<{ advertiserId?: string; name?: string; scopes: string[] }[]> {
    const data = await this.run('query { tokenInfo { scopesByAdvertiser { nodes { advertiser { id name } scopes } } } }');
    const nodes = asRecord(asRecord(data.tokenInfo)?.scopesByAdvertiser)?.nodes;
    return (Array.isArray(nodes) ? nodes : []).map((n) => {
      const node = asRecord(n);
      const advertiser = asRecord(node?.advertiser);
      return {
        ...(advertiser?.id !== undefined ? { advertiserId: String(advertiser.id) } : {}),
        ...(typeof advertiser?.name === 'string' ? { name: advertiser.name } : {}),
        scopes: Array.isArray(node?.scopes) ? node.scopes.map(String) : [],
      };
    });
  }

  /**
   * Upserts profiles with their audience action, in one document with the profile and audience
   * field mappings (as the third-party connectors send it: the mappings are idempotent and tell
   * StackAdapt what the profiles' keys mean). `syncId` is the SHA-256 of the profiles text, so a
   * retried request carries the same id. Returns the userErrors of upsertProfiles and, apart, of
   * the mappings.
   */
  async upsertProfiles(input: UpsertInput, signal?: AbortSignal): Promise<{ profiles: UserError[]; mappings: UserError[] }> {
    const advertiserId = Number(input.advertiserId);
    const text = JSON.stringify(input.profiles);
    const syncId = createHash('sha256').update(text, 'utf8').digest('hex');
    const provider = input.externalProvider;
    const data = await this.run(
      `mutation {
  upsertProfileMapping(input: ${literal({ advertiserId, mappingSchemaV2: input.profileMapping, isOptedIn: input.optedIn, mappableType: provider })}) { userErrors { message } }
  upsertProfiles(input: ${literal({ advertiserId, externalProvider: provider, syncId, profiles: text })}) { userErrors { message path } }
  upsertExternalAudienceMapping(input: ${literal({ advertiserId, mappingSchema: input.audienceMapping, mappableType: provider })}) { userErrors { message } }
}`,
      signal,
    );
    if (!('upsertProfiles' in data)) throw new DestinationError('invalid_payload', `${this.label}: upsertProfiles returned no result`);
    return { profiles: userErrorsOf(data.upsertProfiles), mappings: [...userErrorsOf(data.upsertProfileMapping), ...userErrorsOf(data.upsertExternalAudienceMapping)] };
  }
}

/** What one upsertProfiles request carries. */
export interface UpsertInput {
  advertiserId: string;
  externalProvider: string;
  /** `isOptedIn` of the profile mapping: whether the profiles may receive email marketing. */
  optedIn: boolean;
  profiles: readonly StackAdaptProfile[];
  profileMapping: readonly MappingField[];
  audienceMapping: readonly MappingField[];
}

/**
 * A value as a GraphQL literal: strings through JSON.stringify (whose escapes are GraphQL's),
 * object keys bare, Enum values bare.
 */
export function literal(value: unknown): string {
  if (value instanceof Enum) return value.value;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${literal(v)}`)
      .join(', ')}}`;
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error('GraphQL literal: not an integer');
  return JSON.stringify(value);
}

function userErrorsOf(result: unknown): UserError[] {
  const list = asRecord(result)?.userErrors;
  return (Array.isArray(list) ? list : []).map((e) => {
    const r = asRecord(e);
    const path = Array.isArray(r?.path) ? (r.path as (string | number)[]) : null;
    return { message: typeof r?.message === 'string' ? r.message : 'unknown error', path };
  });
}

function errorCodeOf(body: unknown): string | undefined {
  const errors = asRecord(body)?.errors;
  const first = Array.isArray(errors) ? asRecord(errors[0]) : undefined;
  const code = asRecord(first?.extensions)?.code;
  return typeof code === 'string' ? code : undefined;
}
