import type {
  AudienceRef,
  BatchContext,
  ConnectorDeps,
  Destination,
  IdentifierKind,
  MatchRate,
  MemberRow,
  PreparedRow,
  RowResult,
} from '../../src/destinations/contract';
import { checkConnection } from './connection';
import { EncodePool } from './encode-pool';
import type { EncoderName } from './encoders';
import { RequestGate } from './gate';
import { prepareKeysOnPool } from './keys';

/**
 * What every kit connector's Destination shares: its label, the request gate, prepareKeys over the
 * platform's keys encoder, testConnection around one cheap call, and add/remove as one `send`. A
 * connector adds its platform's createAudience, send and readMatchRate.
 *
 * Calls: by default two requests per call (`batchLimit`) and one call more than requests in
 * flight, so that while `requestsInFlight` requests are out, the extra call's rows are hashed
 * (bench/upload-platforms.ts).
 */
export interface KitDestinationOptions {
  label: string;
  /** Platform requests in flight at once (the request gate). */
  requestsInFlight: number;
  /** Rows in one platform request. */
  rowsPerRequest: number;
  /** The keys encoder of the hashing pool (encoders.ts). */
  encoder: EncoderName;
  acceptedIdentifiers: readonly IdentifierKind[];
  /** The one identifier the platform's audience is built from (it holds one type): prepareKeys reads no other. */
  keyedBy?: IdentifierKind;
  deps: ConnectorDeps;
  /** Rows per call and calls in flight, where the platform needs other than the default. */
  batchLimit?: number;
  concurrency?: number;
}

export abstract class KitDestination implements Destination {
  readonly batchLimit: number;
  readonly concurrency: number;
  readonly acceptedIdentifiers: readonly IdentifierKind[];
  protected readonly label: string;
  protected readonly gate: RequestGate;
  protected readonly deps: ConnectorDeps;
  /** The hashing threads, for connectors that also build request bodies there (Meta). */
  protected readonly pool: EncodePool;
  readonly #encoder: EncoderName;
  readonly #keyedBy: IdentifierKind | undefined;

  constructor(o: KitDestinationOptions) {
    this.label = o.label;
    this.deps = o.deps;
    this.acceptedIdentifiers = o.acceptedIdentifiers;
    this.gate = new RequestGate(o.requestsInFlight);
    this.batchLimit = o.batchLimit ?? o.rowsPerRequest * 2;
    this.concurrency = o.concurrency ?? o.requestsInFlight + 1;
    this.pool = o.deps.encodePool ?? EncodePool.shared();
    this.#encoder = o.encoder;
    this.#keyedBy = o.keyedBy;
  }

  /** The one cheap authenticated call testConnection makes. */
  protected abstract probe(): Promise<unknown>;
  /** Sends a call's keyed rows as adds or removes; one result per row. */
  protected abstract send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]>;
  abstract createAudience(input: { name: string; description?: string }): Promise<AudienceRef>;
  abstract readMatchRate(audience: AudienceRef): Promise<MatchRate>;

  testConnection(): Promise<void> {
    return checkConnection(this.label, () => this.probe());
  }

  prepareKeys(rows: readonly MemberRow[]): Promise<PreparedRow[]> {
    const kind = this.#keyedBy;
    const input = kind === undefined ? rows : rows.map((r) => ({ personId: r.personId, identifiers: { [kind]: r.identifiers[kind] ?? null } }));
    return prepareKeysOnPool(this.pool, this.#encoder, input);
  }

  addMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return this.send('add', audience, rows, ctx);
  }

  removeMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return this.send('remove', audience, rows, ctx);
  }
}
