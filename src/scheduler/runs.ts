import type { RunService } from '../api/context';
import { UserInputError } from '../config/errors';
import { DestinationError, type MatchRate } from '../destinations/contract';
import { destinationFactory } from '../destinations/registry';
import { type Actor, OPEN_RUN_STATUSES, type RunOptions, type RunRecord, type Store, type WorkspaceSettings } from '../store';
import type { SegmentEvaluation } from '../state/membership';
import { orchestrateSyncRun, rootMessage, type SyncRunInput, type SyncRunResult } from '../sync/orchestrate';
import { createSyncSteps, type SyncDeps, type SyncSteps } from '../sync/steps';
import type { WarehouseDriver } from '../warehouse/driver';
import { queueRun, refreshAsJob, requeueConfirmed } from './requests';
import { runRecordPatch } from './run-record';
import type { ServerWarehouse } from './warehouse';

/** What runs and refreshes in `outflow serve` need. */
export interface LocalRunsDeps {
  store: Store;
  settings: WorkspaceSettings;
  baseDir: string;
  warehouse: ServerWarehouse;
  log: (event: string, fields?: Record<string, unknown>) => void;
  clock?: () => Date;
  /** Passed to the sync steps (tests give a fast retry policy, a fake sleep). */
  syncDeps?: Pick<SyncDeps, 'retry' | 'sleep' | 'leaseMs'>;
}

/**
 * Runs and refreshes inside `outflow serve` (`orchestrator: local`). A run is recorded in the store
 * as `queued` at once (the API answers 202), then goes through the same orchestration function,
 * steps and warehouse lock as `outflow sync run`, one job at a time on the server's warehouse
 * connection. A run the server did not finish (it was killed) is picked up again at the next
 * start: the sync steps resume it from its diff, and the ledger skips every batch the
 * destination already acknowledged.
 *
 * @example
 * const runs = new LocalRuns({ store, settings, baseDir, warehouse, log });
 * await runs.resumeOpen();
 * const run = await runs.request('buyers-meta', {}, { name: 'marketing-bot' });
 */
export class LocalRuns implements RunService {
  readonly #deps: LocalRunsDeps;
  readonly #clock: () => Date;
  #closing = false;

  constructor(deps: LocalRunsDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  async request(syncId: string, options: RunOptions, actor: Actor): Promise<RunRecord> {
    const run = await queueRun(this.#deps.store, syncId, options, actor);
    this.#start(run);
    return run;
  }

  async confirm(runId: string, actor: Actor): Promise<RunRecord> {
    const run = await requeueConfirmed(this.#deps.store, runId, actor);
    this.#start(run);
    return run;
  }

  refresh(segmentId: string, _actor: Actor): Promise<SegmentEvaluation[]> {
    return refreshAsJob(this.#deps, segmentId, this.#clock());
  }

  /** Schedules live in the store and are read at every tick: nothing to update. */
  async definitionsChanged(): Promise<void> {}

  /** Starts every run the store has as queued or syncing: the runs a killed server left. */
  async resumeOpen(): Promise<RunRecord[]> {
    const knex = await this.#deps.store.knex();
    const rows = await knex('runs').whereIn('status', OPEN_RUN_STATUSES).orderBy('queued_at').select<{ run_id: string }[]>('run_id');
    const runs: RunRecord[] = [];
    for (const { run_id } of rows) {
      const run = await this.#deps.store.runs.get(run_id);
      if (!run) continue;
      this.#deps.log('run_resumed_on_start', { runId: run.runId, syncId: run.syncId, status: run.status });
      this.#start(run);
      runs.push(run);
    }
    return runs;
  }

  /** Stops taking new work; runs already queued finish (or are resumed at the next start). */
  close(): void {
    this.#closing = true;
  }

  #start(run: RunRecord): void {
    this.#deps.warehouse
      .job((warehouse) => (this.#closing ? Promise.resolve() : this.#execute(run, warehouse)))
      .catch((err: unknown) => this.#deps.log('run_error', { runId: run.runId, syncId: run.syncId, error: rootMessage(err) }));
  }

  async #execute(run: RunRecord, warehouse: WarehouseDriver): Promise<void> {
    const { store, settings, baseDir, log } = this.#deps;
    const started = Date.now();
    await store.runs.update(run.runId, { status: 'syncing', startedAt: this.#clock().toISOString() });
    try {
      const workspace = await store.workspace(settings);
      const timings: Record<string, number> = {};
      const steps = timed(
        createSyncSteps({ warehouse, workspace, destinations: destinationFactory(workspace, baseDir, log), log, ...this.#deps.syncDeps }),
        timings,
      );
      const result = await orchestrateSyncRun(steps, syncRunInput(run, this.#clock()));
      const matchRate = await readBackMatchRate(steps, result, log);
      const reasons = result.rejected > 0 ? await steps.rejectionReasons(result) : [];
      timings.total = Date.now() - started;
      await store.runs.update(run.runId, runRecordPatch(result, { reasons, ...(matchRate ? { matchRate } : {}), timings, finishedAt: this.#clock().toISOString() }));
      log('run_finished', { runId: run.runId, syncId: run.syncId, status: result.status, added: result.added, removed: result.removed });
    } catch (err) {
      // A run that could not start (unknown sync, a lock another process holds) or whose counts do not add up.
      const message = err instanceof UserInputError ? err.message : rootMessage(err);
      await store.runs.update(run.runId, { status: 'failed', error: message, finishedAt: this.#clock().toISOString(), timings: { total: Date.now() - started } });
      log('run_failed', { runId: run.runId, syncId: run.syncId, error: message });
    }
  }
}

/** What a queued run asks of the sync engine; `full` re-sends the whole audience. */
export function syncRunInput(run: Pick<RunRecord, 'syncId' | 'options'>, asOf: Date): SyncRunInput & Pick<RunOptions, 'full'> {
  return {
    syncId: run.syncId,
    asOf: asOf.toISOString(),
    dryRun: run.options.dryRun ?? false,
    confirmRemovals: run.options.confirmRemovals ?? false,
    ...(run.options.full ? { full: true } : {}),
  };
}

/** The steps with each step's time added to `timings` (ms): evaluate, audience, upload, commit. */
function timed(steps: SyncSteps, timings: Record<string, number>): SyncSteps {
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = (timings[name] ?? 0) + (Date.now() - t0);
    }
  };
  return {
    ...steps,
    startRun: (input) => time('start', () => steps.startRun(input)),
    evaluateAndDiff: (run) => time('evaluate', () => steps.evaluateAndDiff(run)),
    ensureAudience: (run) => time('audience', () => steps.ensureAudience(run)),
    uploadChanges: (run, options) => time('upload', () => steps.uploadChanges(run, options)),
    commitSnapshot: (run) => time('commit', () => steps.commitSnapshot(run)),
    finishRun: (input) => time('finish', () => steps.finishRun(input)),
  };
}

/** The platform's match rate, read once after a run that changed the audience (as `outflow sync run` does). */
async function readBackMatchRate(steps: SyncSteps, r: SyncRunResult, log: LocalRunsDeps['log']): Promise<MatchRate | undefined> {
  if (r.status !== 'synced' || r.added + r.removed === 0) return undefined;
  try {
    const rate = await steps.readMatchRate(r);
    await steps.recordMatchRate(r, rate);
    return rate;
  } catch (err) {
    if (!(err instanceof DestinationError)) throw err;
    log('match_rate_unavailable', { runId: r.runId, syncId: r.syncId, error: err.message });
    return undefined;
  }
}
