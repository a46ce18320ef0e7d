import path from 'node:path';
import { loadWorkspace, resolveConfigPath, type LoadedWorkspace } from '../config/load';
import { UserInputError } from '../config/errors';
import { loadWorkspaceThroughStore } from '../store/load';
import type { ApplyResult } from '../store/apply';
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
  const file = resolveConfigPath(opts.config);
  if (opts.fileOnly) return loadWorkspace(file);
  return loadWorkspaceThroughStore(file, { onApplied: (r) => noteApplied(file, r) });
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
  const loaded = await workspaceFrom(opts);
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
