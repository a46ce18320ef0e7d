import type { z } from 'zod';
import type { DestinationType, IdentifierKind } from '../config/schema';
import type { EncodePool } from '../../connectors/shared/encode-pool';
import type { RecordSpec } from './record';

/**
 * The destination contract: what every connector (connectors/<type>/) implements and all it may
 * rely on from the core. A connector imports this module, the connector kit (connectors/shared/)
 * and src/identity, nothing else (eslint enforces it). Which connectors exist, and how a
 * workspace's destination config becomes a Destination, is the registry's business
 * (src/destinations/registry.ts).
 *
 * Connectors receive *raw* identifier values as stored in the warehouse only in prepareKeys, which
 * normalises and hashes them by their platform's own rules (src/identity) into keys; addMembers and
 * removeMembers receive those keys. They never see internal segment names.
 */

export type { DestinationType, IdentifierKind } from '../config/schema';
export { IDENTIFIER_KINDS } from '../config/schema';
/** Thrown for bad input a connector finds outside its settings schema (e.g. an environment variable). */
export { UserInputError } from '../config/errors';
export { buildRecord, columnFields, decodeRecordValues, type FieldSource, type RecordMode, type RecordSpec } from './record';

/** An audience in the destination, created or found by name (the segment's alias). */
export interface AudienceRef {
  /** The platform's id of the audience. */
  id: string;
  name: string;
}

/** One person to add or remove: the primary key and the identifier values the sync sends. */
export interface MemberRow {
  personId: string;
  identifiers: Partial<Record<IdentifierKind, string | null>>;
}

/**
 * One person's identifiers in the platform's key space: per kind, exactly the value sent (normalised,
 * and hashed where the platform hashes). Removing sends the same keys that adding sent.
 */
export interface PreparedRow {
  personId: string;
  /** Usable keys by kind; kinds whose value the platform cannot take are left out. */
  keys: Partial<Record<IdentifierKind, string>>;
  /** Why none of the row's values can be used (never the value itself); set only when `keys` is empty. */
  rejected?: string;
}

/** The outcome of one row of a batch. Rejected rows are reported, never silently dropped. */
export type RowResult = { personId: string; ok: true } | { personId: string; ok: false; reason: string };

/** What a platform reports after processing (minutes to 48 hours after upload). */
export interface MatchRate {
  /** `ready` when the platform has finished processing the latest upload. */
  status: 'processing' | 'ready';
  /** Share of uploaded people the platform matched, 0..1, when the platform reports one. */
  matchRate?: number;
  /** Matched audience size (or its lower bound where the platform only gives a range). */
  audienceSize?: number;
  audienceSizeUpper?: number;
  /**
   * What the run shows as warnings, not failures: e.g. the audience is below the size the platform
   * needs before campaigns can use it.
   */
  warnings?: string[];
}

export interface BatchContext {
  /** Deterministic id of this batch (`<runId>/<kind>/<sequence>`), usable as an idempotency key. */
  batchId: string;
  signal?: AbortSignal;
}

export interface Destination {
  /** Largest number of rows one addMembers/removeMembers call takes. */
  readonly batchLimit: number;
  /** How many batches may be in flight at once. */
  readonly concurrency: number;
  /** Identifier kinds the platform accepts, in order of preference. */
  readonly acceptedIdentifiers: readonly IdentifierKind[];
  /**
   * Set by destinations of classic syncs (the webhook): each member goes as a record of mapped
   * fields rather than identifier keys (src/destinations/record.ts). The run then selects the
   * encoded record as the member's one `externalId` value, prepareKeys turns it into the record's
   * JSON (the key the snapshot keeps, so a remove sends the record last sent), and the spec's
   * `mode` replaces the sync's.
   */
  readonly records?: RecordSpec;
  /** Checks credentials and access with one cheap call; throws a DestinationError. */
  testConnection(): Promise<void>;
  /** Finds the audience of this name, or creates it. Never creates a duplicate. */
  createAudience(input: { name: string; description?: string }): Promise<AudienceRef>;
  /**
   * Normalises and hashes raw identifier values into the platform's key space: deterministic (a value
   * always gives the same key), one result per row, in order; large inputs on the hashing threads.
   */
  prepareKeys(rows: readonly MemberRow[]): Promise<PreparedRow[]>;
  /** `rows` hold keys from prepareKeys (`identifiers` = the PreparedRow's `keys`), never raw values; the connector sends them as they are. */
  addMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]>;
  /** `rows` hold keys from prepareKeys (`identifiers` = the PreparedRow's `keys`), never raw values; the connector sends them as they are. */
  removeMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]>;
  readMatchRate(audience: AudienceRef): Promise<MatchRate>;
  close?(): Promise<void>;
}

