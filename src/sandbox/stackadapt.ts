import { createHash } from 'node:crypto';
import { Kind, parse, valueFromASTUntyped, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, FakeServerBase, isLowerHexHash, isRecord } from './fake-server';
import { trimLower } from './sandbox-audience';

/**
 * Contract fake of StackAdapt's audience sync through its GraphQL API, written from the
 * reference's §12. StackAdapt's own docs block crawling: every shape here comes from third-party
 * connectors (Segment `stackadapt-audiences`, Tealium, Hightouch), and batch limits, rate limits,
 * hashing and size read-back are not documented at all.
 *
 * - `POST /graphql` with `{query, variables?}`, `Authorization: Bearer <GraphQL token>`; a missing,
 *   unknown or revoked token gets HTTP 401;
 * - arguments as literals in the query or as `$variables` (the documents are parsed with graphql-js);
 * - `query { tokenInfo { scopesByAdvertiser { nodes { advertiser { id name } scopes } } } }`;
 * - `upsertProfiles(input: {advertiserId, externalProvider, syncId, profiles})`: `profiles` is a
 *   JSON array *in a string*; each profile has `userId`, optionally `email` and traits, and for
 *   audience membership `audienceId`, `audienceName` and `action` `enter` | `exit`; `syncId` is a
 *   SHA-256 (lowercase hex). A profile the fake cannot take is named in `userErrors` (with its
 *   index as `path`, never its values) and the others are applied. The advertiser must be one the
 *   token may WRITE;
 * - `upsertProfileMapping(input: {advertiserId, mappingSchemaV2, isOptedIn?, mappableType})` and
 *   `upsertExternalAudienceMapping(input: {advertiserId, mappingSchema, mappableType})` are
 *   recorded; `deleteProfilesWithExternalIds` (arguments top-level or in `input`) removes profiles
 *   and their memberships;
 * - 429 with a GraphQL error body when throttled (no documented headers).
 *
 * Audience members are the profiles' `userId`s (the external ids the connector chose).
 */

export const STACKADAPT_PATH = '/graphql';
/** The fake's own cap on profiles per upsert: StackAdapt publishes none (reference §12). */
export const STACKADAPT_DEFAULT_MAX_PROFILES = 10_000;

export type StackAdaptIdentifierKind = Extract<IdentifierKind, 'email' | 'externalId'>;

/**
 * The value StackAdapt keeps for one raw identifier: connectors send the email unhashed, flagged
 * `isPii` in the profile mapping (reference §12), so it is kept trimmed and lowercased (the
 * baseline of §1.1; StackAdapt's own rule is unknown); the external id is the profile's `userId`.
 */
export function normaliseStackAdapt(kind: StackAdaptIdentifierKind, raw: string): string | undefined {
  const value = kind === 'email' ? trimLower(raw) : raw.trim();
  return value === '' ? undefined : value;
}

export interface StackAdaptFakeOptions {
  advertiserId?: string;
  advertiserName?: string;
  apiKey?: string;
  /** Scopes of the token on the advertiser (default ['READ', 'WRITE']). */
  scopes?: string[];
  maxProfilesPerRequest?: number;
}

interface StoredProfile {
  email: string | undefined;
  traits: Record<string, unknown>;
}

interface ExternalAudience {
  id: string;
  name: string;
  members: Set<string>;
}

interface UserError {
  message: string;
  path?: (string | number)[];
}

class GraphQLRequestError extends Error {}

function gqlError(status: number, message: string, code: string): FakeReply {
  return { status, body: { errors: [{ message, extensions: { code } }], data: null } };
}

export class StackAdaptFake extends FakeServerBase {
  readonly advertiserId: string;
  readonly advertiserName: string;
  readonly apiKey: string;
  readonly scopes: readonly string[];
  maxProfilesPerRequest: number;
  readonly audiences = new Map<string, ExternalAudience>();
  readonly profiles = new Map<string, StoredProfile>();
  /** The last mappings received, by mutation. */
  readonly mappings: { profile?: Record<string, unknown>; audience?: Record<string, unknown> } = {};
  /** Every upsertProfiles: its syncId, profiles sent and profiles taken. */
  readonly uploads: { syncId: string; externalProvider: string; profiles: number; taken: number }[] = [];
  #revoked = false;

  constructor(options: StackAdaptFakeOptions = {}) {
    super();
    this.advertiserId = options.advertiserId ?? '91001';
    this.advertiserName = options.advertiserName ?? 'Outflow Sandbox Advertiser';
    this.apiKey = options.apiKey ?? 'sandbox-stackadapt-graphql-token';
    this.scopes = options.scopes ?? ['READ', 'WRITE'];
    this.maxProfilesPerRequest = options.maxProfilesPerRequest ?? STACKADAPT_DEFAULT_MAX_PROFILES;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { advertiserId: this.advertiserId, apiKey: this.apiKey, apiBaseUrl: this.url, ...extra };
  }

