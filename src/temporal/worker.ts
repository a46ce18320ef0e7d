import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { TemporalConfig } from '../../temporal.config';
import { createActivities } from '../activities';
import type { LoadedWorkspace } from '../config/load';
import { destinationFactory } from '../destinations/registry';
import { openStoreFor } from '../store/load';
import { openWarehouse } from '../warehouse';
import { UserInputError } from '../config/errors';
import { connectionOptions, unavailable } from './connection';

/** workflows/index.ts; the worker bundles it for the deterministic sandbox at start-up. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/** Structured, one JSON object per line on stderr; callers pass no secrets or personal data. */
export function jsonLog(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

/** The worker's (native) connection; fails fast with the same message as the client's. */
export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(await connectionOptions(config));
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    throw unavailable(config, err);
  }
}

export interface RunWorkerOptions {
  config: TemporalConfig;
  loaded: LoadedWorkspace;
  /** Stop after this promise settles (tests); by default the worker runs until SIGINT/SIGTERM. */
  until?: Promise<unknown>;
  log?: typeof jsonLog;
}

/**
 * `outflow worker`: connects per temporal.config.ts, wires the real warehouse and connectors into
 * the activities, and polls the task queue. SIGINT/SIGTERM stop polling, let running activities
 * finish for up to 30 s (an interrupted upload resumes from its ledger on another worker), then
 * close the warehouse.
 */
export async function runWorker(opts: RunWorkerOptions): Promise<void> {
  const { config, loaded } = opts;
  const log = opts.log ?? jsonLog;
  let connection: NativeConnection | undefined;
  const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
  // Refreshes feed the store's membership lookup (GET /persons/{id}/segments) with their changes.
  const store = await openStoreFor(loaded);
  try {
    connection = await connectWorker(config);
    const worker = await Worker.create({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: createActivities({
        warehouse,
        workspace: loaded.workspace,
        destinations: destinationFactory(loaded.workspace, loaded.dir, log),
        log,
        onChanges: async (c) => void (await store.membership.take(c)),
      }),
      maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
      shutdownGraceTime: '30 seconds',
    });
    // The SDK's runtime already turns these signals into worker.shutdown(); say what happens.
    const onSignal = (signal: string) => log('worker_stopping', { signal, graceSeconds: 30 });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    log('worker_started', { address: config.address, namespace: config.namespace, taskQueue: config.taskQueue, workspace: loaded.file });
    try {
      await (opts.until ? worker.runUntil(opts.until) : worker.run());
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    log('worker_stopped', {});
  } finally {
    await connection?.close();
    await warehouse.close();
    await store.close();
  }
}
