import type { FastifyRequest } from 'fastify';
import type { Workspace } from '../config/schema';
import type { Catalog } from '../segments/catalog';
import { loadCatalog } from '../segments/load-catalog';
import type { Actor, Role, RunOptions, RunRecord, Store, TokenIdentity, WorkspaceSettings } from '../store';
import type { ServerWarehouse } from '../scheduler/warehouse';
import type { SegmentEvaluation } from '../state/membership';

/**
 * What starts runs and refreshes for the API: in-process (`orchestrator: local`) or on Temporal.
 * Both record the run in the store first, so `GET /runs/{id}` answers the same either way.
 */
export interface RunService {
  /** Queues a run (202): an OpenRunError (409) when one is open. */
  request(syncId: string, options: RunOptions, actor: Actor): Promise<RunRecord>;
  /** Continues a `needs_confirmation` run with removals allowed. */
  confirm(runId: string, actor: Actor): Promise<RunRecord>;
  /** Evaluates a segment now (after the segments it references). */
  refresh(segmentId: string, actor: Actor): Promise<SegmentEvaluation[]>;
  /** Definitions changed through the API (toggles, edits): Temporal Schedules follow them. */
  definitionsChanged(): Promise<void>;
}

/** Everything route handlers use. */
export interface ApiContext {
  store: Store;
  /** The workspace file's settings (warehouse, state schema, limits, store, orchestrator). */
  settings: WorkspaceSettings;
  /** Folder of the workspace file. */
  baseDir: string;
  warehouse: ServerWarehouse;
  runs: RunService;
  log: (event: string, fields?: Record<string, unknown>) => void;
  clock: () => Date;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The bearer token's identity; set on every route that needs a token. */
    identity?: TokenIdentity;
  }
  interface FastifyContextConfig {
    /** The lowest role that may call the route (SPEC §6), or `public` (health, the OpenAPI document). */
    role?: Role | 'public';
  }
}

/** Who made a request, for the audit log: the token's name, from where. */
export function actorOf(request: FastifyRequest): Actor {
  return { name: request.identity?.name ?? 'anonymous', origin: `api ${request.ip}` };
}

/** The store's workspace with the file's settings: what compile, estimate, refresh and runs take. */
export function workspaceOf(ctx: ApiContext): Promise<Workspace> {
  return ctx.store.workspace(ctx.settings);
}

const CATALOG_TTL_MS = 60_000;
const catalogs = new WeakMap<ApiContext, { key: string; at: number; catalog: Promise<Catalog> }>();

/**
 * Column types of the tables the entities read, for type checks while compiling. Introspected
 * once a minute at most: the estimate's latency is the count's, not the catalog's.
 */
export function catalogOf(ctx: ApiContext, workspace: Workspace): Promise<Catalog> {
  const key = JSON.stringify(workspace.entities);
  const cached = catalogs.get(ctx);
  const now = Date.now();
  if (cached && cached.key === key && now - cached.at < CATALOG_TTL_MS) return cached.catalog;
  const catalog = loadCatalog(ctx.warehouse.reads, workspace);
  catalogs.set(ctx, { key, at: now, catalog });
  catalog.catch(() => catalogs.delete(ctx));
  return catalog;
}
