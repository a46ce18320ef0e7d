import type { MatchRate } from '../../src/destinations/contract';
import type { DiffSummary, StartedRun, SyncRunResult, UploadSummary } from '../../src/sync/orchestrate';
import { FAILURE_TYPES } from '../../src/activities/failures';
import { HistoryBuilder, type ChildSpec } from './history-builder';

/**
 * The histories replayed by replay.test.ts, written as the server would record them for the
 * scenario in each name. `npx tsx test/temporal/write-histories.ts` writes them to
 * test/fixtures/histories/; histories recorded from a real server can sit next to them.
 */

const SYNC_ID = 'buyers-meta';
const AS_OF = '2026-01-15T06:00:00.000Z';
const RUN: StartedRun = {
  runId: 'run-0001',
  syncId: SYNC_ID,
  asOf: AS_OF,
  mode: 'mirror',
  maxRemovalShare: 0.5,
  allowEmpty: false,
  resumed: false,
};
const upload = (kind: 'add' | 'remove', batches: number, sent: number, rejected = 0): UploadSummary => ({
  kind,
  batches,
  skippedBatches: 0,
  sent,
  rejected,
});

function syncRunStart(input: Record<string, unknown> = {}): HistoryBuilder {
  return new HistoryBuilder({
    workflowType: 'syncRunWorkflow',
    workflowId: `sync/${SYNC_ID}`,
    input: [{ syncId: SYNC_ID, asOf: AS_OF, ...input }],
  })
    .workflowTask()
    .activity('startRun', { result: RUN });
}

/** The result as the workflow returned it when these histories were recorded (before runs carried planned / sent / deferred). */
function result(partial: Partial<SyncRunResult>): SyncRunResult {
  return { runId: RUN.runId, syncId: SYNC_ID, asOf: AS_OF, status: 'synced', memberCount: 0, added: 0, removed: 0, rejected: 0, batches: 0, ...partial } as SyncRunResult;
}

function syncedRun(opts: { rateLimited: boolean }): HistoryBuilder {
  const diff: DiffSummary = { memberCount: 1000, added: 120, removed: 30, snapshotCount: 910 };
  const h = syncRunStart().activity('evaluateAndDiff', { result: diff });
  const audience = { audienceId: 'aud-1', audienceName: 'aud-7k2p9x' };
  if (opts.rateLimited) {
    // Temporal owns the retries of single platform calls: the first attempt to find the audience
    // hit the platform's rate limit, and the second came after exactly its retry-after.
    h.activity(
      'ensureAudience',
      { result: audience },
      {
        retried: {
          attempt: 2,
          waitedMs: 30_000,
          lastFailure: {
            message: 'rate limited (429)',
            type: FAILURE_TYPES.rate_limited,
            nextRetryDelayMs: 30_000,
            details: [{ kind: 'rate_limited', code: '429', retryAfterMs: 30_000 }],
          },
        },
      },
    );
  } else {
    h.activity('ensureAudience', { result: audience });
  }
  h.activity('uploadChanges', { result: upload('remove', 1, 30) })
    .activity('uploadChanges', { result: upload('add', 2, 120, 1) })
    .activity('commitSnapshot', { result: undefined })
    .activity('finishRun', { result: undefined });
  h.startChild({
    workflowType: 'matchRatePollWorkflow',
    workflowId: `match-rate/${RUN.runId}`,
    input: [{ runId: RUN.runId, syncId: SYNC_ID }],
    parentClosePolicy: 'Abandon',
  });
  return h.completeWorkflow(result({ memberCount: 1000, added: 120, removed: 30, rejected: 1, batches: 3 }));
}

function needsConfirmation(): HistoryBuilder {
  const reason =
    'this run would remove 800 of 1000 members (80%), more than maxRemovalShare 0.5; rerun with --confirm-removals to allow it';
  return syncRunStart()
    .activity('evaluateAndDiff', { result: { memberCount: 200, added: 0, removed: 800, snapshotCount: 1000 } })
    .activity('finishRun', { result: undefined })
    .completeWorkflow(result({ status: 'needs_confirmation', memberCount: 200, removed: 800, reason }));
}

function invalidAuthFailsWithoutCommit(): HistoryBuilder {
  const message = 'access token expired (401)';
  return syncRunStart()
    .activity('evaluateAndDiff', { result: { memberCount: 1000, added: 10, removed: 0, snapshotCount: 990 } })
    .activity('ensureAudience', { result: { audienceId: 'aud-1', audienceName: 'aud-7k2p9x' } })
    .activity('uploadChanges', { result: upload('remove', 0, 0) })
    .activity('uploadChanges', {
      failure: { message, type: FAILURE_TYPES.invalid_auth, nonRetryable: true, details: [{ kind: 'invalid_auth', code: '401' }] },
    })
    .activity('finishRun', { result: undefined })
    .completeWorkflow(result({ status: 'failed', memberCount: 1000, added: 10, reason: 'Activity task failed' }));
}

