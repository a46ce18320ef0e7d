import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { OutflowActivities } from '../src/activities';
import type { MatchRate } from '../src/destinations/contract';
import type { RunRef } from '../src/sync/orchestrate';
import { destinationActivity, stateActivity } from './presets';

/**
 * Platforms take minutes to 48 hours to process an upload: poll with doubling delays (5 min,
 * 10 min, ... capped at 6 h) and give up 48 h after the first poll was scheduled.
 */
export const MATCH_RATE_POLL = {
  firstDelayMs: 5 * 60_000,
  factor: 2,
  maxDelayMs: 6 * 3_600_000,
  giveUpAfterMs: 48 * 3_600_000,
  /** Polls per workflow run before continuing as new, to keep each history short. */
  pollsPerHistory: 10,
} as const;

export interface MatchRatePollInput extends RunRef {
  /** ISO-8601 start of the first poll run; carried over by continue-as-new. */
  startedAt?: string;
  /** Polls already made (by earlier runs of this chain). */
  polls?: number;
}

export interface MatchRatePollResult {
  status: 'ready' | 'gave_up';
  polls: number;
  rate?: MatchRate;
}

/** Delay before poll number `polls` (0-based). */
export function pollDelayMs(polls: number): number {
  return Math.min(MATCH_RATE_POLL.firstDelayMs * MATCH_RATE_POLL.factor ** polls, MATCH_RATE_POLL.maxDelayMs);
}

const destination = proxyActivities<OutflowActivities>(destinationActivity);
const state = proxyActivities<OutflowActivities>(stateActivity);

/** Durable match-rate poll for one run; records the rate on the run when the platform has it. */
export async function matchRatePollWorkflow(input: MatchRatePollInput): Promise<MatchRatePollResult> {
  const ref: RunRef = { runId: input.runId, syncId: input.syncId };
  // Date.now() is the workflow's deterministic clock here, not the machine's.
  const startedAt = input.startedAt ?? new Date(Date.now()).toISOString();
  const deadline = Date.parse(startedAt) + MATCH_RATE_POLL.giveUpAfterMs;
  let polls = input.polls ?? 0;
  let latest: MatchRate | undefined;

  for (let inThisRun = 0; ; inThisRun++) {
    if (inThisRun >= MATCH_RATE_POLL.pollsPerHistory) {
      await continueAsNew<typeof matchRatePollWorkflow>({ ...ref, startedAt, polls });
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(pollDelayMs(polls), remaining));
    polls++;
    latest = await destination.readMatchRate(ref);
    if (latest.status === 'ready') {
      await state.recordMatchRate(ref, latest);
      return { status: 'ready', polls, rate: latest };
    }
  }
  // Still processing after 48 h: keep what the platform did report (e.g. a size range).
  if (latest !== undefined && (latest.matchRate !== undefined || latest.audienceSize !== undefined)) {
    await state.recordMatchRate(ref, latest);
  }
  return { status: 'gave_up', polls, ...(latest ? { rate: latest } : {}) };
}