  /** The value StackAdapt keeps for a raw identifier (see `normaliseStackAdapt`). */
  static expectedKey(kind: StackAdaptIdentifierKind, raw: string): string | undefined {
    return normaliseStackAdapt(kind, raw);
  }

  /** The token is revoked: every call gets 401. */
  revokeToken(): void {
    this.#revoked = true;
  }

  /** The audience's members: profile userIds (a copy). */
  members(audienceId: string): Set<string> {
    return new Set(this.audiences.get(audienceId)?.members);
  }

  protected override throttleReply(_fault: Fault): FakeReply {
    return gqlError(429, 'Too many requests', 'RATE_LIMITED');
  }

  protected override handle(req: FakeRequest): FakeReply {
    if (req.path !== STACKADAPT_PATH) return gqlError(404, `No route ${req.path}`, 'NOT_FOUND');
    if (req.method !== 'POST') return gqlError(405, 'GraphQL requests are POSTed', 'METHOD_NOT_ALLOWED');
    const auth = req.headers.authorization;
    if (this.#revoked || auth !== `Bearer ${this.apiKey}`) return gqlError(401, 'Unauthorized: a valid GraphQL token is required', 'UNAUTHENTICATED');
    const body = isRecord(req.body) ? req.body : {};
    if (typeof body.query !== 'string') return gqlError(400, 'A "query" string is required', 'BAD_REQUEST');
    const variables = isRecord(body.variables) ? body.variables : {};
    let operation: OperationDefinitionNode | undefined;
    try {
      const doc = parse(body.query);
      const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      operation = typeof body.operationName === 'string' ? ops.find((o) => o.name?.value === body.operationName) : ops.length === 1 ? ops[0] : undefined;
    } catch (err) {
      return gqlError(400, `Syntax error: ${err instanceof Error ? err.message : 'unparsable query'}`, 'GRAPHQL_PARSE_FAILED');
    }
    if (!operation) return gqlError(400, 'Exactly one operation, or operationName, is required', 'GRAPHQL_VALIDATION_FAILED');
    const data: Record<string, unknown> = {};
    try {
      for (const sel of operation.selectionSet.selections) {
        if (sel.kind !== Kind.FIELD) throw new GraphQLRequestError('Fragments are not supported by the sandbox');
        const key = sel.alias?.value ?? sel.name.value;
        data[key] = project(withNullPaths(this.#field(operation.operation, sel, argumentsOf(sel, variables))), sel.selectionSet);
      }
    } catch (err) {
      if (err instanceof GraphQLRequestError) return gqlError(400, err.message, 'GRAPHQL_VALIDATION_FAILED');
      throw err;
    }
    return { status: 200, body: { data } };
  }

  #field(operation: string, field: FieldNode, args: Record<string, unknown>): unknown {
    const name = field.name.value;
    if (operation === 'query') {
      if (name === 'tokenInfo')
        return { scopesByAdvertiser: { nodes: [{ advertiser: { id: this.advertiserId, name: this.advertiserName }, scopes: [...this.scopes] }] } };
      throw new GraphQLRequestError(`Cannot query field "${name}" on type "Query"`);
    }
    if (operation !== 'mutation') throw new GraphQLRequestError('Subscriptions are not supported');
    const input = isRecord(args.input) ? args.input : args;
    const denied = this.#advertiserDenied(input.advertiserId ?? (Array.isArray(input.advertiserIds) ? input.advertiserIds[0] : undefined));
    switch (name) {
      case 'upsertProfiles':
        return denied ?? this.#upsertProfiles(input);
      case 'upsertProfileMapping':
        if (denied) return denied;
        if (input.mappingSchemaV2 === undefined && input.mappingSchema === undefined) return { userErrors: [{ message: 'mappingSchemaV2 is required' }] };
        this.mappings.profile = input;
        return { userErrors: [] };
      case 'upsertExternalAudienceMapping':
        if (denied) return denied;
        if (input.mappingSchema === undefined) return { userErrors: [{ message: 'mappingSchema is required' }] };
        this.mappings.audience = input;
        return { userErrors: [] };
      case 'deleteProfilesWithExternalIds':
        return denied ?? this.#delete(input);
      default:
        throw new GraphQLRequestError(`Cannot query field "${name}" on type "Mutation"`);
    }
  }

  #advertiserDenied(advertiserId: unknown): { userErrors: UserError[] } | undefined {
    if (advertiserId === undefined || String(advertiserId) !== this.advertiserId) return { userErrors: [{ message: 'advertiserId: not an advertiser of this token', path: ['advertiserId'] }] };
    if (!this.scopes.includes('WRITE')) return { userErrors: [{ message: 'The token lacks the WRITE scope on this advertiser' }] };
    return undefined;
  }

  #upsertProfiles(input: Record<string, unknown>): { userErrors: UserError[] } {
    if (typeof input.externalProvider !== 'string' || input.externalProvider === '') return { userErrors: [{ message: 'externalProvider is required', path: ['externalProvider'] }] };
    if (typeof input.syncId !== 'string' || !isLowerHexHash(input.syncId)) return { userErrors: [{ message: 'syncId: a SHA-256 in lowercase hex is required', path: ['syncId'] }] };
    if (typeof input.profiles !== 'string') return { userErrors: [{ message: 'profiles: a JSON array in a string is required', path: ['profiles'] }] };
    let list: unknown;
    try {
      list = JSON.parse(input.profiles);
    } catch {
      return { userErrors: [{ message: 'profiles: not valid JSON', path: ['profiles'] }] };
    }
    if (!Array.isArray(list) || list.length === 0) return { userErrors: [{ message: 'profiles: a non-empty array is required', path: ['profiles'] }] };
    if (list.length > this.maxProfilesPerRequest) return { userErrors: [{ message: `profiles: at most ${this.maxProfilesPerRequest} per request; got ${list.length}`, path: ['profiles'] }] };
    const userErrors: UserError[] = [];
    let taken = 0;
    for (const [i, p] of list.entries()) {
      const problem = profileProblem(p);
      if (problem) {
        userErrors.push({ message: problem, path: ['profiles', i] });
        continue;
      }
      const profile = p as Record<string, unknown>;
      const userId = String(profile.userId);
      const { userId: _id, email, audienceId, audienceName, action, ...traits } = profile;
      const stored = this.profiles.get(userId);
      this.profiles.set(userId, { email: typeof email === 'string' ? email : stored?.email, traits: { ...stored?.traits, ...traits } });
      if (audienceId !== undefined) {
        const id = String(audienceId);
        const audience = this.audiences.get(id) ?? { id, name: String(audienceName), members: new Set<string>() };
        if (typeof audienceName === 'string') audience.name = audienceName;
        this.audiences.set(id, audience);
        if (action === 'enter') audience.members.add(userId);
        else audience.members.delete(userId);
      }
      taken++;
    }
    this.uploads.push({ syncId: input.syncId, externalProvider: input.externalProvider, profiles: list.length, taken });
    return { userErrors };
  }

