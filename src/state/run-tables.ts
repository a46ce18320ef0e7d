import type { IdentifierKind } from '../config/schema';
import type { MemberRow, PreparedRow } from '../destinations/contract';
import type { CompiledQuery, WarehouseDriver } from '../warehouse/driver';
import { IDENTIFIER_COLUMNS, type StateSql, type TableName } from './state-sql';

/**
 * What one run keeps in the state schema besides its row: its tables (the diff by person, the keys
 * of the persons added, and what it sends in the destination's key space; they outlive a crash so
 * the next `sync run` resumes the same sends, and are dropped when the run finishes), the ledger of
 * batches the destination acknowledged with the rows it rejected, and the commit of the diff into
 * the target's snapshot. Members are never materialised: the segment query is diffed against the
 * snapshot in the same statement. Snapshots hold keys and fingerprints, never raw values.
 */

export type ChangeKind = 'add' | 'remove';

/**
 * What a snapshot is bound to: the sync, the destination it sent to and the audience it filled.
 * A change of destination or audience name is a new target, with a snapshot of its own.
 */
export interface SnapshotTarget {
  syncId: string;
  destinationId: string;
  audienceName: string;
}

export interface DiffCounts {
  /** Members of the segment at the run's as-of: snapshot + persons added - persons removed. */
  memberCount: number;
  /** Rows of keys to add (one per person that sends a key the audience does not hold yet). */
  added: number;
  /** Rows of keys to remove (one per leaving person that holds a key no member sends any more); in add_only mode none. */
  removed: number;
  /** Persons both removed and added: their identifier values changed. */
  changed: number;
  snapshotCount: number;
}

/** What every table of a run is named after: `run_<run id reduced to identifier-safe characters>_`. */
export function runTablePrefix(runId: string): string {
  return `run_${runId.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_`;
}

/** A table of one run. */
function runTable(state: StateSql, runId: string, part: 'changes' | 'keys' | 'sends'): TableName {
  return state.table(`${runTablePrefix(runId)}${part}`);
}

/** The run's diff by person: who is added (with raw values) and whose snapshot row is removed. */
export function changesTable(state: StateSql, runId: string): TableName {
  return runTable(state, runId, 'changes');
}

/** The keys prepareKeys gave the run's added persons. */
export function keysTable(state: StateSql, runId: string): TableName {
  return runTable(state, runId, 'keys');
}

/** What the run sends: rows of keys to add and to remove. */
export function sendsTable(state: StateSql, runId: string): TableName {
  return runTable(state, runId, 'sends');
}

export const columnsOf = (kinds: readonly IdentifierKind[]): string[] => kinds.map((k) => IDENTIFIER_COLUMNS[k]);
/** Key tables hold every kind: a snapshot may hold keys of kinds the sync no longer sends, which must be removable. */
export const ALL_KINDS = Object.keys(IDENTIFIER_COLUMNS) as IdentifierKind[];
export const KEY_COLUMNS = columnsOf(ALL_KINDS);
/** Kinds that identify a person only together (a name and an address): one key of the audience. */
const TOGETHER: readonly IdentifierKind[] = ['firstName', 'lastName', 'postalCode', 'countryCode'];

/**
 * The keys of the audience model, over the key columns: each kind on its own, except a name and
 * address, which a platform matches as one (Google sends one addressInfo; Meta matches a name only
 * with its zip and country). `flag` names the column marking a send row's use of the unit.
 */
export const KEY_UNITS: readonly { name: string; columns: readonly string[]; single?: string; flag: string }[] = [
  ...ALL_KINDS.filter((k) => !TOGETHER.includes(k)).map((k) => ({ name: k, columns: [IDENTIFIER_COLUMNS[k]], single: IDENTIFIER_COLUMNS[k], flag: `f_${IDENTIFIER_COLUMNS[k]}` })),
  { name: 'address', columns: columnsOf(TOGETHER), flag: 'f_address' },
];
const SEND_COLUMNS = KEY_UNITS.flatMap((u) => u.columns.map((column) => ({ column, flag: u.flag })));

