import { UserInputError } from '../config/errors';
import { loadWorkspace, resolveConfigPath, type LoadedWorkspace } from '../config/load';
import { parsePathFlag } from './args';
import { openWarehouse } from '../warehouse';
import type { WarehouseDriver } from '../warehouse/driver';

export interface GlobalOptions {
  config?: string;
}

/** Loads the workspace file named by `--config`, `$OUTFLOW_CONFIG` or `./outflow.yaml`. */
export function workspaceFrom(opts: GlobalOptions): LoadedWorkspace {
  const origin = opts.config !== undefined ? '--config' : process.env.OUTFLOW_CONFIG !== undefined ? '$OUTFLOW_CONFIG' : '';
  if (opts.config !== undefined) parsePathFlag('--config', opts.config);
  return loadWorkspace(resolveConfigPath(opts.config), process.env, origin);
}

/** Runs `fn` with the workspace and an open warehouse connection, closing it afterwards. */
export async function withWarehouse<T>(
  opts: GlobalOptions,
  fn: (ctx: LoadedWorkspace & { warehouse: WarehouseDriver }) => Promise<T>,
): Promise<T> {
  return withOpenWarehouse(workspaceFrom(opts), fn);
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
