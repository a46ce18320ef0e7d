import { proxyActivities } from '@temporalio/workflow';
import type { OutflowActivities, RefreshSegmentResult } from '../src/activities';
import { warehouseActivity } from './presets';

export interface SegmentRefreshInput {
  segmentId: string;
  /** ISO-8601; defaults to the workflow's (deterministic) now. */
  asOf?: string;
}

const warehouse = proxyActivities<OutflowActivities>(warehouseActivity);

/** Evaluates a dynamic segment and writes the membership tables (`outflow segments refresh`). */
export async function segmentRefreshWorkflow(input: SegmentRefreshInput): Promise<RefreshSegmentResult> {
  const asOf = input.asOf ?? new Date(Date.now()).toISOString();
  return warehouse.refreshSegment({ segmentId: input.segmentId, asOf });
}