/**
 * The statements that evaluate the segment and diff it by person against the target's confirmed
 * snapshot into the run's changes table: `query` selects `person_id` and one column per
 * identifier kind, named by the kind.
 */
export function diffStatements(
  state: StateSql,
  input: { runId: string; target: SnapshotTarget; query: CompiledQuery; kinds: readonly IdentifierKind[]; fingerprintKinds?: readonly IdentifierKind[] },
): CompiledQuery[] {
  const changes = changesTable(state, input.runId);
  const identifierColumns = columnsOf(input.kinds);
  // The segment query's parameters come first: it precedes the target in the statement.
  const b = state.binder(input.query.params);
  const diff = {
    changes,
    members: input.query.sql,
    identifierColumns,
    fingerprintColumns: input.fingerprintKinds ? columnsOf(input.fingerprintKinds) : identifierColumns,
    sourceColumns: input.kinds.map((k, i) => ({ source: k, column: identifierColumns[i] })),
    target: b.bindAll({ ...input.target }),
  };
  return [
    state.compile('drop-table', { table: changes }),
    state.compile('create-run-changes', { table: changes, identifierColumns }),
    state.compile('insert-run-changes', diff, b),
    state.compile('index-run-table', { name: `${changes.name}_seq`, table: changes, columns: ['kind', 'seq'] }),
  ].filter((q) => q.sql !== '');
}

/** The statements that turn the run's changes and keys into key-level sends (see insert-run-sends). */
export function sendStatements(
  state: StateSql,
  input: { runId: string; target: SnapshotTarget; mode: 'mirror' | 'add_only'; full?: boolean; leaversOnly?: boolean },
): CompiledQuery[] {
  const sends = sendsTable(state, input.runId);
  const b = state.binder();
  const ctx = {
    sends,
    changes: changesTable(state, input.runId),
    keys: keysTable(state, input.runId),
    identifierColumns: KEY_COLUMNS,
    units: KEY_UNITS,
    sendColumns: SEND_COLUMNS,
    mirror: input.mode === 'mirror',
    full: input.full ?? false,
    leaversOnly: input.leaversOnly ?? false,
    target: b.bindAll({ ...input.target }),
  };
  return [
    state.compile('drop-table', { table: sends }),
    state.compile('create-run-sends', { table: sends, identifierColumns: KEY_COLUMNS }),
    state.compile('insert-run-sends', ctx, b),
    state.compile('index-run-table', { name: `${sends.name}_seq`, table: sends, columns: ['kind', 'seq'] }),
  ].filter((q) => q.sql !== '');
}

/** Normalises and hashes raw rows into the destination's key space (Destination.prepareKeys). */
export type KeyPreparer = (rows: readonly MemberRow[]) => Promise<PreparedRow[]>;

/** Raw rows handed to prepareKeys at once: the connector spreads them over its hashing threads. */
export const PREPARE_ROWS = 50_000;
/** Rows per insert of keys as a VALUES list: every value a bound parameter, well under every engine's limit. */
const KEYS_PER_INSERT = 500;
/** Rows per insert of keys a column at a time (one JSON array parameter per column). */
const KEYS_PER_COLUMN_INSERT = 10_000;

/**
 * Writes prepared keys into a keys table, every value bound: a column at a time (one JSON array
 * per column) where the engine renders `insert-run-keys-columns`, else as VALUES lists.
 */
async function insertKeys(state: StateSql, table: TableName, prepared: readonly PreparedRow[]): Promise<void> {
  const columnwise = state.compile('insert-run-keys-columns', { table, identifierColumns: KEY_COLUMNS, values: [] }).sql !== '';
  const per = columnwise ? KEYS_PER_COLUMN_INSERT : KEYS_PER_INSERT;
  for (let i = 0; i < prepared.length; i += per) {
    const chunk = prepared.slice(i, i + per);
    const b = state.binder();
    if (columnwise) {
      const values = [JSON.stringify(chunk.map((p) => p.personId)), ...ALL_KINDS.map((k) => JSON.stringify(chunk.map((p) => p.keys[k] ?? null)))].map((v) => b.bind(v));
      await state.execute('insert-run-keys-columns', { table, identifierColumns: KEY_COLUMNS, values }, b);
    } else {
      const rows = chunk.map((p) => [b.bind(p.personId), ...ALL_KINDS.map((k) => b.bind(p.keys[k] ?? null))]);
      await state.execute('insert-run-keys', { table, identifierColumns: KEY_COLUMNS, rows }, b);
    }
  }
}

