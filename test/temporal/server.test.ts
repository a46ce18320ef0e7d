/**
 * Against a real Temporal server: worker + client + schedules, and time-skipping for the
 * match-rate poll. Needs binaries this machine cannot install, so it runs only when pointed at
 * them and says plainly when it is skipped:
 *   TEMPORAL_CLI_PATH=/path/to/temporal          -> `temporal server start-dev` on a free port
 *   TEMPORAL_TEST_SERVER_PATH=/path/to/test-server -> the time-skipping test server
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activitiesOver } from '../../src/activities';
import { workspaceSchema } from '../../src/config/schema';
import { DestinationError } from '../../src/destinations/contract';
import { syncSchedules } from '../../src/temporal/schedule-sync';
import { SyncRunAlreadyOpenError, followSyncRun, startSyncRun } from '../../src/temporal/start-sync-run';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { matchRatePollWorkflow } from '../../workflows';
import { delegating, fakeSteps, type FakeSteps } from './fakes';

const CLI = process.env.TEMPORAL_CLI_PATH;
const TEST_SERVER = process.env.TEMPORAL_TEST_SERVER_PATH;
const TASK_QUEUE = 'outflow-server-test';
const AS_OF = '2026-01-15T06:00:00.000Z';

if (!CLI) console.log('[temporal] real-server suite SKIPPED: TEMPORAL_CLI_PATH is not set (point it at a `temporal` CLI binary to run it)');
if (!TEST_SERVER) console.log('[temporal] time-skipping suite SKIPPED: TEMPORAL_TEST_SERVER_PATH is not set (point it at a Temporal test-server binary to run it)');


describe.skipIf(!CLI)('against `temporal server start-dev`', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const holder: { steps: FakeSteps } = { steps: fakeSteps() };

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: CLI! } } });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: WORKFLOWS_PATH,
      activities: activitiesOver(delegating(holder), { heartbeatIntervalMs: 200 }),
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('runs a sync through the worker in the orchestration order', async () => {
    holder.steps = fakeSteps();
    const handle = await startSyncRun(env.client, TASK_QUEUE, { syncId: 'happy', asOf: AS_OF, pollMatchRate: false });
    const seen: string[] = [];
    const result = await followSyncRun(handle, { pollMs: 100, onStatus: (s) => seen.push(s.step ?? s.phase) });
    expect(result).toMatchObject({ status: 'synced', added: 10, removed: 2 });
    expect(holder.steps.calls).toEqual(['startRun', 'evaluateAndDiff', 'ensureAudience', 'uploadChanges:remove', 'uploadChanges:add', 'commitSnapshot', 'finishRun:synced']);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('refuses a second start while a run of the sync is open, and cancels cleanly', async () => {
    holder.steps = fakeSteps({ batches: 200, batchDelayMs: 50 });
    const handle = await startSyncRun(env.client, TASK_QUEUE, { syncId: 'busy', asOf: AS_OF, pollMatchRate: false });
    await expect(startSyncRun(env.client, TASK_QUEUE, { syncId: 'busy', asOf: AS_OF })).rejects.toBeInstanceOf(SyncRunAlreadyOpenError);
    const abort = new AbortController();
    const following = followSyncRun(handle, {
      pollMs: 100,
      signal: abort.signal,
      onStatus: (s) => {
        if (s.step === 'uploadChanges:remove') abort.abort();
      },
    });
    const result = await following;
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/^cancelled/);
    expect(holder.steps.calls).not.toContain('commitSnapshot');
    expect(holder.steps.finished.at(-1)?.error).toMatch(/^cancelled/);
    // Closed: the business id is free again.
    holder.steps = fakeSteps();
    const again = await startSyncRun(env.client, TASK_QUEUE, { syncId: 'busy', asOf: AS_OF, pollMatchRate: false });
    expect((await again.result()).status).toBe('synced');
  });

  it('retries a single platform call after the platform retry-after on a rate limit, then succeeds', async () => {
    const steps = fakeSteps();
    const ensure = steps.ensureAudience.bind(steps);
    let attempts = 0;
    steps.ensureAudience = async (run) => {
      if (++attempts === 1) throw new DestinationError('rate_limited', 'slow down', { retryAfterMs: 1500, code: 429 });
      return ensure(run);
    };
    holder.steps = steps;
    const t0 = Date.now();
    const result = await (await startSyncRun(env.client, TASK_QUEUE, { syncId: 'throttled', asOf: AS_OF, pollMatchRate: false })).result();
    expect(result.status).toBe('synced');
    expect(attempts).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
  });

  it('fails at once on invalid auth, without committing', async () => {
    const steps = fakeSteps();
    let attempts = 0;
    steps.ensureAudience = async () => {
      attempts += 1;
      throw new DestinationError('invalid_auth', 'token expired', { code: 401 });
    };
    holder.steps = steps;
    const result = await (await startSyncRun(env.client, TASK_QUEUE, { syncId: 'bad-auth', asOf: AS_OF })).result();
    expect(result.status).toBe('failed');
    expect(attempts).toBe(1);
    expect(steps.calls).not.toContain('commitSnapshot');
  });

  it('schedules apply: creates, is idempotent, pauses, deletes', async () => {
    const ws = (status: string, syncs: string[]) =>
      workspaceSchema.parse({
        version: 1,
        warehouse: { type: 'duckdb' },
        entities: [{ id: 'person', kind: 'person', table: 'persons', primaryKey: 'id', identifiers: { email: 'email' } }],
        segments: [{ id: 'buyers', entity: 'person', name: 'b', type: 'everyone', status }],
        destinations: [{ id: 'files', type: 'file', settings: {} }],
        syncs: syncs.map((id) => ({ id, segment: 'buyers', destination: 'files' })),
      });
    const opts = { idPrefix: 'outflow-test/', taskQueue: TASK_QUEUE };
    const first = await syncSchedules(env.client, ws('active', ['a', 'b']), opts);
    expect(first.create.map((d) => d.scheduleId)).toEqual(['outflow-test/a', 'outflow-test/b']);
    // The list API is eventually consistent on the dev server: retry the idempotence check briefly.
    let second = await syncSchedules(env.client, ws('active', ['a', 'b']), { ...opts, dryRun: true });
    for (let i = 0; i < 20 && second.unchanged.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 250));
      second = await syncSchedules(env.client, ws('active', ['a', 'b']), { ...opts, dryRun: true });
    }
    expect(second).toMatchObject({ create: [], update: [], delete: [] });
    const paused = await syncSchedules(env.client, ws('paused', ['a', 'b']), opts);
    expect(paused.update).toHaveLength(2);
    const described = await env.client.schedule.getHandle('outflow-test/a').describe();
    expect(described.state.paused).toBe(true);
    expect(described.action.workflowType).toBe('scheduledSyncWorkflow');
    const removed = await syncSchedules(env.client, ws('active', ['a']), opts);
    expect(removed.delete).toEqual(['outflow-test/b']);
  });
});

describe.skipIf(!TEST_SERVER)('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEST_SERVER! } } });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('polls the match rate with durable timers until the platform is ready, then records it', async () => {
    const steps = fakeSteps({ rates: [{ status: 'processing' }, { status: 'processing' }, { status: 'ready', matchRate: 0.5, audienceSize: 50 }] });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: WORKFLOWS_PATH,
      activities: activitiesOver(steps),
    });
    const result = await worker.runUntil(
      env.client.workflow.execute(matchRatePollWorkflow, { workflowId: 'match-rate/r1', taskQueue: TASK_QUEUE, args: [{ runId: 'r1', syncId: 's1' }] }),
    );
    expect(result).toMatchObject({ status: 'ready', polls: 3 });
    expect(steps.matchRates).toEqual([{ status: 'ready', matchRate: 0.5, audienceSize: 50 }]);
  });
});
