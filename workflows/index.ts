/** Every workflow the Outflow worker registers (the worker bundles this file). */
export { syncRunWorkflow, statusQuery, cancelSignal } from './sync-run';
export type { SyncRunWorkflowInput, SyncRunStatus } from './sync-run';
export { matchRatePollWorkflow, MATCH_RATE_POLL, pollDelayMs } from './match-rate-poll';
export type { MatchRatePollInput, MatchRatePollResult } from './match-rate-poll';
export { segmentRefreshWorkflow } from './segment-refresh';
export type { SegmentRefreshInput } from './segment-refresh';
export { scheduledSyncWorkflow } from './scheduled-sync';
export type { ScheduledSyncInput, ScheduledSyncResult } from './scheduled-sync';
export { syncWorkflowId, matchRateWorkflowId, segmentRefreshWorkflowId } from './ids';
