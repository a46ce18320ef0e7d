import type { MemberRow } from '../destinations/contract';
import { ALL_KINDS, createKeysTable, KEY_COLUMNS, type KeyPreparer, PREPARE_ROWS, type Rejection, type SnapshotTarget, writeKeys } from './run-tables';
import { IDENTIFIER_COLUMNS, LEGACY_SNAPSHOTS, type StateSql } from './state-sql';

/**
 * A sync's snapshots beyond one run: which targets (destination, audience name) it has one for,
 * forgetting one (`outflow sync reset`), and converting the snapshot table of earlier versions,
 * which held raw identifier values, into keys.
 */

/** A target a sync has a snapshot for, and how many persons it holds. */
export interface TargetSize {
  destinationId: string;
  audienceName: string;
  persons: number;
}

export async function snapshotTargets(state: StateSql, syncId: string): Promise<TargetSize[]> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('snapshot-targets', { syncId: b.bind(syncId) }, b);
  return rows
    .map((r) => ({ destinationId: String(r.destination_id), audienceName: String(r.audience_name), persons: Number(r.n) }))
    .sort((x, y) => y.persons - x.persons || x.destinationId.localeCompare(y.destinationId) || x.audienceName.localeCompare(y.audienceName));
}

/**
 * Why a run is a first run into its target although the sync has a snapshot of another one, or
 * undefined. The largest other target is named.
 */
export function targetChangeNote(target: SnapshotTarget, targets: readonly TargetSize[]): string | undefined {
  if (targets.some((t) => t.destinationId === target.destinationId && t.audienceName === target.audienceName)) return undefined;
  const other = targets[0];
  if (!other) return undefined;
  const changes: string[] = [];
  if (other.destinationId !== target.destinationId) changes.push(`destination changed from ${other.destinationId} to ${target.destinationId}`);
  if (other.audienceName !== target.audienceName) changes.push(`audience name changed from "${other.audienceName}" to "${target.audienceName}"`);
  return `${changes.join(' and ')}: first run into the new audience (every member is sent; the old audience is left as it is)`;
}

/** Forgets the target's snapshot; returns how many persons it held. */
export async function forgetSnapshot(state: StateSql, target: SnapshotTarget): Promise<number> {
  const b = state.binder();
  const [row] = await state.query<{ n: unknown }>('snapshot-count', { target: b.bindAll({ ...target }) }, b);
  const d = state.binder();
  await state.execute('snapshot-forget', { target: d.bindAll({ ...target }) }, d);
  return Number(row?.n ?? 0);
}

/** Whether the state schema still has the snapshot table of earlier versions. */
async function hasLegacySnapshots(state: StateSql): Promise<boolean> {
  const b = state.binder();
  const rows = await state.query<{ table_name: string }>('list-tables', { schemaName: b.bind(state.schema) }, b);
  return rows.some((r) => r.table_name === LEGACY_SNAPSHOTS);
}

/**
 * Converts a sync's rows of the snapshot table of earlier versions (raw identifier values) into
 * the keys snapshot of `target`: the raw values are streamed out once, keyed by the destination's
 * prepareKeys, and written beside each row's fingerprint (unchanged: the diff computes the same
 * function of the same values, so the next run sends only real changes). Then the sync's raw rows
 * are deleted, and the old table is dropped once no sync has rows left in it.
 *
 * Safe to repeat after a crash anywhere: the target's rows are replaced, in the same transaction
 * that deletes the raw rows. Returns the persons converted and the rows the destination could not
 * key (kept without keys, as a rejected add is), or undefined when there was nothing to convert.
 */
export async function upgradeLegacySnapshot(
  state: StateSql,
  o: { target: SnapshotTarget; prepare: KeyPreparer; between?: () => Promise<void> },
): Promise<{ persons: number; rejected: Rejection[] } | undefined> {
  if (!(await hasLegacySnapshots(state))) return undefined;
  const legacy = state.table(LEGACY_SNAPSHOTS);
  const c = state.binder();
  const [count] = await state.query<{ n: unknown }>('count-rows', { table: legacy, where: `sync_id = ${c.bind(o.target.syncId)}` }, c);
  const persons = Number(count?.n ?? 0);
  if (persons > 0) {
    const keys = state.table(`upgrade_${o.target.syncId.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_keys`);
    await createKeysTable(state, keys);
    const s = state.binder();
    const select = state.compile('legacy-snapshot-select', { legacy, identifierColumns: KEY_COLUMNS, syncId: s.bind(o.target.syncId) }, s);
    const rejected = await writeKeys(state, { into: keys, slices: slicesOf(state, select.sql, select.params), prepare: o.prepare, ...(o.between ? { between: o.between } : {}) });
    await state.warehouse.transaction(async (tx) => {
      const f = state.binder();
      await state.execute('snapshot-forget', { target: f.bindAll({ ...o.target }) }, f, tx);
      const i = state.binder();
      await state.execute('legacy-snapshot-convert', { legacy, keys, identifierColumns: KEY_COLUMNS, target: i.bindAll({ ...o.target }) }, i, tx);
      const d = state.binder();
      await state.execute('legacy-snapshot-delete', { legacy, syncId: d.bind(o.target.syncId) }, d, tx);
    });
    await state.execute('drop-table', { table: keys });
    const [left] = await state.query<{ n: unknown }>('count-rows', { table: legacy });
    if (Number(left?.n ?? 0) === 0) await state.execute('drop-table', { table: legacy });
    return { persons, rejected };
  }
  const [left] = await state.query<{ n: unknown }>('count-rows', { table: legacy });
  if (Number(left?.n ?? 0) === 0) await state.execute('drop-table', { table: legacy });
  return undefined;
}

/** The raw rows of a query in slices of PREPARE_ROWS. */
async function* slicesOf(state: StateSql, sql: string, params: Parameters<StateSql['warehouse']['stream']>[1]): AsyncIterable<MemberRow[]> {
  let slice: MemberRow[] = [];
  for await (const page of state.warehouse.stream<Record<string, unknown>>(sql, params, { pageSize: 2_048 })) {
    for (const r of page) {
      const identifiers: MemberRow['identifiers'] = {};
      for (const k of ALL_KINDS) {
        const v = r[IDENTIFIER_COLUMNS[k]];
        if (v !== null && v !== undefined) identifiers[k] = String(v);
      }
      slice.push({ personId: String(r.person_id), identifiers });
      if (slice.length >= PREPARE_ROWS) {
        yield slice;
        slice = [];
      }
    }
  }
  if (slice.length > 0) yield slice;
}
