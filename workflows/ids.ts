/**
 * Business ids of Outflow's workflows. One open `sync/<syncId>` at a time: the id conflict policy
 * (FAIL) refuses a second start while a run of the same sync is open.
 */
export const syncWorkflowId = (syncId: string): string => `sync/${syncId}`;
export const matchRateWorkflowId = (runId: string): string => `match-rate/${runId}`;
export const segmentRefreshWorkflowId = (segmentId: string): string => `segment-refresh/${segmentId}`;
