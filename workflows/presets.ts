import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import type { SyncRunSteps } from '../src/sync/orchestrate';

/**
 * Who retries what (docs/temporal.md "Who retries a failed platform call"): these policies retry
 * lost workers, warehouse errors and single destination calls; an upload retries each of its
 * batches itself, so a platform failure that leaves an upload activity is final and never
 * retried here.
 */

/**
 * Warehouse work (evaluate and diff, commit, uploads streamed out of the warehouse): may run for
 * hours on a large audience, so a long start-to-close with a short heartbeat timeout that notices
 * a lost worker quickly. Cancellation waits for the activity to stop, so the run's lock is only
 * released once nothing is still writing.
 */
export const warehouseActivity = {
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '2 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 8 },
} as const satisfies ActivityOptions;

/**
 * Single destination API calls (find/create an audience, read a match rate): the step tries each
 * once and Temporal owns the retries, as many as the in-process retry policy makes
 * (DEFAULT_RETRY.maxAttempts, src/sync/upload.ts; a test keeps them equal). The start-to-close
 * timeout matches the connectors' default request timeout, so a platform that never answers fails
 * the run after 6 x 2 minutes plus 31 s of backoff.
 */
export const destinationActivity = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
} as const satisfies ActivityOptions;

/** Bookkeeping in the state schema (start/finish a run, record a match rate): quick, retried. */
export const stateActivity = {
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
} as const satisfies ActivityOptions;

/** The preset each step of a sync run runs under. */
export const SYNC_RUN_PRESETS = {
  startRun: stateActivity,
  evaluateAndDiff: warehouseActivity,
  ensureAudience: destinationActivity,
  uploadChanges: warehouseActivity,
  commitSnapshot: warehouseActivity,
  finishRun: stateActivity,
} as const satisfies Record<keyof SyncRunSteps, ActivityOptions>;
