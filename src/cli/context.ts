import path from 'node:path';
import { UserInputError } from '../config/errors';
import { loadWorkspace, resolveConfigPath, type LoadedWorkspace } from '../config/load';
import { loadWorkspaceThroughStore } from '../store/load';
import type { ApplyResult } from '../store/apply';
import { parsePathFlag } from './args';
import { openWarehouse } from '../warehouse';
import type { WarehouseDriver } from '../warehouse/driver';

export interface GlobalOptions {
  config?: string;
  /** Read the workspace file alone, not through the store (`outflow validate` checks the file, nothing more). */
  fileOnly?: boolean;
}

/**
 * The workspace named by `--config`, `$OUTFLOW_CONFIG` or `./outflow.yaml`, read through the
 * store (SPEC §6): the file is applied first when it changed, and the definitions come from the
 * store, file- and UI-managed.
 */
export async function workspaceFrom(opts: GlobalOptions): Promise<LoadedWorkspace> {
  const origin = opts.config !== undefined ? '--config' : process.env.OUTFLOW_CONFIG !== undefined ? '$OUTFLOW_CONFIG' : '';
  if (opts.config !== undefined) parsePathFlag('--config', opts.config);
  const file = resolveConfigPath(opts.config);
  if (opts.fileOnly) return loadWorkspace(file, process.env, origin);
  return loadWorkspaceThroughStore(file, { origin, onApplied: (r) => noteApplied(file, r) });
}

/** On a terminal, says that the command applied a changed workspace file (the audit log has the details). */
function noteApplied(file: string, r: ApplyResult): void {
  const c = r.counts;
  if (!showProgress() || c.create + c.update + c.delete === 0) return;
  process.stderr.write(`${path.basename(file)} applied to the store: ${c.create} created, ${c.update} updated, ${c.delete} deleted\n`);
}

/** Runs `fn` with the workspace and an open warehouse connection, closing it afterwards. */
export async function withWarehouse<T>(
  opts: GlobalOptions,
  fn: (ctx: LoadedWorkspace & { warehouse: WarehouseDriver }) => Promise<T>,
): Promise<T> {
  return withOpenWarehouse(await workspaceFrom(opts), fn);
}

/** Opens the workspace's warehouse for `fn` and closes it afterwards. */
export async function withOpenWarehouse<T>(
  loaded: LoadedWorkspace,
  fn: (ctx: LoadedWorkspace & { warehouse: WarehouseDriver }) => Promise<T>,
): Promise<T> {
  const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
  try {
    return await fn({ ...loaded, warehouse });
  } finally {
    await warehouse.close();
  }
}

export { parseAsOf } from './args';

/** Whether to draw progress bars: only on an interactive terminal, never in CI or when piped. */
export function showProgress(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}

/** The segment `id` must exist; otherwise an input error listing the ones that do. */
export function requireSegment({ file, workspace }: LoadedWorkspace, id: string): void {
  if (workspace.segments.some((s) => s.id === id)) return;
  const known = workspace.segments.map((s) => s.id).join(', ') || 'none defined';
  throw new UserInputError([{ file, path: 'segments', message: `no segment ${JSON.stringify(id)} (known: ${known})` }]);
}
