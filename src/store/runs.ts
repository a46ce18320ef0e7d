import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { nowIso } from './definitions';
import { ConflictError, NotFoundError } from './errors';

/** A run's life: queued by the API or the scheduler, then the sync states of SPEC §4. */
export const RUN_STATUSES = ['queued', 'syncing', 'synced', 'failed', 'needs_confirmation', 'dry_run'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Runs that still hold their sync: a second run request gets 409 with the open run's id. */
export const OPEN_RUN_STATUSES: readonly RunStatus[] = ['queued', 'syncing'];

export interface RunOptions {
  dryRun?: boolean;
  confirmRemovals?: boolean;
  /** Re-send the whole audience, not only the diff. */
  full?: boolean;
}

/**
 * A sync run as the API reports it (SPEC §6): planned = accepted + rejected + deferred.
 *
 * @example
 * { runId: 'f3c1...', syncId: 'buyers-meta', status: 'synced', requestedBy: 'marketing-bot', options: {},
 *   asOf: '2026-01-31T06:00:00.000Z', queuedAt: '...', startedAt: '...', finishedAt: '...',
 *   planned: 120, sent: 120, accepted: 118, rejected: 2, rejectedByReason: { 'no usable identifier': 2 },
 *   deferred: 0, batches: 3, timings: { evaluate: 410, upload: 950 }, matchRate: 0.64, error: null, version: 4 }
 */
export interface RunRecord {
  runId: string;
  syncId: string;
  status: RunStatus;
  requestedBy: string | null;
  options: RunOptions;
  asOf: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  planned: number | null;
  sent: number | null;
  accepted: number | null;
  rejected: number | null;
  rejectedByReason: Record<string, number>;
  deferred: number | null;
  /** Members of the segment the workspace's exclusions kept out of the audience (null: the sync has none, or the run predates them). */
  excluded: number | null;
  batches: number | null;
  /** Milliseconds per step, e.g. `{evaluate, diff, upload, commit}`. */
  timings: Record<string, number>;
  matchRate: number | null;
  error: string | null;
  version: number;
}

/** What `update` may change; `version` is bumped on every update. */
export type RunPatch = Partial<Omit<RunRecord, 'runId' | 'syncId' | 'queuedAt' | 'version' | 'requestedBy'>>;

interface RunRow {
  run_id: string;
  sync_id: string;
  status: string;
  requested_by: string | null;
  options: string | null;
  as_of: string | null;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  planned: number | null;
  sent: number | null;
  accepted: number | null;
  rejected: number | null;
  rejected_by_reason: string | null;
  deferred: number | null;
  excluded: number | null;
  batches: number | null;
  timings: string | null;
  match_rate: number | null;
  error: string | null;
  version: number;
}

const COLUMN: Record<keyof RunPatch, keyof RunRow> = {
  status: 'status',
  options: 'options',
  asOf: 'as_of',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  planned: 'planned',
  sent: 'sent',
  accepted: 'accepted',
  rejected: 'rejected',
  rejectedByReason: 'rejected_by_reason',
  deferred: 'deferred',
  excluded: 'excluded',
  batches: 'batches',
  timings: 'timings',
  matchRate: 'match_rate',
  error: 'error',
};
const JSON_COLUMNS = new Set<keyof RunRow>(['rejected_by_reason', 'timings', 'options']);

/**
 * Run records of the control plane (`POST /syncs/{id}/runs`, `GET /runs/{runId}`). The run's
 * warehouse-side bookkeeping (ledger, snapshots) stays in the state schema; this is what the API
 * and the UI read.
 *
 * @example
 * const run = await store.runs.queue('buyers-meta', { requestedBy: 'marketing-bot', options: { full: true } });
 * await store.runs.update(run.runId, { status: 'syncing', startedAt: new Date().toISOString() });
 * await store.runs.list('buyers-meta', { limit: 20 });
 */
export class RunRepository {
  readonly #knex: () => Promise<Knex>;

  constructor(knex: () => Promise<Knex>) {
    this.#knex = knex;
  }

  /**
   * Records a queued run, unless the sync has an open one: then an OpenRunError (a ConflictError)
   * whose `openRunId` names it. A unique index settles two requests racing each other.
   */
  async queue(syncId: string, input: { runId?: string; requestedBy?: string; options?: RunOptions; asOf?: string } = {}): Promise<RunRecord> {
    const knex = await this.#knex();
    const row: RunRow = {
      run_id: input.runId ?? randomUUID(),
      sync_id: syncId,
      status: 'queued',
      requested_by: input.requestedBy ?? null,
      options: JSON.stringify(input.options ?? {}),
      as_of: input.asOf ?? null,
      queued_at: nowIso(),
      started_at: null,
      finished_at: null,
      planned: null,
      sent: null,
      accepted: null,
      rejected: null,
      rejected_by_reason: null,
      deferred: null,
      excluded: null,
      batches: null,
      timings: null,
      match_rate: null,
      error: null,
      version: 1,
    };
    const open = await this.open(syncId);
    if (open) throw new OpenRunError(syncId, open.runId);
    try {
      await knex('runs').insert(row);
    } catch (err) {
      // A concurrent request queued one first: the partial unique index (runs_one_open_per_sync) said no.
      const winner = await this.open(syncId);
      if (winner) throw new OpenRunError(syncId, winner.runId);
      throw err;
    }
    return fromRow(row);
  }

  async update(runId: string, patch: RunPatch): Promise<RunRecord> {
    const knex = await this.#knex();
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(patch) as [keyof RunPatch, unknown][]) {
      const column = COLUMN[key];
      values[column] = JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value;
    }
    const n = await knex('runs').where({ run_id: runId }).update({ ...values, version: knex.raw('version + 1') });
    if (n === 0) throw new NotFoundError(`no run "${runId}"`);
    return (await this.get(runId))!;
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const knex = await this.#knex();
    const row = await knex<RunRow>('runs').where({ run_id: runId }).first();
    return row ? fromRow(row) : undefined;
  }

  /** A sync's runs, newest first; `before` is a `queuedAt` to page from. */
  async list(syncId: string | undefined, opts: { limit?: number; before?: string } = {}): Promise<RunRecord[]> {
    const knex = await this.#knex();
    let q = knex<RunRow>('runs').select('*').orderBy([{ column: 'queued_at', order: 'desc' }, { column: 'run_id', order: 'desc' }]);
    if (syncId !== undefined) q = q.where({ sync_id: syncId });
    if (opts.before !== undefined) q = q.where('queued_at', '<', opts.before);
    return (await q.limit(Math.min(Math.max(opts.limit ?? 20, 1), 1000))).map(fromRow);
  }

  /** The sync's queued or running run, if any. */
  async open(syncId: string): Promise<RunRecord | undefined> {
    const knex = await this.#knex();
    const row = await knex<RunRow>('runs').where({ sync_id: syncId }).whereIn('status', OPEN_RUN_STATUSES).first();
    return row ? fromRow(row) : undefined;
  }
}

/** A run was requested while another run of the same sync is open (409 with its id). */
export class OpenRunError extends ConflictError {
  readonly openRunId: string;

  constructor(syncId: string, openRunId: string) {
    super(`sync "${syncId}" has a run in progress: ${openRunId}`);
    this.openRunId = openRunId;
  }
}

function fromRow(r: RunRow): RunRecord {
  const num = (v: number | string | null) => (v === null ? null : Number(v));
  return {
    runId: r.run_id,
    syncId: r.sync_id,
    status: r.status as RunStatus,
    requestedBy: r.requested_by,
    options: r.options ? (JSON.parse(r.options) as RunOptions) : {},
    asOf: r.as_of,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    planned: num(r.planned),
    sent: num(r.sent),
    accepted: num(r.accepted),
    rejected: num(r.rejected),
    rejectedByReason: r.rejected_by_reason ? (JSON.parse(r.rejected_by_reason) as Record<string, number>) : {},
    deferred: num(r.deferred),
    excluded: num(r.excluded ?? null),
    batches: num(r.batches),
    timings: r.timings ? (JSON.parse(r.timings) as Record<string, number>) : {},
    matchRate: num(r.match_rate),
    error: r.error,
    version: Number(r.version),
  };
}