function cancelledDuringUpload(): HistoryBuilder {
  const h = syncRunStart()
    .activity('evaluateAndDiff', { result: { memberCount: 1000, added: 120, removed: 30, snapshotCount: 910 } })
    .activity('ensureAudience', { result: { audienceId: 'aud-1', audienceName: 'aud-7k2p9x' } });
  // The cancel signal arrives while the remove upload runs: the workflow asks the activity to
  // stop, waits for it, then still records the run as failed (and releases the lock).
  const upload = h.scheduleActivity('uploadChanges');
  const started = h.startActivity(upload);
  return h
    .signal('cancel', ['stopped by an operator'])
    .cancelActivity(upload, started)
    .activity('finishRun', { result: undefined })
    .completeWorkflow(result({ status: 'failed', memberCount: 1000, added: 120, removed: 30, reason: 'cancelled: stopped by an operator' }));
}

function scheduled(alreadyOpen: boolean): HistoryBuilder {
  const child: ChildSpec = { workflowType: 'syncRunWorkflow', workflowId: `sync/${SYNC_ID}`, input: [{ syncId: SYNC_ID }], parentClosePolicy: 'RequestCancel' };
  const h = new HistoryBuilder({
    workflowType: 'scheduledSyncWorkflow',
    workflowId: `scheduled-sync/${SYNC_ID}-2026-01-15T06:00:00Z`,
    input: [{ syncId: SYNC_ID }],
  }).workflowTask();
  const initiated = h.initiateChild(child);
  if (alreadyOpen) {
    return h
      .childAlreadyRunning(initiated, child)
      .completeWorkflow({ started: false, reason: `a run of sync "${SYNC_ID}" is already open` });
  }
  const run = result({ memberCount: 1000, added: 120, removed: 30, batches: 3 });
  const started = h.childStarted(initiated, child);
  return h.childCompleted(initiated, started, child, run).completeWorkflow({ started: true, result: run });
}

function matchRatePoll(): HistoryBuilder {
  const processing: MatchRate = { status: 'processing' };
  const ready: MatchRate = { status: 'ready', matchRate: 0.62, audienceSize: 740 };
  return new HistoryBuilder({
    workflowType: 'matchRatePollWorkflow',
    workflowId: `match-rate/${RUN.runId}`,
    input: [{ runId: RUN.runId, syncId: SYNC_ID }],
  })
    .workflowTask()
    .timer(5 * 60_000)
    .activity('readMatchRate', { result: processing })
    .timer(10 * 60_000)
    .activity('readMatchRate', { result: ready })
    .activity('recordMatchRate', { result: undefined })
    .completeWorkflow({ status: 'ready', polls: 2, rate: ready });
}

function matchRateContinuesAsNew(): HistoryBuilder {
  // Ten polls while the platform is still processing, then the history is handed to a new run.
  const h = new HistoryBuilder({
    workflowType: 'matchRatePollWorkflow',
    workflowId: `match-rate/${RUN.runId}`,
    input: [{ runId: RUN.runId, syncId: SYNC_ID }],
  }).workflowTask();
  const startedAt = h.clockISO;
  for (let poll = 0; poll < 10; poll++) {
    h.timer(Math.min(5 * 60_000 * 2 ** poll, 6 * 3_600_000)).activity('readMatchRate', { result: { status: 'processing' } });
  }
  return h.continueAsNew('matchRatePollWorkflow', [{ runId: RUN.runId, syncId: SYNC_ID, startedAt, polls: 10 }]);
}

function segmentRefresh(): HistoryBuilder {
  const input = { segmentId: 'recent-buyers', asOf: AS_OF };
  const evaluation = { segmentId: 'recent-buyers', asOf: AS_OF, memberCount: 1000, added: 12, removed: 3 };
  return new HistoryBuilder({ workflowType: 'segmentRefreshWorkflow', workflowId: 'segment-refresh/recent-buyers', input: [input] })
    .workflowTask()
    .activity('refreshSegment', { result: evaluation })
    .completeWorkflow(evaluation);
}

/** File name (without .json) -> history. */
export const HISTORIES: Record<string, () => HistoryBuilder> = {
  'sync-run-happy-path': () => syncedRun({ rateLimited: false }),
  'sync-run-rate-limited-retry': () => syncedRun({ rateLimited: true }),
  'sync-run-needs-confirmation': needsConfirmation,
  'sync-run-invalid-auth': invalidAuthFailsWithoutCommit,
  'sync-run-cancelled-during-upload': cancelledDuringUpload,
  'match-rate-poll-timers': matchRatePoll,
  'match-rate-poll-continues-as-new': matchRateContinuesAsNew,
  'segment-refresh': segmentRefresh,
  'scheduled-sync-starts-run': () => scheduled(false),
  'scheduled-sync-skipped-while-open': () => scheduled(true),
};
