import { randomBytes } from 'node:crypto';
import type { IdentifierKind, Workspace } from '../config/schema';
import { compileMembers } from '../segments';
import { loadCatalog } from '../segments/load-catalog';
import { type RefreshDeps, refreshSegment } from '../state/membership';
import { SegmentLockedError } from '../state/runs';
import type { StateSql, TableName } from '../state/state-sql';
import type { CompiledQuery } from '../warehouse/driver';

/**
 * Segments evaluated once per as-of however many syncs use them (`sync run --all`): the first sync
 * of a segment materialises its members, with every identifier the entity maps, into a state table
 * (`members_<token>`); each sync's diff, and the segment's membership refresh, read from it
 * (`select * from` it) instead of evaluating the segment again, and so does the refresh of the
 * segment's membership tables at the same as-of (when asked). `dropAll` removes the tables.
 *
 * @example
 * const shared = new SharedMembers(state, workspace);
 * try { await runSync({ ...deps, members: (id, asOf) => shared.query(id, asOf) }, input); } finally { await shared.dropAll(); }
 */
export class SharedMembers {
  readonly #state: StateSql;
  readonly #workspace: Workspace;
  readonly #tables = new Map<string, Promise<TableName>>();
  /** Segment evaluations done, for reports and tests. */
  evaluations = 0;

  readonly #refresh: RefreshDeps | undefined;

  /** With `refresh`, each segment's membership tables are refreshed from its members at the same as-of. */
  constructor(state: StateSql, workspace: Workspace, refresh?: RefreshDeps) {
    this.#state = state;
    this.#workspace = workspace;
    this.#refresh = refresh;
  }

  /** The members of `segmentId` at `asOf`: `select * from` its table, materialised on first use. */
  async query(segmentId: string, asOf: Date): Promise<CompiledQuery> {
    const key = `${segmentId}@${asOf.toISOString()}`;
    let table = this.#tables.get(key);
    if (!table) {
      table = this.#materialise(segmentId, asOf);
      this.#tables.set(key, table);
      // A failed evaluation is tried again by the next sync that asks.
      table.catch(() => this.#tables.delete(key)).catch(() => undefined);
    }
    return this.#state.compile('select-all', { table: await table });
  }

  async #materialise(segmentId: string, asOf: Date): Promise<TableName> {
    const state = this.#state;
    const ws = this.#workspace;
    const segment = ws.segments.find((s) => s.id === segmentId)!;
    const entity = ws.entities.find((e) => e.id === segment.entity)!;
    const identifiers = Object.keys(entity.identifiers) as IdentifierKind[];
    const catalog = await loadCatalog(state.warehouse, ws);
    // With each member's split group: each sync keeps the groups it sends, the refresh records them.
    const members = compileMembers(ws, segmentId, { dialect: state.warehouse.dialect, asOf, identifiers, catalog, splitGroup: true });
    const table = state.table(`members_${randomBytes(6).toString('hex')}`);
    await state.execute('materialise-members', { table, members: members.sql }, state.binder(members.params));
    this.evaluations++;
    if (this.#refresh) {
      try {
        // The membership tables show what the syncs sent: the same members, the same as-of.
        await refreshSegment(this.#refresh, segmentId, asOf, state.compile('select-all', { table }));
      } catch (err) {
        // A refresh of the segment running elsewhere writes its own as-of; the syncs go on.
        if (!(err instanceof SegmentLockedError)) throw err;
        this.#refresh.log?.('membership_refresh_skipped', { segmentId, reason: err.message });
      }
    }
    return table;
  }

  /** Drops every table this batch materialised. */
  async dropAll(): Promise<void> {
    const tables = await Promise.allSettled(this.#tables.values());
    this.#tables.clear();
    for (const t of tables) if (t.status === 'fulfilled') await this.#state.execute('drop-table', { table: t.value });
  }
}
