import { dropRunTables, runTablePrefix } from './run-tables';
import type { StateSql } from './state-sql';

/**
 * Drops the run tables a finished run left behind: a run killed between recording its outcome and
 * dropping its tables (SIGKILL in the finish step) keeps its diff table, raw identifiers included,
 * behind a run marked synced. The next run of the sync, and `sync run --all`, call this. Only runs
 * that are over are touched; a run still `syncing` may be resumed. Returns the run ids cleaned.
 *
 * @example
 * await dropLeftoverRunTables(state, ['buyers-meta']);
 */
export async function dropLeftoverRunTables(state: StateSql, syncIds: readonly string[]): Promise<string[]> {
  if (syncIds.length === 0) return [];
  const l = state.binder();
  const tables = (await state.query<{ table_name: string }>('list-tables', { schemaName: l.bind(state.schema) }, l)).map((r) => r.table_name.toLowerCase());
  const runTables = tables.filter((t) => t.startsWith('run_'));
  if (runTables.length === 0) return [];
  const b = state.binder();
  const finished = await state.query<{ run_id: string }>('runs-finished', { syncing: b.bind('syncing'), syncIds: syncIds.map((id) => b.bind(id)) }, b);
  const cleaned: string[] = [];
  for (const { run_id: runId } of finished) {
    const prefix = runTablePrefix(String(runId));
    if (!runTables.some((t) => t.startsWith(prefix))) continue;
    await dropRunTables(state, String(runId));
    cleaned.push(String(runId));
  }
  return cleaned;
}