/**
 * The small error taxonomy every connector maps its platform's failures into, once, at its edge.
 * Classify by HTTP status and platform error code, never by message text.
 */
export type DestinationErrorKind = 'retryable' | 'rate_limited' | 'invalid_auth' | 'invalid_payload';

export class DestinationError extends Error {
  override readonly name = 'DestinationError';
  readonly kind: DestinationErrorKind;
  /** For `rate_limited`: how long the platform asked us to wait. */
  readonly retryAfterMs?: number;
  /** HTTP status or platform code, for the run report. */
  readonly code?: string;

  constructor(
    kind: DestinationErrorKind,
    message: string,
    options: { retryAfterMs?: number; code?: string | number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.code !== undefined) this.code = String(options.code);
  }

  /** Retrying the same call may succeed. */
  get retryable(): boolean {
    return this.kind === 'retryable' || this.kind === 'rate_limited';
  }
}

/** What a connector gets besides its settings. */
export interface ConnectorDeps {
  /** Folder of the workspace file; relative paths in settings resolve from here. */
  baseDir: string;
  /** The workspace's id of this destination, for error messages (`destination "meta-main"`). */
  destinationId?: string;
  /** Structured log with secrets and personal data already kept out by the caller. */
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Injected for tests: fetch implementation and clock. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Where large requests are normalised and hashed; default the process's shared pool. */
  encodePool?: EncodePool;
}

/**
 * What a platform takes as an audience name, on top of Outflow's own rule for names that leave it
 * (letters, digits, "-" and "_", no health terms; src/config/schema.ts). `outflow validate` checks
 * each sync's audience name against its destination's rule, and the registry again before
 * createAudience.
 */
export interface AudienceNameRule {
  /** Longest name the platform takes, in characters. */
  maxLength: number;
  /** Characters the platform takes, where it is stricter than Outflow's rule, and how to say so. */
  pattern?: { test: RegExp; expected: string };
}

/** For platforms that document no limit: as long as an alias (64), which every documented platform takes. */
export const DEFAULT_AUDIENCE_NAME_RULE: AudienceNameRule = { maxLength: 64 };

/**
 * One destination type. Every connector folder has the same shape: `index.ts` exports a
 * definition like this one as its default, `api.ts` holds the thin typed client.
 *
 * @example
 * export default { type: 'meta', title: 'Meta Custom Audiences', settingsSchema, secretSettings: ['accessToken'],
 *   identifiers: ['email', 'phone'], create: (settings, deps) => new MetaDestination(settings, deps) } satisfies ConnectorDefinition<MetaSettings>;
 */
export interface ConnectorDefinition<S = Record<string, unknown>> {
  type: DestinationType;
  /** Human name for the UI and messages. */
  title: string;
  /** Settings schema; strict, so typos are errors at `destinations[i].settings.<key>`. */
  settingsSchema: z.ZodType<S>;
  /** Settings keys that hold secrets: never logged, encrypted at rest, masked in the UI. */
  secretSettings: readonly string[];
  /** Identifier kinds the platform accepts, in order of preference (one-click default). */
  identifiers: readonly IdentifierKind[];
  /** The platform's own rule for audience names (default DEFAULT_AUDIENCE_NAME_RULE). */
  audienceNames?: AudienceNameRule;
  /**
   * The smallest audience the platform documents as usable (it serves or matches nothing below
   * it). A run that would leave fewer members stops for confirmation; a destination's own
   * `minAudienceSize` overrides this default.
   */
  minAudienceSize?: number;
  /**
   * For destinations of classic syncs (the webhook): the record their settings describe, which
   * `outflow validate` checks against each sync's entity (and, with `--check-warehouse`, its columns).
   */
  records?(settings: S): RecordSpec;
  create(settings: S, deps: ConnectorDeps): Destination;
}
