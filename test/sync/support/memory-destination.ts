import type { IdentifierKind } from '../../../src/config/schema';
import {
  type AudienceRef,
  type BatchContext,
  type Destination,
  DestinationError,
  type MatchRate,
  type MemberRow,
  type PreparedRow,
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
 * platform would hold. `failWith` makes calls throw (per call number, from 1). Its key space is
 * readable: a key is the value trimmed and lowercased (a stand-in for a platform's hash), so two
 * values that differ only by case or blanks are one key, as on Meta.
 */
export class MemoryDestination implements Destination {
  readonly acceptedIdentifiers: readonly IdentifierKind[];
  readonly batchLimit: number;
  readonly concurrency: number;
  /** personId -> keys of the last row added for that person (rows of removes delete their person). */
  readonly members = new Map<string, MemberRow['identifiers']>();
  /** The audience as a platform holds it: a set of `kind:key`. */
  readonly keys = new Set<string>();
  /** Adds of a key already held, and removes of a key not held: what key-space mirroring avoids. */
  readonly violations: string[] = [];
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

  async prepareKeys(rows: readonly MemberRow[]): Promise<PreparedRow[]> {
    return rows.map((r) => {
      const keys: PreparedRow['keys'] = {};
      for (const [k, v] of Object.entries(r.identifiers)) {
        const key = v?.trim().toLowerCase();
        if (key) keys[k as IdentifierKind] = key;
      }
      return Object.keys(keys).length > 0 ? { personId: r.personId, keys } : { personId: r.personId, keys, rejected: 'no identifier value' };
    });
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
      for (const [k, v] of Object.entries(r.identifiers)) {
        if (v === null || v === undefined) continue;
        const key = `${k}:${v}`;
        if (op === 'add' ? this.keys.has(key) : !this.keys.has(key)) this.violations.push(`${op} ${key}`);
        if (op === 'add') this.keys.add(key);
        else this.keys.delete(key);
      }
      return { personId: r.personId, ok: true as const };
    });
  }
}
