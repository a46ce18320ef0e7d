import type { ActivitySteps } from '../../src/activities';
import type { MatchRate } from '../../src/destinations/contract';
import type { DiffSummary, FinishInput, StartedRun } from '../../src/sync/orchestrate';

/** In-memory steps for activity and worker tests: records every call, sends pretend batches. */
export interface FakeSteps extends ActivitySteps {
  calls: string[];
  finished: FinishInput[];
  /** Batch sequences "sent" per kind, in order. */
  sent: Record<'add' | 'remove', number[]>;
  /** The ledger: batch sequences acknowledged per kind (a retried upload skips them). */
  acknowledged: Record<'add' | 'remove', Set<number>>;
  matchRates: MatchRate[];
}

export interface FakeStepsOptions {
  memberCount?: number;
  diff?: Omit<DiffSummary, 'memberCount'>;
  /** Batches per upload kind. */
  batches?: number;
  /** Batches an earlier attempt already had acknowledged, per kind (the first n). */
  acknowledged?: Partial<Record<'add' | 'remove', number>>;
  /** Wait before each batch (lets tests cancel in the middle). */
  batchDelayMs?: number;
  /** Match rates returned by successive readMatchRate calls (the last one repeats). */
  rates?: MatchRate[];
}

export const BATCH_ROWS = 10;

export function fakeSteps(opts: FakeStepsOptions = {}): FakeSteps {
  const batches = opts.batches ?? 3;
  const rates = opts.rates ?? [{ status: 'ready', matchRate: 0.7, audienceSize: 700 }];
  const firstN = (n = 0) => new Set(Array.from({ length: n }, (_, i) => i));
  let reads = 0;
  const steps: FakeSteps = {
    calls: [],
    finished: [],
    sent: { add: [], remove: [] },
    acknowledged: { add: firstN(opts.acknowledged?.add), remove: firstN(opts.acknowledged?.remove) },
    matchRates: [],
    async startRun(input) {
      steps.calls.push('startRun');
      return { runId: `run-${input.syncId}`, syncId: input.syncId, asOf: input.asOf, mode: 'mirror', maxRemovalShare: 0.5, allowEmpty: false, resumed: false };
    },
    async evaluateAndDiff() {
      steps.calls.push('evaluateAndDiff');
      return { memberCount: opts.memberCount ?? 100, ...(opts.diff ?? { added: 10, removed: 2, snapshotCount: 92 }) };
    },
    async ensureAudience() {
      steps.calls.push('ensureAudience');
      return { audienceId: 'aud-1', audienceName: 'aud-test' };
    },
    async uploadChanges(run: StartedRun & { kind: 'add' | 'remove' }, o = {}) {
      steps.calls.push(`uploadChanges:${run.kind}`);
      // Batches of BATCH_ROWS rows; those the ledger has are skipped, as the real uploader does.
      const acked = steps.acknowledged[run.kind];
      const total = batches * BATCH_ROWS;
      let done = acked.size * BATCH_ROWS;
      let sentBatches = 0;
      for (let seq = 0; seq < batches; seq++) {
        if (acked.has(seq)) continue;
        if (opts.batchDelayMs) await new Promise((r) => setTimeout(r, opts.batchDelayMs));
        // Stop between batches, never in the middle of one.
        o.signal?.throwIfAborted();
        steps.sent[run.kind].push(seq);
        acked.add(seq);
        done += BATCH_ROWS;
        sentBatches += 1;
        o.onProgress?.({ runId: run.runId, kind: run.kind, done, total });
      }
      return { kind: run.kind, batches: sentBatches, skippedBatches: batches - sentBatches, sent: sentBatches * BATCH_ROWS, rejected: 0 };
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
    async rejectionReasons() {
      return [];
    },
  };
  return steps;
}

/** Steps that delegate to whichever fake steps the current test installed in `holder`. */
export function delegating(holder: { steps: ActivitySteps }): ActivitySteps {
  return {
    startRun: (i) => holder.steps.startRun(i),
    evaluateAndDiff: (r) => holder.steps.evaluateAndDiff(r),
    ensureAudience: (r) => holder.steps.ensureAudience(r),
    uploadChanges: (r, o) => holder.steps.uploadChanges(r, o),
    commitSnapshot: (r) => holder.steps.commitSnapshot(r),
    finishRun: (i) => holder.steps.finishRun(i),
    refreshSegment: (i) => holder.steps.refreshSegment(i),
    readMatchRate: (r) => holder.steps.readMatchRate(r),
    recordMatchRate: (r, m) => holder.steps.recordMatchRate(r, m),
    rejectionReasons: (r) => holder.steps.rejectionReasons(r),
  };
}
