import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadWorkspace } from '../config/load';
import type { DestinationConfig } from '../config/schema';
import { applyActor, applyIfChanged, openStoreFor, type Store, type WorkspaceSettings } from '../store';
import { LocalRuns } from '../scheduler/runs';
import { LocalScheduler } from '../scheduler/scheduler';
import { ServerWarehouse } from '../scheduler/warehouse';
import type { ApiContext, RunService } from './context';
import { buildApi } from './server';

export interface ServeOptions {
  /** The workspace file. */
  file: string;
  port: number;
  host: string;
  /** Start the sandbox ad platforms (Google Ads, Meta) on loopback and connect them as destinations. */
  sandbox?: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** How often the local scheduler looks for due work (default 30 s). */
  tickMs?: number;
}

export interface RunningServer {
  /** `http://127.0.0.1:3000` */
  url: string;
  app: FastifyInstance;
  store: Store;
  /** Stops the scheduler and the server, lets the running job finish (at most `graceMs`), closes everything. */
  close(graceMs?: number): Promise<void>;
}

/**
 * `outflow serve`: applies the workspace file to the store when it changed, opens the
 * warehouse, resumes runs a previous server left open, starts the scheduler (`orchestrator:
 * local`) or connects to Temporal (`orchestrator: temporal`), and serves the API at `/api/v1`.
 *
 * @example
 * const server = await startServer({ file: 'outflow.yaml', port: 3000, host: '127.0.0.1' });
 * // ...
 * await server.close();
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? jsonLog;
  const loaded = loadWorkspace(options.file, env);
  const { entities: _e, segments: _s, destinations: _d, syncs: _y, ...settings } = loaded.workspace;
  const store = await openStoreFor(loaded, { env });
  const cleanup: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn().catch((err: unknown) => log('close_failed', { error: String(err) }));
  };
  try {
    await applyIfChanged(store, loaded, {
      actor: applyActor('outflow serve'),
      onApplied: (r) => log('workspace_applied', { file: path.basename(loaded.file), ...r.counts }),
    });
    if (options.sandbox) cleanup.push(await connectSandbox(store, log));
    const warehouse = await ServerWarehouse.open(settings.warehouse, loaded.dir);
    cleanup.push(() => warehouse.close());
    const { runs, scheduler, stop } = await orchestration(settings, { store, settings, baseDir: loaded.dir, warehouse, log, env, ...(options.tickMs ? { tickMs: options.tickMs } : {}) });
    cleanup.push(stop);
    const ctx: ApiContext = { store, settings, baseDir: loaded.dir, warehouse, runs, log, clock: () => new Date() };
    const app = await buildApi(ctx);
    cleanup.push(() => app.close());
    await app.listen({ port: options.port, host: options.host });
    scheduler?.start();
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
    log('server_started', { url, orchestrator: settings.orchestrator ?? 'local', store: store.location.shown });
    return { url, app, store, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

interface OrchestrationDeps {
  store: Store;
  settings: WorkspaceSettings;
  baseDir: string;
  warehouse: ServerWarehouse;
  log: (event: string, fields?: Record<string, unknown>) => void;
  env: NodeJS.ProcessEnv;
  tickMs?: number;
}

/** Local runs and the in-process scheduler, or Temporal (its SDK loaded only then). */
async function orchestration(settings: WorkspaceSettings, deps: OrchestrationDeps): Promise<{ runs: RunService; scheduler?: LocalScheduler; stop: () => Promise<void> }> {
  if (settings.orchestrator === 'temporal') {
    const { connectTemporalRuns } = await import('../scheduler/temporal-runs');
    return connectTemporalRuns(deps);
  }
  const runs = new LocalRuns(deps);
  await runs.resumeOpen();
  const scheduler = new LocalScheduler({ ...deps, runs });
  return {
    runs,
    scheduler,
    stop: async () => {
      await scheduler.stop();
      runs.close();
    },
  };
}

/** The sandbox platforms' destinations, connected (or re-pointed at this start's ports) in the store. */
async function connectSandbox(store: Store, log: (event: string, fields?: Record<string, unknown>) => void): Promise<() => Promise<void>> {
  const { startSandboxPlatforms } = await import('../demo/sandbox');
  const sandbox = await startSandboxPlatforms();
  const actor = { name: 'sandbox', origin: 'outflow serve --sandbox' };
  try {
    for (const d of sandbox.destinations) await upsertDestination(store, d, actor);
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
  log('sandbox_started', { destinations: sandbox.destinations.map((d) => `${d.id} ${String(d.settings.apiBaseUrl)}`) });
  return () => sandbox.stop();
}

async function upsertDestination(store: Store, d: DestinationConfig, actor: { name: string; origin: string }): Promise<void> {
  const current = await store.destinations.get(d.id);
  if (!current) await store.destinations.create(d, actor);
  else if (current.managedBy === 'ui') await store.destinations.update(d.id, d, { version: current.version }, actor);
}

/** One JSON line per event on standard output: no personal data or secrets are ever passed in. */
function jsonLog(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), event, ...fields })}\n`);
}
