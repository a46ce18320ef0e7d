import type { IdentifierKind } from '../../../src/config/schema';
import {
  type AudienceRef,
  type BatchContext,
  type Destination,
  DestinationError,
  type MatchRate,
  type MemberRow,
  type RowResult,
} from '../../../src/destinations/contract';

export interface Call {
  op: 'add' | 'remove';
  batchId: string;
  personIds: string[];
  rows: MemberRow[];
}

/**
 * A destination that keeps its audience in memory and records every call, for asserting what a
 * platform would hold. `failWith` makes calls throw (per call number, from 1).
 */
export class MemoryDestination implements Destination {
  readonly acceptedIdentifiers: readonly IdentifierKind[];
  readonly batchLimit: number;
  readonly concurrency: number;
  /** personId -> identifier values currently in the audience. */
  readonly members = new Map<string, MemberRow['identifiers']>();
  readonly calls: Call[] = [];
  audiences: string[] = [];
  attempts = 0;
  failWith?: (attempt: number, op: 'add' | 'remove') => DestinationError | undefined;
  reject?: (row: MemberRow) => string | undefined;

  constructor(o: { batchLimit?: number; concurrency?: number; accepted?: readonly IdentifierKind[] } = {}) {
    this.batchLimit = o.batchLimit ?? 3;
    this.concurrency = o.concurrency ?? 2;
    this.acceptedIdentifiers = o.accepted ?? ['email', 'phone'];
  }

  async testConnection(): Promise<void> {}

  async createAudience(input: { name: string }): Promise<AudienceRef> {
    if (!this.audiences.includes(input.name)) this.audiences.push(input.name);
    return { id: `aud-${input.name}`, name: input.name };
  }

  addMembers(_a: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return this.#apply('add', rows, ctx);
  }

  removeMembers(_a: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return this.#apply('remove', rows, ctx);
  }

  async readMatchRate(): Promise<MatchRate> {
    return { status: 'ready', audienceSize: this.members.size };
  }

  async #apply(op: 'add' | 'remove', rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    this.attempts++;
    const err = this.failWith?.(this.attempts, op);
    if (err) throw err;
    if (rows.length > this.batchLimit) throw new DestinationError('invalid_payload', `batch of ${rows.length} > ${this.batchLimit}`);
    this.calls.push({ op, batchId: ctx.batchId, personIds: rows.map((r) => r.personId), rows: [...rows] });
    return rows.map((r) => {
      const reason = this.reject?.(r);
      if (reason) return { personId: r.personId, ok: false as const, reason };
      if (op === 'add') this.members.set(r.personId, r.identifiers);
      else this.members.delete(r.personId);
      return { personId: r.personId, ok: true as const };
    });
  }
}
