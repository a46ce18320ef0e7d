import type { AudienceRef, Destination, IdentifierKind, MemberRow, RowResult } from '../src/destinations/contract';

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