/**
 * Prepares the keys of raw rows, slice by slice (`slices`, streamed out of the warehouse), and
 * writes them into `into` with bound parameters. Returns the rows none of whose values the
 * destination can use. `between` runs after each slice (the run renews its lock).
 */
export async function writeKeys(
  state: StateSql,
  o: { into: TableName; slices: AsyncIterable<MemberRow[]>; prepare: KeyPreparer; between?: () => Promise<void> },
): Promise<Rejection[]> {
  const rejected: Rejection[] = [];
  for await (const rows of o.slices) {
    const prepared = await o.prepare(rows);
    if (prepared.length !== rows.length || prepared.some((p, i) => p.personId !== rows[i]!.personId))
      throw new Error(`prepareKeys returned ${prepared.length} rows for ${rows.length}, or out of order`);
    await insertKeys(state, o.into, prepared);
    for (const p of prepared) if (p.rejected !== undefined) rejected.push({ personId: p.personId, reason: p.rejected });
    await o.between?.();
  }
  return rejected;
}

/** Creates (empty) a keys-shaped table. */
export async function createKeysTable(state: StateSql, table: TableName): Promise<void> {
  await state.execute('drop-table', { table });
  await state.execute('create-run-keys', { table, identifierColumns: KEY_COLUMNS });
}

/** The batch id under which rows prepareKeys could not use are recorded (`sync_rejections`). */
export function keysBatchId(runId: string): string {
  return `${runId}/add/keys`;
}

/**
 * Evaluates the segment and diffs it by person against the target's confirmed snapshot, in one
 * warehouse statement; prepares the keys of the persons added (their raw values streamed out in
 * slices, keys written back with bound parameters); then, in the warehouse, the keys to add and
 * to remove. Returns the counts. Not a transaction (some engines read nothing inside one): the
 * caller marks the run diffed only after this returns, and a run that is not marked diffed never
 * reads its tables.
 */
export async function materialiseDiff(
  state: StateSql,
  input: {
    runId: string;
    target: SnapshotTarget;
    query: CompiledQuery;
    kinds: readonly IdentifierKind[];
    /** The kinds whose values the diff compares (default `kinds`); fewer, and a changed value of the others is no change. */
    fingerprintKinds?: readonly IdentifierKind[];
    mode: 'mirror' | 'add_only';
    full?: boolean;
    /** Removes only persons who are not added again (a record destination's upsert replaces the old record). */
    leaversOnly?: boolean;
    prepare: KeyPreparer;
    between?: () => Promise<void>;
  },
): Promise<DiffCounts> {
  for (const { sql, params } of diffStatements(state, input)) await state.warehouse.execute(sql, params);
  const changes = changesTable(state, input.runId);
  const [counts] = await state.query<Record<string, unknown>>('count-run-changes', { changes });
  const personsAdded = Number(counts?.added ?? 0);
  const personsRemoved = Number(counts?.removed ?? 0);

  const keys = keysTable(state, input.runId);
  await createKeysTable(state, keys);
  const rejected = await writeKeys(state, {
    into: keys,
    slices: (async function* () {
      for (let from = 0; from < personsAdded; from += PREPARE_ROWS) yield readRows(state, changes, input.kinds, 'add', from, Math.min(from + PREPARE_ROWS, personsAdded));
    })(),
    prepare: input.prepare,
    ...(input.between ? { between: input.between } : {}),
  });
  if (rejected.length > 0) await recordRejections(state, { runId: input.runId, batchId: keysBatchId(input.runId), kind: 'add' }, rejected);

  // A run that changes nobody sends nothing (unless --full): its sends stay empty, and the scans of the snapshot are skipped.
  const idle = personsAdded === 0 && personsRemoved === 0 && !input.full;
  for (const { sql, params } of sendStatements(state, input)) if (!(idle && sql.startsWith('insert'))) await state.warehouse.execute(sql, params);
  const [sends] = await state.query<Record<string, unknown>>('count-run-sends', { sends: sendsTable(state, input.runId) });
  const snapshotCount = await countSnapshot(state, input.target);
  return {
    memberCount: snapshotCount + personsAdded - personsRemoved,
    added: Number(sends?.added ?? 0),
    removed: input.mode === 'mirror' ? Number(sends?.removed ?? 0) : 0,
    changed: personsAdded + personsRemoved - Number(counts?.persons ?? 0),
    snapshotCount,
  };
}

