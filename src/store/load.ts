import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { loadWorkspace, type LoadedWorkspace } from '../config/load';
import type { ApplyResult } from './apply';
import type { Actor } from './audit';
import type { StatementTrace } from './connection';
import { definitionsFingerprint } from './fingerprint';
import { META, type OpenStoreOptions, openStoreReader, type StoreReader } from './reader';
import type { Store } from './store';

/** The options that open the store a loaded workspace file names. */
function storeOptions(loaded: LoadedWorkspace, options: { env?: NodeJS.ProcessEnv; trace?: StatementTrace }): OpenStoreOptions {
  return {
    config: loaded.workspace.store,
    baseDir: loaded.dir,
    env: options.env ?? process.env,
    limits: loaded.workspace.limits,
    fileName: path.basename(loaded.file),
    ...(options.trace ? { trace: options.trace } : {}),
  };
}

/** Opens the store a loaded workspace file names (created and migrated when needed). */
export async function openStoreFor(loaded: LoadedWorkspace, options: { env?: NodeJS.ProcessEnv; trace?: StatementTrace } = {}): Promise<Store> {
  const { openStore } = await import('./store');
  return openStore(storeOptions(loaded, options));
}

/** `apply`, with the command and the OS user as origin: who ran the command that applied the file. */
export function applyActor(command: string): Actor {
  return commandActor('apply', command);
}

/** An actor for a command run on this machine: `name` with origin `<command>, OS user <user>`. */
export function commandActor(name: string, command: string): Actor {
  return { name, origin: `${command}, OS user ${osUser()}` };
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

export interface LoadThroughStoreOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the file's path came from (`--config`, `$OUTFLOW_CONFIG`), for errors about the path itself. */
  origin?: string;
  /** Who an apply of a changed file is recorded as (default: `apply`, origin the command and OS user). */
  actor?: Actor;
  /** Called when the file had changed and was applied. */
  onApplied?: (result: ApplyResult) => void;
  /** Sees every statement sent to the store. */
  trace?: StatementTrace;
}

/**
 * How every command reads its workspace (SPEC §6): the workspace file is loaded and checked as
 * before, applied to the store if its definitions changed since the last apply, and the returned
 * workspace has the file's settings (warehouse, state schema, limits, store, orchestrator) with
 * the store's definitions, file- and UI-managed, destination secrets resolved.
 *
 * An unchanged file costs one fingerprint comparison and the definitions read through the bare
 * SQLite/pg driver: neither knex nor the write paths are loaded, and nothing is written.
 *
 * @example
 * const loaded = await loadWorkspaceThroughStore('outflow.yaml');
 * compileCount(loaded.workspace, 'recent-buyers', { dialect, asOf });
 */
export async function loadWorkspaceThroughStore(file: string, options: LoadThroughStoreOptions = {}): Promise<LoadedWorkspace> {
  const env = options.env ?? process.env;
  const loaded = loadWorkspace(file, env, options.origin);
  const text = readFileSync(loaded.file, 'utf8');
  const fingerprint = definitionsFingerprint(text, loaded.workspace);
  const opened = storeOptions(loaded, { env, ...(options.trace ? { trace: options.trace } : {}) });
  let reader: StoreReader | undefined = await openStoreReader(opened);
  try {
    if (!reader || (await reader.meta(META.fingerprint)) !== fingerprint) {
      await reader?.close();
      reader = await openStoreFor(loaded, { env, ...(options.trace ? { trace: options.trace } : {}) });
      await applyChanged(reader as Store, loaded, text, fingerprint, options);
    }
    // `source` is the file's; what this returns is the store's workspace.
    const { source: _file, ...settings } = loaded;
    return { ...settings, workspace: await reader.workspace(loaded.workspace) };
  } finally {
    await reader?.close();
  }
}

/** Applies the loaded workspace file to `store` when its definitions differ from the last applied ones. */
export async function applyIfChanged(store: Store, loaded: LoadedWorkspace, options: Pick<LoadThroughStoreOptions, 'actor' | 'onApplied'> = {}): Promise<void> {
  const text = readFileSync(loaded.file, 'utf8');
  await applyChanged(store, loaded, text, definitionsFingerprint(text, loaded.workspace), options);
}

async function applyChanged(
  store: Store,
  loaded: LoadedWorkspace,
  text: string,
  fingerprint: string,
  options: Pick<LoadThroughStoreOptions, 'actor' | 'onApplied'>,
): Promise<void> {
  if ((await store.meta(META.fingerprint)) === fingerprint) return;
  const { applyWorkspace } = await import('./apply');
  const result = await applyWorkspace(store, loaded, text, { actor: options.actor ?? applyActor('outflow') });
  if (result.wrote) options.onApplied?.(result);
}
