import { randomBytes } from 'node:crypto';
import { UserInputError } from '../config/errors';
import type { Workspace } from '../config/schema';
import { compileMembers } from '../segments';
import { checkKeyQuery } from '../segments/key-query';
import type { Binder } from '../warehouse/binder';
import { asSubquery, SqlRejectedError, type WarehouseDriver } from '../warehouse/driver';
import { ensureStateSchema, type StateSql } from './state-sql';

/** Keys per statement when the engine reads one bound JSON array (`state/static-keys-list`). */
const KEYS_PER_JSON_INSERT = 10_000;
/** Keys per statement as single bound values, well under every engine's parameter limit. */
const KEYS_PER_VALUES_INSERT = 500;

/** A change to a static segment's stored members: how many it had before and has after. */
export interface StaticMembersChange {
  segmentId: string;
  before: number;
  after: number;
}

/** Called after each chunk of a long change with the keys handled so far. */
export type ChunkProgress = (keys: number) => void;

/**
 * The stored members of static segments, in the state schema's `static_segment_members` table
 * (docs/state.md). Every change runs in the warehouse: keys given by the user arrive in bound
 * chunks and are never held whole; keys from a query or another segment go from SELECT to
 * INSERT / DELETE inside the warehouse and never reach Node. A user's query is checked first
 * (`checkKeyQuery`) and, where the engine has read-only transactions, read in one.
 *
 * @example
 * const members = await StaticMembers.open(warehouse, workspace);
 * await members.add('vips', ['p1', 'p2']);
 * await members.populate('vips', 'select person_id from crm.vips', 'populateSql');
 */
export class StaticMembers {
  readonly #state: StateSql;
  readonly #workspace: Workspace;
  readonly #clock: () => Date;

  private constructor(state: StateSql, workspace: Workspace, clock: () => Date) {
    this.#state = state;
    this.#workspace = workspace;
    this.#clock = clock;
  }

  /** Creates the state schema if it is missing. */
  static async open(warehouse: WarehouseDriver, workspace: Workspace, clock: () => Date = () => new Date()): Promise<StaticMembers> {
    return new StaticMembers(await ensureStateSchema(warehouse, workspace.stateSchema), workspace, clock);
  }

