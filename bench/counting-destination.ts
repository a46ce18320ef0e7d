import type { AudienceRef, Destination, IdentifierKind, MemberRow, PreparedRow, RowResult } from '../src/destinations/contract';
import { sha256Hex } from '../src/identity/hash';

/** A destination that only counts the rows it is sent: a benchmark measures Outflow, not a platform. */
export class CountingDestination implements Destination {
  readonly batchLimit = 10_000;
  readonly concurrency = 4;
  readonly acceptedIdentifiers: readonly IdentifierKind[] = ['email', 'phone'];
  rows = 0;
  async testConnection(): Promise<void> {}
  async createAudience(i: { name: string }): Promise<AudienceRef> {
    return { id: i.name, name: i.name };
  }
  /** SHA-256 of each trimmed, lowercased value: a platform's hashing cost, without its rules. */
  async prepareKeys(rows: readonly MemberRow[]): Promise<PreparedRow[]> {
    return rows.map((r) => {
      const keys: PreparedRow['keys'] = {};
      for (const [k, v] of Object.entries(r.identifiers)) if (v) keys[k as IdentifierKind] = sha256Hex(v.trim().toLowerCase());
      return { personId: r.personId, keys };
    });
  }
  async addMembers(_a: AudienceRef, rows: readonly MemberRow[]): Promise<RowResult[]> {
    this.rows += rows.length;
    return rows.map((r) => ({ personId: r.personId, ok: true }));
  }
  removeMembers(a: AudienceRef, rows: readonly MemberRow[]): Promise<RowResult[]> {
    return this.addMembers(a, rows);
  }
  async readMatchRate() {
    return { status: 'ready' as const };
  }
}