/**
 * Rows of the run's removals whose person is one of `excluded` (a query of person_id, the
 * exclusions' members): removals the workspace's exclusions asked for.
 */
export async function countExcludedRemoves(state: StateSql, runId: string, excluded: CompiledQuery): Promise<number> {
  const b = state.binder(excluded.params);
  const ctx = { excluded: excluded.sql, sends: sendsTable(state, runId), remove: b.bind('remove') };
  const [row] = await state.query<{ n: unknown }>('count-excluded-removes', ctx, b);
  return Number(row?.n ?? 0);
}

/** Persons in the target's snapshot. */
export async function countSnapshot(state: StateSql, target: SnapshotTarget): Promise<number> {
  const b = state.binder();
  const [row] = await state.query<{ n: unknown }>('snapshot-count', { target: b.bindAll({ ...target }) }, b);
  return Number(row?.n ?? 0);
}

/** Rows per page when a batch is read: small pages let uploads in flight progress in between. */
const READ_PAGE = 2_048;

/**
 * Rows `from <= seq < to` of one side of a run table (`table`: the changes, raw values; the sends,
 * keys), in sequence order, with the values of `kinds` (null ones left out). Streamed in small
 * pages, so a large batch (Meta: 20,000 rows) is converted a page at a time while other batches'
 * requests are in flight, instead of in one long stretch of the event loop.
 */
export async function readRows(
  state: StateSql,
  table: TableName,
  kinds: readonly IdentifierKind[],
  kind: ChangeKind,
  from: number,
  to: number,
): Promise<MemberRow[]> {
  const b = state.binder();
  const ctx = { changes: table, identifierColumns: columnsOf(kinds), kind: b.bind(kind), from: b.bind(from), to: b.bind(to) };
  const { sql, params } = state.compile('select-changes-batch', ctx, b);
  const columns = kinds.map((k) => [k, IDENTIFIER_COLUMNS[k]] as const);
  const out: MemberRow[] = [];
  for await (const page of state.warehouse.stream<Record<string, unknown>>(sql, params, { pageSize: READ_PAGE })) {
    for (const r of page) {
      const identifiers: MemberRow['identifiers'] = {};
      for (const [k, column] of columns) {
        const v = r[column];
        if (v !== null && v !== undefined) identifiers[k] = String(v);
      }
      out.push({ personId: String(r.person_id), identifiers });
    }
  }
  return out;
}

/** Rows `from <= seq < to` of one side of what the run sends: each person's keys. */
export function readSends(state: StateSql, runId: string, kind: ChangeKind, from: number, to: number): Promise<MemberRow[]> {
  return readRows(state, sendsTable(state, runId), ALL_KINDS, kind, from, to);
}

/** Up to `limit` person ids of one side of the diff (for dry runs). */
export async function sampleChanges(state: StateSql, runId: string, kind: ChangeKind, limit: number): Promise<string[]> {
  const b = state.binder();
  const rows = await state.query<{ person_id: unknown }>('sample-changes', { changes: changesTable(state, runId), kind: b.bind(kind), limit: b.bind(limit) }, b);
  return rows.map((r) => String(r.person_id));
}

/**
 * Applies the run's diff to the target's snapshot on `tx`: removed rows go (in add_only mode only
 * the old rows of people added again), added persons come in with their fingerprint and keys.
 * Proportional to churn, not to audience size.
 */