  get #warehouse(): WarehouseDriver {
    return this.#state.warehouse;
  }

  /** Number of stored members (the keys the definition lists are not counted). */
  async count(segmentId: string, on: WarehouseDriver = this.#warehouse): Promise<number> {
    const b = this.#state.binder();
    const [row] = await this.#state.query<{ n: number | string }>('static-members-count', { segmentId: b.bind(segmentId) }, b, on);
    return Number(row?.n ?? 0);
  }

  /** Up to `limit` stored members in key order, after the key `after`. */
  async page(segmentId: string, o: { after?: string; limit: number }): Promise<string[]> {
    const b = this.#state.binder();
    const ctx = { segmentId: b.bind(segmentId), after: o.after === undefined ? undefined : b.bind(o.after), limit: b.bind(o.limit) };
    return (await this.#state.query<{ person_id: string }>('static-members-page', ctx, b)).map((r) => String(r.person_id));
  }

  /** Adds keys (read chunk by chunk: a file of millions stays flat in memory). */
  add(segmentId: string, keys: Iterable<string> | AsyncIterable<string>, progress?: ChunkProgress): Promise<StaticMembersChange> {
    return this.#change(segmentId, (tx) => this.#eachChunk(keys, progress, (source, b) => this.#apply(tx, 'static-members-add', segmentId, source, b)));
  }

  /** Removes keys (read chunk by chunk). */
  remove(segmentId: string, keys: Iterable<string> | AsyncIterable<string>, progress?: ChunkProgress): Promise<StaticMembersChange> {
    return this.#change(segmentId, (tx) => this.#eachChunk(keys, progress, (source, b) => this.#apply(tx, 'static-members-remove', segmentId, source, b)));
  }

  /** Makes `keys` the stored members, in one transaction. */
  replace(segmentId: string, keys: Iterable<string> | AsyncIterable<string>, progress?: ChunkProgress): Promise<StaticMembersChange> {
    return this.#change(segmentId, async (tx) => {
      await this.#clear(tx, segmentId);
      await this.#eachChunk(keys, progress, (source, b) => this.#apply(tx, 'static-members-add', segmentId, source, b));
    });
  }

  /** Adds the keys a user's read-only SELECT returns (checked first; input errors at `path`). */
  populate(segmentId: string, sql: string, path: string): Promise<StaticMembersChange> {
    return this.#fromQuery(segmentId, sql, path, 'static-members-add');
  }

  /** Removes the keys a user's read-only SELECT returns (checked first; input errors at `path`). */
  removeByQuery(segmentId: string, sql: string, path: string): Promise<StaticMembersChange> {
    return this.#fromQuery(segmentId, sql, path, 'static-members-remove');
  }

  /** Removes the current members of segment `otherId` (evaluated now, in the same statement). */
  subtract(segmentId: string, otherId: string): Promise<StaticMembersChange> {
    const other = compileMembers(this.#workspace, otherId, { dialect: this.#warehouse.dialect, asOf: this.#clock() });
    return this.#change(segmentId, (tx) => this.#apply(tx, 'static-members-remove', segmentId, `SELECT q.person_id FROM ${asSubquery(other.sql)} AS q`, this.#state.binder(other.params)));
  }

  /** Deletes every stored member (the segment was deleted for good). */
  async forget(segmentId: string): Promise<void> {
    await this.#clear(this.#warehouse, segmentId);
  }

  async #clear(on: WarehouseDriver, segmentId: string): Promise<void> {
    const b = this.#state.binder();
    await this.#state.execute('static-members-clear', { segmentId: b.bind(segmentId) }, b, on);
  }

  /**
   * Runs `change` in one transaction and counts the members before and after it (outside it: some
   * engines read nothing inside a transaction).
   */
  async #change(segmentId: string, change: (tx: WarehouseDriver) => Promise<void>, on: WarehouseDriver = this.#warehouse): Promise<StaticMembersChange> {
    const before = await this.count(segmentId, on);
    await on.transaction(change);
    return { segmentId, before, after: await this.count(segmentId, on) };
  }

  /** `state/<template>` (add or remove) with `source`, a query of text keys named person_id, embedded first. */
  async #apply(on: WarehouseDriver, template: string, segmentId: string, source: string, b: Binder): Promise<void> {
    await this.#state.execute(template, { source, segmentId: b.bind(segmentId), now: b.bind(this.#clock()) }, b, on);
  }

  /** Hands `apply` the keys chunk by chunk, each as a source query with its values bound. */
  async #eachChunk(keys: Iterable<string> | AsyncIterable<string>, progress: ChunkProgress | undefined, apply: (source: string, b: Binder) => Promise<void>): Promise<void> {
    const json = this.#state.compile('static-keys-list', { keys: [], json: '' }).sql !== '';
    const per = json ? KEYS_PER_JSON_INSERT : KEYS_PER_VALUES_INSERT;
    let chunk: string[] = [];
    let done = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      const b = this.#state.binder();
      // Rendered with the statement's binder, so the chunk's values are numbered with its own.
      const source = this.#state.render('static-keys-list', json ? { keys: [], json: b.bind(JSON.stringify(chunk)) } : { keys: chunk.map((k) => b.bind(k)) });
      await apply(source, b);
      done += chunk.length;
      chunk = [];
      progress?.(done);
    };
    for await (const key of keys) {
      chunk.push(key);
      if (chunk.length >= per) await flush();
    }
    await flush();
  }

  async #fromQuery(segmentId: string, sql: string, path: string, template: 'static-members-add' | 'static-members-remove'): Promise<StaticMembersChange> {
    const warehouse = this.#warehouse;
    const column = await checkKeyQuery(warehouse, sql, path);
    const q = this.#state.compile('static-keys-query', { query: asSubquery(sql), column: `q.${warehouse.dialect.quoteIdentifier(column.name)}` });
    if (!warehouse.readOnlyStage) return this.#change(segmentId, (tx) => this.#apply(tx, template, segmentId, q.sql, this.#state.binder()));
    const name = `outflow_keys_${randomBytes(6).toString('hex')}`;
    const stage = {
      create: this.#state.compile('create-stage', { name }),
      fill: this.#state.compile('fill-stage', { name, source: q.sql }),
      drop: this.#state.compile('drop-table', { table: name }),
    };
    const source = this.#state.compile('stage-keys', { name }).sql;
    try {
      return await warehouse.readOnlyStage(stage, (session) => this.#change(segmentId, (tx) => this.#apply(tx, template, segmentId, source, this.#state.binder()), session));
    } catch (err) {
      throw err instanceof SqlRejectedError ? new UserInputError([{ path, message: err.message }]) : err;
    }
  }
}
