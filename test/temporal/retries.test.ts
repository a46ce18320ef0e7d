import { afterEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { loadWorkspace } from '../../src/config/load';
import { destinationFactory } from '../../src/destinations/registry';
import { type Fault } from '../../src/sandbox/fake-server';
import { MetaFake } from '../../src/sandbox/meta';
import { orchestrateSyncRun, type SyncRunInput, type SyncRunResult, type SyncRunSteps } from '../../src/sync/orchestrate';
import { createSyncSteps, type SyncDeps } from '../../src/sync/steps';
import { DEFAULT_RETRY } from '../../src/sync/upload';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { SYNC_RUN_PRESETS } from '../../workflows/presets';
import { initialPeople, writePeople, writeWorkspace } from '../connectors/e2e-support';
import { type RetryRecord, retriedByTemporal } from './retry-policy';

/**
 * Who retries a failing platform, and how often (docs/temporal.md "Who retries a failed platform
 * call"): a platform that keeps failing, or never answers, is tried the documented number of times
 * under each orchestrator, and no more. The Meta contract fake injects the faults; Temporal's
 * retry policy is emulated over the real activities (retry-policy.ts).
 */

const REQUEST_TIMEOUT_MS = 500;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup() {
  const fake = new MetaFake();
  await fake.start();
  // One batch in one request: every try of the upload is one request to /users.
  const settings = fake.settings({ rowsPerRequest: 100, requestsPerSession: 1, concurrency: 1, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  const work = writeWorkspace([{ id: 'meta', type: 'meta', settings }]);
  const loaded = loadWorkspace(work.config);
  // The warehouse file is new: DuckDbDriver.open creates it (openWarehouse opens only existing ones).
  const warehouse = await DuckDbDriver.open({ path: work.dbPath });
  cleanups.push(async () => {
    await warehouse.close();
    await fake.stop();
  });
  await writePeople(warehouse, initialPeople());
  const deps: SyncDeps = {
    warehouse,
    workspace: loaded.workspace,
    destinations: destinationFactory(loaded.workspace, loaded.dir),
    // Backoff costs nothing here; what is counted is the tries.
    sleep: async () => undefined,
  };
  const input: SyncRunInput = { syncId: 'vips-meta', asOf: new Date().toISOString() };
  /** Injects a fault on every request to `path` and returns how many requests it met. */
  const always = (kind: Fault['kind'], path: string): (() => number) => {
    const fault: Fault = { kind, times: 1_000, pathIncludes: path, ...(kind === 'hang' ? { ms: 4 * REQUEST_TIMEOUT_MS } : { status: 503 }) };
    fake.inject(fault);
    return () => 1_000 - fault.times;
  };
  return { deps, input, always };
}

type Orchestrator = 'in-process' | 'Temporal';

/** Runs one sync under `orchestrator`; under Temporal each step's activity is retried per its preset. */
async function runUnder(orchestrator: Orchestrator, deps: SyncDeps, input: SyncRunInput): Promise<{ result: SyncRunResult; temporal: Record<string, RetryRecord> }> {
  const temporal: Record<string, RetryRecord> = {};
  if (orchestrator === 'in-process') return { result: await orchestrateSyncRun(createSyncSteps(deps), input), temporal };
  const acts = createActivities(deps);
  const wrap = <K extends keyof SyncRunSteps>(step: K): SyncRunSteps[K] => {
    const activity = acts[step] as unknown as (...args: unknown[]) => Promise<unknown>;
    return retriedByTemporal(activity, SYNC_RUN_PRESETS[step], (temporal[step] = { attempts: 0, waitedMs: [] })) as SyncRunSteps[K];
  };
  const steps: SyncRunSteps = {
    startRun: wrap('startRun'),
    evaluateAndDiff: wrap('evaluateAndDiff'),
    ensureAudience: wrap('ensureAudience'),
    uploadChanges: wrap('uploadChanges'),
    commitSnapshot: wrap('commitSnapshot'),
    finishRun: wrap('finishRun'),
  };
  return { result: await orchestrateSyncRun(steps, input), temporal };
}

/** The tries each orchestrator makes of a platform call before the run fails (the documented number). */
const DOCUMENTED_TRIES = DEFAULT_RETRY.maxAttempts;

describe('single destination calls are retried by one owner', () => {
  it('Temporal retries them as often as the in-process policy does', () => {
    expect(SYNC_RUN_PRESETS.ensureAudience.retry.maximumAttempts).toBe(DEFAULT_RETRY.maxAttempts);
  });
});

describe.each<Orchestrator>(['in-process', 'Temporal'])('a platform that keeps failing, %s', (orchestrator) => {
  it(`an upload is tried ${DOCUMENTED_TRIES} times, then the run fails and the snapshot stays`, async () => {
    const t = await setup();
    const uploads = t.always('server_error', '/users');
    const { result, temporal } = await runUnder(orchestrator, t.deps, t.input);
    expect(result).toMatchObject({ status: 'failed', plannedAdded: 27, sent: 0 });
    expect(result.reason).toMatch(/503/);
    expect(uploads()).toBe(DOCUMENTED_TRIES);
    // Temporal never retried an upload activity (one call per side of the diff, no waits): the
    // step had already spent its tries.
    if (orchestrator === 'Temporal') expect(temporal.uploadChanges).toEqual({ attempts: 2, waitedMs: [] });
    // The run's own bookkeeping still ran to the end.
    expect((await t.deps.warehouse.query(`select count(*) as n from ${t.deps.workspace.stateSchema}.sync_snapshot_keys`))[0]).toEqual({ n: 0 });
  });

  it(`finding the audience is tried ${DOCUMENTED_TRIES} times, then the run fails`, async () => {
    const t = await setup();
    const lookups = t.always('server_error', '/customaudiences');
    const { result, temporal } = await runUnder(orchestrator, t.deps, t.input);
    expect(result.status).toBe('failed');
    expect(lookups()).toBe(DOCUMENTED_TRIES);
    if (orchestrator === 'Temporal') expect(temporal.ensureAudience?.attempts).toBe(DOCUMENTED_TRIES);
  });

  it(`a platform that never answers fails the run after ${DOCUMENTED_TRIES} timed-out tries, within that many request timeouts`, async () => {
    const t = await setup();
    const uploads = t.always('hang', '/users');
    const started = Date.now();
    const { result } = await runUnder(orchestrator, t.deps, t.input);
    const elapsed = Date.now() - started;
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(new RegExp(`timed out after ${REQUEST_TIMEOUT_MS} ms`));
    expect(uploads()).toBe(DOCUMENTED_TRIES);
    // tries x request timeout, with room for a slow machine (backoff is not slept here).
    expect(elapsed).toBeLessThan(DOCUMENTED_TRIES * REQUEST_TIMEOUT_MS + 8_000);
  }, 120_000);
});
