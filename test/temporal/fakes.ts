import type { SyncSteps, UploadCursor } from '../../src/activities';
import type { MatchRate } from '../../src/destinations/contract';
import type { DiffSummary, FinishInput, StartedRun } from '../../src/sync/orchestrate';

/** In-memory sync steps for activity and worker tests: records every call, sends pretend batches. */
export interface FakeSteps extends SyncSteps {
  calls: string[];
  finished: FinishInput[];
  /** Batch sequences "sent" per kind, in order. */
  sent: Record<'add' | 'remove', number[]>;
  matchRates: MatchRate[];
}

export interface FakeStepsOptions {
  memberCount?: number;
  diff?: DiffSummary;
  /** Batches per upload kind. */
  batches?: number;
  /** Wait before each batch (lets tests cancel in the middle). */
  batchDelayMs?: number;
  /** Match rates returned by successive readMatchRate calls (the last one repeats). */
  rates?: MatchRate[];
}

export const BATCH_ROWS = 10;

export function fakeSteps(opts: FakeStepsOptions = {}): FakeSteps {
  const batches = opts.batches ?? 3;
  const rates = opts.rates ?? [{ status: 'ready', matchRate: 0.7, audienceSize: 700 }];
  let reads = 0;
  const steps: FakeSteps = {
    calls: [],
    finished: [],
    sent: { add: [], remove: [] },
    matchRates: [],
    async startRun(input) {
      steps.calls.push('startRun');
      return { runId: `run-${input.syncId}`, syncId: input.syncId, asOf: input.asOf, mode: 'mirror', maxRemovalShare: 0.5, allowEmpty: false, resumed: false };
    },
    async evaluateSegment() {
      steps.calls.push('evaluateSegment');
      return { memberCount: opts.memberCount ?? 100 };
    },
    async computeDiff() {
      steps.calls.push('computeDiff');
      return opts.diff ?? { added: 10, removed: 2, snapshotCount: 92 };
    },
    async ensureAudience() {
      steps.calls.push('ensureAudience');
      return { audienceId: 'aud-1', audienceName: 'aud-test' };
    },
    async uploadChanges(run: StartedRun & { kind: 'add' | 'remove' }, o) {
      steps.calls.push(`uploadChanges:${run.kind}`);
      // Batches of BATCH_ROWS rows; a resumed upload starts after the rows the cursor says are done.
      const cursor: UploadCursor = { kind: run.kind, done: o.resumeFrom?.done ?? 0, total: batches * BATCH_ROWS };
      const skippedBatches = cursor.done / BATCH_ROWS;
      let sentBatches = 0;
      while (cursor.done < cursor.total) {
        if (opts.batchDelayMs) await new Promise((r) => setTimeout(r, opts.batchDelayMs));
        // Stop between batches, never in the middle of one.
        if (o.signal.aborted) throw o.signal.reason;
        steps.sent[run.kind].push(cursor.done / BATCH_ROWS);
        cursor.done += BATCH_ROWS;
        sentBatches += 1;
        o.onProgress({ ...cursor });
      }
      return { kind: run.kind, batches: sentBatches, skippedBatches, sent: sentBatches * BATCH_ROWS, rejected: 0 };
    },
    async commitSnapshot() {
      steps.calls.push('commitSnapshot');
    },
    async finishRun(input) {
      steps.calls.push(`finishRun:${input.status}`);
      steps.finished.push(input);
    },
    async refreshSegment(input) {
      steps.calls.push('refreshSegment');
      return { segmentId: input.segmentId, asOf: input.asOf, memberCount: 5, added: 5, removed: 0 };
    },
    async readMatchRate() {
      steps.calls.push('readMatchRate');
      const rate = rates[Math.min(reads, rates.length - 1)]!;
      reads += 1;
      return rate;
    },
    async recordMatchRate(_ref, rate) {
      steps.calls.push('recordMatchRate');
      steps.matchRates.push(rate);
    },
  };
  return steps;
}

/** Activities that delegate to whichever fake steps the current test installed in `holder`. */
export function delegating(holder: { steps: SyncSteps }): SyncSteps {
  return {
    startRun: (i) => holder.steps.startRun(i),
    evaluateSegment: (r) => holder.steps.evaluateSegment(r),
    computeDiff: (r) => holder.steps.computeDiff(r),
    ensureAudience: (r) => holder.steps.ensureAudience(r),
    uploadChanges: (r, o) => holder.steps.uploadChanges(r, o),
    commitSnapshot: (r) => holder.steps.commitSnapshot(r),
    finishRun: (i) => holder.steps.finishRun(i),
    refreshSegment: (i) => holder.steps.refreshSegment(i),
    readMatchRate: (r) => holder.steps.readMatchRate(r),
    recordMatchRate: (r, m) => holder.steps.recordMatchRate(r, m),
  };
}
