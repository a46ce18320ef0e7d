import type { IdentifierKind } from '../config/schema';

/**
 * The interface every destination implements (file export, ad platforms, webhooks).
 * Connectors receive *raw* identifier values as stored in the warehouse and normalise/hash
 * them by their platform's own rules (src/identity); they never see internal segment names.
 */

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
  /** Checks credentials and access with one cheap call; throws a DestinationError. */
  testConnection(): Promise<void>;
  /** Finds the audience of this name, or creates it. Never creates a duplicate. */
  createAudience(input: { name: string; description?: string }): Promise<AudienceRef>;
  addMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]>;
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
