import { defaultPayloadConverter } from '@temporalio/common';
import { payloadToJSON, type JSONPayload } from '@temporalio/common/lib/proto-utils';

/**
 * Builds workflow histories in the JSON form `temporal workflow show --output json` and
 * `historyToJSON(await handle.fetchHistory())` produce, for replay tests on machines with no
 * Temporal server.
 *
 * It writes the events a server would write for the commands the workflow issues, in the same
 * order and with the ids the TypeScript SDK assigns (activity ids and timer ids are per-run
 * sequence numbers starting at "1"). Payloads go through the default data converter, like the
 * real thing. What it cannot know (server task ids, identities) is filled with fixed values.
 *
 * @example
 * const h = new HistoryBuilder({ workflowType: 'segmentRefreshWorkflow', input: [{ segmentId: 's' }] });
 * h.workflowTask();
 * h.activity('refreshSegment', { result: { ... } });
 * h.workflowTask();
 * h.completeWorkflow({ ... });
 * writeFileSync('history.json', h.toJSON());
 */
export interface HistoryBuilderOptions {
  workflowType: string;
  input: unknown[];
  workflowId?: string;
  taskQueue?: string;
  /** Start of the history; every event advances the clock by `stepMs`. */
  startTime?: string;
  stepMs?: number;
}

type Attributes = Record<string, unknown>;

/** A child workflow as the parent starts it. */
export interface ChildSpec {
  workflowType: string;
  workflowId: string;
  input: unknown[];
  parentClosePolicy: 'Abandon' | 'Terminate' | 'RequestCancel';
}
interface HistoryEvent {
  eventId: string;
  eventTime: string;
  eventType: string;
  taskId: string;
  [attributes: string]: unknown;
}

/** A failure as the server stores it (ApplicationFailure shape). */
export interface FailureSpec {
  message: string;
  type: string;
  nonRetryable?: boolean;
  nextRetryDelayMs?: number;
  details?: unknown[];
}

const RUN_ID = '00000000-0000-4000-8000-000000000001';
const IDENTITY = 'history-builder@outflow';
const CHILD_RUN_ID = '00000000-0000-4000-8000-000000000002';
const SDK_METADATA = { coreUsedFlags: [1, 2, 3], langUsedFlags: [1, 2], sdkName: 'temporal-typescript', sdkVersion: '1.24.0' };

export function payloads(values: unknown[]): { payloads: JSONPayload[] } {
  return { payloads: values.map((v) => payloadToJSON(defaultPayloadConverter.toPayload(v))) };
}

function duration(ms: number): string {
  return `${ms / 1000}s`;
}

function failure(spec: FailureSpec): Attributes {
  return {
    message: spec.message,
    source: 'TypeScriptSDK',
    applicationFailureInfo: {
      type: spec.type,
      nonRetryable: spec.nonRetryable ?? false,
      ...(spec.details ? { details: payloads(spec.details) } : {}),
      ...(spec.nextRetryDelayMs !== undefined ? { nextRetryDelay: duration(spec.nextRetryDelayMs) } : {}),
    },
  };
}

export class HistoryBuilder {
  readonly workflowId: string;
  readonly #events: HistoryEvent[] = [];
  readonly #taskQueue: string;
  readonly #stepMs: number;
  #clock: number;
  #activitySeq = 0;
  #timerSeq = 0;
  #lastCompletedTask = 0;

