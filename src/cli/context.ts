import { loadWorkspace, resolveConfigPath, type LoadedWorkspace } from '../config/load';
import { UserInputError } from '../config/errors';
import { openWarehouse } from '../warehouse';
import type { WarehouseDriver } from '../warehouse/driver';

export interface GlobalOptions {
  config?: string;
}

/** Loads the workspace file named by `--config`, `$OUTFLOW_CONFIG` or `./outflow.yaml`. */
export function workspaceFrom(opts: GlobalOptions): LoadedWorkspace {
  return loadWorkspace(resolveConfigPath(opts.config));
}

/** Runs `fn` with the workspace and an open warehouse connection, closing it afterwards. */
export async function withWarehouse<T>(
  opts: GlobalOptions,
  fn: (ctx: LoadedWorkspace & { warehouse: WarehouseDriver }) => Promise<T>,
): Promise<T> {
  const loaded = workspaceFrom(opts);
  const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
  try {
    return await fn({ ...loaded, warehouse });
  } finally {
    await warehouse.close();
  }
}

/** Parses `--as-of`; defaults to now. Must carry a time zone or be a date (read as UTC). */
export function parseAsOf(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(iso);
  const d = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
  if (!ok || Number.isNaN(d.getTime()))
    throw new UserInputError([{ path: '--as-of', message: `expected an ISO-8601 timestamp such as 2026-01-31T00:00:00Z, got "${value}"` }]);
  return d;
}

/** Whether to draw progress bars: only on an interactive terminal, never in CI or when piped. */
export function showProgress(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}
