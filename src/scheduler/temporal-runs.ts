import type { Client, WorkflowHandle } from '@temporalio/client';
import type { RunService } from '../api/context';
import { type Actor, ConflictError, OPEN_RUN_STATUSES, type RunOptions, type RunRecord, type Store, type WorkspaceSettings } from '../store';
import type { SegmentEvaluation } from '../state/membership';
import { rootMessage } from '../sync/orchestrate';
import { connectClient, temporalConfigFromEnv } from '../temporal/connection';
import { syncSchedules } from '../temporal/schedule-sync';
import { followSyncRun, startSyncRun, SyncRunAlreadyOpenError } from '../temporal/start-sync-run';
import { syncWorkflowId, type syncRunWorkflow } from '../../workflows';
import type { TemporalConfig } from '../../temporal.config';
import { queueRun, refreshAsJob, requeueConfirmed } from './requests';
import { runRecordPatch } from './run-record';
import type { ServerWarehouse } from './warehouse';

export interface TemporalRunsDeps {
  store: Store;
  settings: WorkspaceSettings;
  warehouse: ServerWarehouse;
  client: Pick<Client, 'workflow' | 'schedule'>;
  config: Pick<TemporalConfig, 'taskQueue' | 'schedules'>;
  log: (event: string, fields?: Record<string, unknown>) => void;
  clock?: () => Date;
  /** How often a followed run is asked for its status (default 1 s). */
  pollMs?: number;
}

/**
 * Runs of `outflow serve` with `orchestrator: temporal`: a run requested through the API is
 * recorded in the store, started as `syncRunWorkflow` under `sync/<syncId>` (the worker does the
 * work) and followed until it ends, when its result becomes the run record. Toggles and edits
 * update the Temporal Schedules (`definitionsChanged`), so a sync switched on in the UI runs
 * daily on the cluster. A refresh asked for through the API runs in the server.
 *
 * @example
 * const runs = new TemporalRuns({ store, settings, warehouse, client, config, log });
 * await runs.request('buyers-meta', {}, { name: 'marketing-bot' });
 */
export class TemporalRuns implements RunService {
  readonly #deps: TemporalRunsDeps;
  readonly #clock: () => Date;
  readonly #following = new Set<Promise<void>>();

  constructor(deps: TemporalRunsDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  async request(syncId: string, options: RunOptions, actor: Actor): Promise<RunRecord> {
    const run = await queueRun(this.#deps.store, syncId, options, actor);
    await this.#startWorkflow(run);
    return run;
  }

  async confirm(runId: string, actor: Actor): Promise<RunRecord> {
    const run = await requeueConfirmed(this.#deps.store, runId, actor);
    await this.#startWorkflow(run);
    return run;
  }

  refresh(segmentId: string, _actor: Actor): Promise<SegmentEvaluation[]> {
    return refreshAsJob(this.#deps, segmentId, this.#clock());
  }

  /** Brings the Temporal Schedules in line with the store: created, re-timed, paused, deleted. */
  async definitionsChanged(): Promise<void> {
    const { store, settings, client, config, log } = this.#deps;
    const plan = await syncSchedules(client as Client, await store.workspace(settings), { idPrefix: config.schedules.idPrefix, taskQueue: config.taskQueue });
    log('schedules_updated', { created: plan.create.length, updated: plan.update.length, deleted: plan.delete.length });
  }

  /** Follows the runs a previous server started and did not see end. */
  async resumeOpen(): Promise<void> {
    const knex = await this.#deps.store.knex();
    const rows = await knex('runs').whereIn('status', OPEN_RUN_STATUSES).select<{ run_id: string }[]>('run_id');
    for (const { run_id } of rows) {
      const run = await this.#deps.store.runs.get(run_id);
      if (!run) continue;
      const handle = this.#deps.client.workflow.getHandle<typeof syncRunWorkflow>(syncWorkflowId(run.syncId));
      this.#follow(run, handle);
    }
  }

  /** Resolves when every followed run has been recorded. */
  async idle(): Promise<void> {
    while (this.#following.size > 0) await Promise.all([...this.#following]);
  }

  async #startWorkflow(run: RunRecord): Promise<void> {
    const { store, client, config } = this.#deps;
    let handle: WorkflowHandle<typeof syncRunWorkflow>;
    try {
      handle = await startSyncRun(client as Client, config.taskQueue, {
        syncId: run.syncId,
        asOf: this.#clock().toISOString(),
        dryRun: run.options.dryRun ?? false,
        confirmRemovals: run.options.confirmRemovals ?? false,
        ...(run.options.full ? { full: true } : {}),
      });
    } catch (err) {
      const message = err instanceof SyncRunAlreadyOpenError ? err.message : `could not start the run on Temporal: ${rootMessage(err)}`;
      await store.runs.update(run.runId, { status: 'failed', error: message, finishedAt: this.#clock().toISOString() });
      if (err instanceof SyncRunAlreadyOpenError) throw new ConflictError(message);
      throw err;
    }
    await store.runs.update(run.runId, { status: 'syncing', startedAt: this.#clock().toISOString() });
    this.#follow(run, handle);
  }

  #follow(run: RunRecord, handle: WorkflowHandle<typeof syncRunWorkflow>): void {
    const { store, log } = this.#deps;
    const started = Date.now();
    const done = (async () => {
      try {
        const result = await followSyncRun(handle, { pollMs: this.#deps.pollMs ?? 1000 });
        await store.runs.update(run.runId, runRecordPatch(result, { timings: { total: Date.now() - started }, finishedAt: this.#clock().toISOString() }));
      } catch (err) {
        await store.runs.update(run.runId, { status: 'failed', error: rootMessage(err), finishedAt: this.#clock().toISOString() });
        log('run_failed', { runId: run.runId, syncId: run.syncId, error: rootMessage(err) });
      }
    })();
    this.#following.add(done);
    void done.finally(() => this.#following.delete(done));
  }
}

/** Connects to Temporal per temporal.config.ts and follows the runs a previous server left open. */
export async function connectTemporalRuns(deps: Omit<TemporalRunsDeps, 'client' | 'config'> & { env: NodeJS.ProcessEnv }): Promise<{ runs: RunService; stop: () => Promise<void> }> {
  const config = temporalConfigFromEnv(deps.env);
  const { client, close } = await connectClient(config);
  const runs = new TemporalRuns({ ...deps, client, config });
  await runs.resumeOpen();
  await runs.definitionsChanged();
  return { runs, stop: close };
}