  constructor(opts: HistoryBuilderOptions) {
    this.workflowId = opts.workflowId ?? `${opts.workflowType}-replay`;
    this.#taskQueue = opts.taskQueue ?? 'outflow';
    this.#stepMs = opts.stepMs ?? 1000;
    this.#clock = Date.parse(opts.startTime ?? '2026-01-15T06:00:00Z');
    this.#add('WorkflowExecutionStarted', {
      workflowType: { name: opts.workflowType },
      taskQueue: { name: this.#taskQueue, kind: 'Normal' },
      input: payloads(opts.input),
      workflowExecutionTimeout: '0s',
      workflowRunTimeout: '0s',
      workflowTaskTimeout: '10s',
      originalExecutionRunId: RUN_ID,
      firstExecutionRunId: RUN_ID,
      identity: IDENTITY,
      attempt: 1,
      firstWorkflowTaskBackoff: '0s',
      header: { fields: {} },
    });
  }

  /** Time of the last event written (what `Date.now()` returns in the workflow after it). */
  get clockISO(): string {
    return new Date(this.#clock).toISOString();
  }

  /** Id of the last event written. */
  get lastEventId(): number {
    return this.#events.length;
  }

  #add(type: string, attributes: Attributes, advanceMs = this.#stepMs): number {
    this.#clock += this.#events.length === 0 ? 0 : advanceMs;
    const eventId = this.#events.length + 1;
    const key = `${type[0]!.toLowerCase()}${type.slice(1)}EventAttributes`;
    this.#events.push({
      eventId: String(eventId),
      eventTime: new Date(this.#clock).toISOString(),
      eventType: type,
      taskId: String(1_048_576 + eventId),
      [key]: attributes,
    });
    return eventId;
  }

  /** WorkflowTaskScheduled, Started and Completed: the worker ran the workflow up to its next wait. */
  workflowTask(): this {
    const scheduled = this.#add('WorkflowTaskScheduled', {
      taskQueue: { name: this.#taskQueue, kind: 'Normal' },
      startToCloseTimeout: '10s',
      attempt: 1,
    });
    const started = this.#add('WorkflowTaskStarted', { scheduledEventId: String(scheduled), identity: IDENTITY, requestId: `req-${scheduled}` });
    const first = this.#lastCompletedTask === 0;
    this.#lastCompletedTask = this.#add('WorkflowTaskCompleted', {
      scheduledEventId: String(scheduled),
      startedEventId: String(started),
      identity: IDENTITY,
      // A current worker records the SDK flags it ran with. Without core flag 1
      // (IdAndTypeDeterminismChecks) replay would not compare activity types, and without lang
      // flag 1 non-cancellable scopes would replay with pre-1.11 semantics.
      ...(first ? { sdkMetadata: SDK_METADATA } : {}),
    });
    return this;
  }

  /** ActivityTaskScheduled for the next activity command; returns its scheduled event id. */
  scheduleActivity(activityType: string, input: unknown[] = []): number {
    this.#activitySeq += 1;
    return this.#add('ActivityTaskScheduled', {
      activityId: String(this.#activitySeq),
      activityType: { name: activityType },
      taskQueue: { name: this.#taskQueue, kind: 'Normal' },
      header: { fields: {} },
      input: payloads(input),
      scheduleToCloseTimeout: '0s',
      scheduleToStartTimeout: '0s',
      startToCloseTimeout: '120s',
      heartbeatTimeout: '0s',
      workflowTaskCompletedEventId: String(this.#lastCompletedTask),
      retryPolicy: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '100s', maximumAttempts: 0 },
    });
  }

  /**
   * ActivityTaskStarted and Completed (or Failed) for a scheduled activity. The server writes
   * Started only for the last attempt, with the failure that ended the previous one: retries
   * inside one activity are visible only as `attempt` and `lastFailure`.
   */
  finishActivity(
    scheduledEventId: number,
    outcome: { result: unknown } | { failure: FailureSpec },
    retried?: { attempt: number; lastFailure: FailureSpec; waitedMs: number },
  ): this {
    const started = this.#add(
      'ActivityTaskStarted',
      {
        scheduledEventId: String(scheduledEventId),
        identity: IDENTITY,
        requestId: `act-${scheduledEventId}`,
        attempt: retried?.attempt ?? 1,
        ...(retried ? { lastFailure: failure(retried.lastFailure) } : {}),
      },
      retried?.waitedMs ?? this.#stepMs,
    );
    if ('result' in outcome) {
      this.#add('ActivityTaskCompleted', {
        result: payloads([outcome.result]),
        scheduledEventId: String(scheduledEventId),
        startedEventId: String(started),
        identity: IDENTITY,
      });
    } else {
      this.#add('ActivityTaskFailed', {
        failure: failure(outcome.failure),
        scheduledEventId: String(scheduledEventId),
        startedEventId: String(started),
        identity: IDENTITY,
        retryState: outcome.failure.nonRetryable ? 'NonRetryableFailure' : 'MaximumAttemptsReached',
      });
    }
    return this;
  }

  /** ActivityTaskStarted for an activity that is still running; returns the started event id. */
  startActivity(scheduledEventId: number): number {
    return this.#add('ActivityTaskStarted', { scheduledEventId: String(scheduledEventId), identity: IDENTITY, requestId: `act-${scheduledEventId}`, attempt: 1 });
  }

  /**
   * The workflow asked to cancel a running activity (command of the last workflow task), and the
   * activity acknowledged it on its next heartbeat; then the workflow task that saw it.
   */
  cancelActivity(scheduledEventId: number, startedEventId: number): this {
    const requested = this.#add('ActivityTaskCancelRequested', {
      scheduledEventId: String(scheduledEventId),
      workflowTaskCompletedEventId: String(this.#lastCompletedTask),
    });
    this.#add('ActivityTaskCanceled', {
      scheduledEventId: String(scheduledEventId),
      startedEventId: String(startedEventId),
      latestCancelRequestedEventId: String(requested),
      identity: IDENTITY,
    });
    return this.workflowTask();
  }

  /** One activity scheduled, run and ended, then the workflow task that saw the result. */
  activity(
    activityType: string,
    outcome: { result: unknown } | { failure: FailureSpec },
    opts: { input?: unknown[]; retried?: { attempt: number; lastFailure: FailureSpec; waitedMs: number } } = {},
  ): this {
    const scheduled = this.scheduleActivity(activityType, opts.input);
    this.finishActivity(scheduled, outcome, opts.retried);
    return this.workflowTask();
  }

  /** TimerStarted and TimerFired, then the workflow task woken by it. */
  timer(ms: number): this {
    this.#timerSeq += 1;
    const started = this.#add('TimerStarted', {
      timerId: String(this.#timerSeq),
      startToFireTimeout: duration(ms),
      workflowTaskCompletedEventId: String(this.#lastCompletedTask),
    });
    this.#add('TimerFired', { timerId: String(this.#timerSeq), startedEventId: String(started) }, ms);
    return this.workflowTask();
  }

  /** A signal delivered while the workflow waits, then the workflow task that handled it. */
  signal(signalName: string, input: unknown[] = []): this {
    this.#add('WorkflowExecutionSignaled', { signalName, input: payloads(input), identity: IDENTITY });
    return this.workflowTask();
  }

  /** StartChildWorkflowExecutionInitiated for the next child command; returns its event id. */
  initiateChild(opts: ChildSpec): number {
    return this.#add('StartChildWorkflowExecutionInitiated', {
      namespace: 'default',
      workflowId: opts.workflowId,
      workflowType: { name: opts.workflowType },
      taskQueue: { name: this.#taskQueue, kind: 'Normal' },
      input: payloads(opts.input),
      workflowExecutionTimeout: '0s',
      workflowRunTimeout: '0s',
      workflowTaskTimeout: '10s',
      parentClosePolicy: opts.parentClosePolicy,
      workflowTaskCompletedEventId: String(this.#lastCompletedTask),
      workflowIdReusePolicy: 'AllowDuplicate',
      header: { fields: {} },
    });
  }

  /** ChildWorkflowExecutionStarted, then a workflow task; returns the started event id. */
  childStarted(initiatedEventId: number, opts: ChildSpec): number {
    const started = this.#add('ChildWorkflowExecutionStarted', {
      namespace: 'default',
      initiatedEventId: String(initiatedEventId),
      workflowExecution: { workflowId: opts.workflowId, runId: CHILD_RUN_ID },
      workflowType: { name: opts.workflowType },
      header: { fields: {} },
    });
    this.workflowTask();
    return started;
  }

  /** ChildWorkflowExecutionCompleted with `result`, then a workflow task. */
  childCompleted(initiatedEventId: number, startedEventId: number, opts: ChildSpec, result: unknown): this {
    this.#add('ChildWorkflowExecutionCompleted', {
      namespace: 'default',
      initiatedEventId: String(initiatedEventId),
      startedEventId: String(startedEventId),
      workflowExecution: { workflowId: opts.workflowId, runId: CHILD_RUN_ID },
      workflowType: { name: opts.workflowType },
      result: payloads([result]),
    });
    return this.workflowTask();
  }

  /** The server refused to start the child: a workflow with its id is already running. */
  childAlreadyRunning(initiatedEventId: number, opts: ChildSpec): this {
    this.#add('StartChildWorkflowExecutionFailed', {
      namespace: 'default',
      workflowId: opts.workflowId,
      workflowType: { name: opts.workflowType },
      cause: 'START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS',
      initiatedEventId: String(initiatedEventId),
      workflowTaskCompletedEventId: String(this.#lastCompletedTask),
    });
    return this.workflowTask();
  }

  /** A child started (and left running, e.g. ABANDON), then the workflow task that saw it. */
  startChild(opts: ChildSpec): this {
    this.childStarted(this.initiateChild(opts), opts);
    return this;
  }

  completeWorkflow(result: unknown): this {
    this.#add('WorkflowExecutionCompleted', { result: payloads([result]), workflowTaskCompletedEventId: String(this.#lastCompletedTask) });
    return this;
  }

  continueAsNew(workflowType: string, input: unknown[]): this {
    this.#add('WorkflowExecutionContinuedAsNew', {
      newExecutionRunId: '00000000-0000-4000-8000-000000000003',
      workflowType: { name: workflowType },
      taskQueue: { name: this.#taskQueue, kind: 'Normal' },
      input: payloads(input),
      workflowRunTimeout: '0s',
      workflowTaskTimeout: '10s',
      workflowTaskCompletedEventId: String(this.#lastCompletedTask),
      initiator: 'Workflow',
      header: { fields: {} },
    });
    return this;
  }

  toObject(): { events: HistoryEvent[] } {
    return { events: this.#events.map((e) => ({ ...e })) };
  }

  toJSON(): string {
    return `${JSON.stringify(this.toObject(), null, 2)}\n`;
  }
}