export async function applyDiffToSnapshot(
  state: StateSql,
  input: { runId: string; target: SnapshotTarget; mode: 'mirror' | 'add_only' },
  tx: WarehouseDriver,
): Promise<void> {
  const changes = changesTable(state, input.runId);
  const d = state.binder();
  await state.execute('commit-snapshot-delete', { changes, target: d.bindAll({ ...input.target }), mirror: input.mode === 'mirror' }, d, tx);
  const i = state.binder();
  const ctx = { changes, keys: keysTable(state, input.runId), identifierColumns: KEY_COLUMNS, target: i.bindAll({ ...input.target }), runId: i.bind(input.runId) };
  await state.execute('commit-snapshot-insert', ctx, i, tx);
}

export async function dropRunTables(state: StateSql, runId: string): Promise<void> {
  for (const table of [changesTable(state, runId), keysTable(state, runId), sendsTable(state, runId)]) await state.execute('drop-table', { table });
}

/** One batch the destination acknowledged. */
export interface LedgerEntry {
  batchId: string;
  kind: ChangeKind;
  seq: number;
  rowCount: number;
  rejected: number;
}

export interface Rejection {
  personId: string;
  reason: string;
}

/** Deterministic id of a batch: the same run, kind and sequence always name the same rows. */
export function batchId(runId: string, kind: ChangeKind, seq: number): string {
  return `${runId}/${kind}/${seq}`;
}

/** Every batch of a run the destination has acknowledged. */
export async function acknowledgedBatches(state: StateSql, runId: string): Promise<LedgerEntry[]> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('batch-select', { runId: b.bind(runId) }, b);
  return rows.map((r) => ({
    batchId: String(r.batch_id),
    kind: r.kind as LedgerEntry['kind'],
    seq: Number(r.seq),
    rowCount: Number(r.row_count),
    rejected: Number(r.rejected),
  }));
}

const REJECTIONS_PER_INSERT = 200;

/** Writes rejected rows of one batch (or of the run's key preparation) on `tx`. */
export async function recordRejections(
  state: StateSql,
  at: { runId: string; batchId: string; kind: ChangeKind },
  rejections: readonly Rejection[],
  tx: WarehouseDriver = state.warehouse,
): Promise<void> {
  for (let i = 0; i < rejections.length; i += REJECTIONS_PER_INSERT) {
    const b = state.binder();
    const rows = rejections.slice(i, i + REJECTIONS_PER_INSERT).map((r) => b.bindAll({ ...at, personId: r.personId, reason: r.reason }));
    await state.execute('rejections-insert', { rows }, b, tx);
  }
}

/** Rows of the run that prepareKeys could not use (recorded when its diff was made). */
export async function keyRejections(state: StateSql, runId: string): Promise<number> {
  const b = state.binder();
  const where = `run_id = ${b.bind(runId)} and batch_id = ${b.bind(keysBatchId(runId))}`;
  const [row] = await state.query<{ n: unknown }>('count-rows', { table: state.t.rejections, where }, b);
  return Number(row?.n ?? 0);
}

/** Records an acknowledged batch and its rejected rows together, in one transaction. */
export async function recordBatch(state: StateSql, entry: LedgerEntry & { runId: string; now: Date }, rejections: readonly Rejection[]): Promise<void> {
  // Without rejections the ledger row is one statement: no explicit transaction needed.
  const write = rejections.length === 0 ? (fn: (tx: WarehouseDriver) => Promise<void>) => fn(state.warehouse) : state.warehouse.transaction.bind(state.warehouse);
  await write(async (tx: WarehouseDriver) => {
    await recordRejections(state, { runId: entry.runId, batchId: entry.batchId, kind: entry.kind }, rejections, tx);
    const b = state.binder();
    const { runId, batchId, kind, seq, rowCount, rejected, now } = entry;
    await state.execute('batch-insert', b.bindAll({ runId, batchId, kind, seq, rowCount, rejected, now }), b, tx);
  });
}

/** Rejected rows of a run, counted by reason (for the run report). */
export async function rejectionReasons(state: StateSql, runId: string): Promise<{ reason: string; count: number }[]> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('rejections-select', { runId: b.bind(runId) }, b);
  return rows.map((r) => ({ reason: String(r.reason), count: Number(r.n) }));
}