  #delete(input: Record<string, unknown>): { userErrors: UserError[] } {
    if (!Array.isArray(input.externalIds) || input.externalIds.length === 0) return { userErrors: [{ message: 'externalIds: a non-empty list is required', path: ['externalIds'] }] };
    if (typeof input.externalProvider !== 'string' || input.externalProvider === '') return { userErrors: [{ message: 'externalProvider is required', path: ['externalProvider'] }] };
    for (const raw of input.externalIds) {
      const id = String(raw);
      this.profiles.delete(id);
      for (const a of this.audiences.values()) a.members.delete(id);
    }
    return { userErrors: [] };
  }
}

/** What is wrong with one profile (never its values), or undefined. */
function profileProblem(p: unknown): string | undefined {
  if (!isRecord(p)) return 'a profile must be an object';
  if ((typeof p.userId !== 'string' && typeof p.userId !== 'number') || String(p.userId).trim() === '') return 'userId is required';
  if (p.email !== undefined && (typeof p.email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(p.email))) return 'email is not an email address';
  if (p.audienceId !== undefined) {
    if (typeof p.audienceName !== 'string' || p.audienceName === '') return 'audienceName is required with audienceId';
    if (p.action !== 'enter' && p.action !== 'exit') return 'action must be enter or exit';
  } else if (p.action !== undefined) return 'audienceId is required with action';
  return undefined;
}

/** `userErrors[].path` is a nullable field: absent means null. */
function withNullPaths(result: unknown): unknown {
  if (!isRecord(result) || !Array.isArray(result.userErrors)) return result;
  return { ...result, userErrors: (result.userErrors as UserError[]).map((e) => ({ message: e.message, path: e.path ?? null })) };
}

/** A field's arguments as plain values, `$variables` substituted. */
function argumentsOf(field: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const arg of field.arguments ?? []) args[arg.name.value] = valueFromASTUntyped(arg.value, variables);
  return args;
}

/** Keeps only the selected fields of a result, as a GraphQL server answers. */
function project(value: unknown, selectionSet: SelectionSetNode | undefined): unknown {
  if (!selectionSet || value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => project(v, selectionSet));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const sel of selectionSet.selections) {
    if (sel.kind !== Kind.FIELD) throw new GraphQLRequestError('Fragments are not supported by the sandbox');
    const name = sel.name.value;
    if (name === '__typename') continue;
    if (!(name in value)) throw new GraphQLRequestError(`Cannot query field "${name}"`);
    out[sel.alias?.value ?? name] = project(value[name], sel.selectionSet);
  }
  return out;
}

/** `syncId` as the third-party connectors compute it: SHA-256 of the `profiles` string. */
export function stackAdaptSyncId(profiles: string): string {
  return createHash('sha256').update(profiles, 'utf8').digest('hex');
}
