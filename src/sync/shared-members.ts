import { randomBytes } from 'node:crypto';
import type { IdentifierKind, SyncConfig, Workspace } from '../config/schema';
import { compileMembers, compileNormalized } from '../segments';
import { type AudienceQueries, audienceTrees, compilePriorityList, priorityPlace, syncExclusions } from '../segments/audience-source';
import { priorityFlag } from '../segments/printer';
import { loadCatalog } from '../segments/load-catalog';
import { type RefreshDeps, refreshSegment } from '../state/membership';
import { SegmentLockedError } from '../state/runs';
import type { StateSql, TableName } from '../state/state-sql';
import type { CompiledQuery } from '../warehouse/driver';

/**
 * Segments evaluated once per as-of however many syncs use them (`sync run --all`; a priority list
 * in one statement for all its segments, the exclusions once per set): the first sync
 * of a segment materialises its members, with every identifier the entity maps, into a state table
 * (`members_<token>`); each sync's diff, and the segment's membership refresh, read from it
 * (`select * from` it) instead of evaluating the segment again, and so does the refresh of the
 * segment's membership tables at the same as-of (when asked). `dropAll` removes the tables.
 *
 * @example
 * const shared = new SharedMembers(state, workspace);
 * try { await runSync({ ...deps, audience: (sync, asOf) => shared.audience(sync, asOf) }, input); } finally { await shared.dropAll(); }
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

  /**
   * The members of `segmentId` at `asOf`: `select * from` its table, materialised on first use. A
   * segment of a priority list is read from the list's table (every segment of the list, one
   * statement), keeping the persons flagged as its members.
   */
  async query(segmentId: string, asOf: Date): Promise<CompiledQuery> {
    const place = priorityPlace(this.#workspace, segmentId);
    if (!place) return this.#state.compile('select-all', { table: await this.#table(segmentId, asOf) });
    return this.#audience(await this.#table(place.list.id, asOf, true), { flag: priorityFlag(place.index) });
  }

  /**
   * What a sync sends at `asOf` (the queries `compileAudience` would give): its segment's table,
   * deduplicated by its priority list (the persons of its rank in the list's table), without the
   * persons of its exclusions (their own table, materialised once per set of exclusions).
   */
  async audience(sync: SyncConfig, asOf: Date): Promise<AudienceQueries> {
    const place = priorityPlace(this.#workspace, sync.segment);
    const exclusions = syncExclusions(this.#workspace, sync);
    if (!place && exclusions.length === 0) return { members: await this.query(sync.segment, asOf) };
    const source = place
      ? { table: await this.#table(place.list.id, asOf, true), rank: place.index }
      : { table: await this.#table(sync.segment, asOf) };
    if (exclusions.length === 0) return { members: this.#audience(source.table, { rank: source.rank }) };
    const excludedTable = await this.#excluded(sync.segment, exclusions, asOf);
    return {
      members: this.#audience(source.table, { rank: source.rank, excluded: excludedTable, keep: false }),
      excludedCount: this.#audience(source.table, { rank: source.rank, excluded: excludedTable, keep: true, count: true }),
      excludedMembers: this.#state.compile('select-all', { table: excludedTable }),
    };
  }

  /** `select-audience` over a materialised table: a rank or flag of a list's table, with or without the excluded persons. */
  #audience(table: TableName, o: { rank?: number | undefined; flag?: string; excluded?: TableName; keep?: boolean; count?: boolean }): CompiledQuery {
    const b = this.#state.binder();
    const ctx = {
      table,
      rank: o.rank !== undefined ? b.bind(o.rank) : undefined,
      flag: o.flag,
      one: o.flag !== undefined ? b.bind(1) : undefined,
      excluded: o.excluded,
      keep: o.keep ?? false,
      count: o.count ?? false,
    };
    return this.#state.compile('select-audience', ctx, b);
  }

  /** The table of `key` (a segment, or with `list` a priority list) at `asOf`, materialised on first use. */
  #table(key: string, asOf: Date, list = false): Promise<TableName> {
    return this.#once(`${list ? 'list:' : ''}${key}@${asOf.toISOString()}`, () => (list ? this.#materialiseList(key, asOf) : this.#materialise(key, asOf)));
  }

  /** The persons of any of `exclusions` at `asOf` (person_id only), materialised once per set. */
  #excluded(segmentId: string, exclusions: readonly string[], asOf: Date): Promise<TableName> {
    return this.#once(`exclusions:${[...exclusions].sort().join(',')}@${asOf.toISOString()}`, async () => {
      const { excluded, source } = audienceTrees(this.#workspace, segmentId, exclusions);
      const catalog = await loadCatalog(this.#state.warehouse, this.#workspace);
      const members = compileNormalized({ ...source, tree: excluded }, { dialect: this.#state.warehouse.dialect, asOf, catalog }, 'members');
      return this.#create(members);
    });
  }

  #once(key: string, make: () => Promise<TableName>): Promise<TableName> {
    let table = this.#tables.get(key);
    if (!table) {
      table = make();
      this.#tables.set(key, table);
      // A failed evaluation is tried again by the next sync that asks.
      table.catch(() => this.#tables.delete(key)).catch(() => undefined);
    }
    return table;
  }

  async #create(members: CompiledQuery): Promise<TableName> {
    const state = this.#state;
    const table = state.table(`members_${randomBytes(6).toString('hex')}`);
    await state.execute('materialise-members', { table, members: members.sql }, state.binder(members.params));
    this.evaluations++;
    return table;
  }

  #identifiers(segmentId: string): IdentifierKind[] {
    const segment = this.#workspace.segments.find((s) => s.id === segmentId)!;
    return Object.keys(this.#workspace.entities.find((e) => e.id === segment.entity)!.identifiers) as IdentifierKind[];
  }

  async #materialise(segmentId: string, asOf: Date): Promise<TableName> {
    const ws = this.#workspace;
    const catalog = await loadCatalog(this.#state.warehouse, ws);
    // With each member's split group: each sync keeps the groups it sends, the refresh records them.
    const table = await this.#create(compileMembers(ws, segmentId, { dialect: this.#state.warehouse.dialect, asOf, identifiers: this.#identifiers(segmentId), catalog, splitGroup: true }));
    await this.#refreshFrom(segmentId, asOf, this.#state.compile('select-all', { table }));
    return table;
  }

  /** Every segment of a priority list in one statement (`compilePriorityList`); each segment's membership refreshed from it. */
  async #materialiseList(listId: string, asOf: Date): Promise<TableName> {
    const ws = this.#workspace;
    const list = ws.priorityLists.find((l) => l.id === listId)!;
    const catalog = await loadCatalog(this.#state.warehouse, ws);
    const table = await this.#create(compilePriorityList(ws, listId, { dialect: this.#state.warehouse.dialect, asOf, identifiers: this.#identifiers(list.segments[0]!), catalog }));
    for (const [i, segmentId] of list.segments.entries()) await this.#refreshFrom(segmentId, asOf, this.#audience(table, { flag: priorityFlag(i) }));
    return table;
  }

  async #refreshFrom(segmentId: string, asOf: Date, members: CompiledQuery): Promise<void> {
    if (!this.#refresh) return;
    try {
      // The membership tables show what the syncs sent: the same members, the same as-of.
      await refreshSegment(this.#refresh, segmentId, asOf, members);
    } catch (err) {
      // A refresh of the segment running elsewhere writes its own as-of; the syncs go on.
      if (!(err instanceof SegmentLockedError)) throw err;
      this.#refresh.log?.('membership_refresh_skipped', { segmentId, reason: err.message });
    }
  }

  /** Drops every table this batch materialised. */
  async dropAll(): Promise<void> {
    const tables = await Promise.allSettled(this.#tables.values());
    this.#tables.clear();
    for (const t of tables) if (t.status === 'fulfilled') await this.#state.execute('drop-table', { table: t.value });
  }
}
