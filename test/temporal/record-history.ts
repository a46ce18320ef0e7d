/**
 * Records real histories from a Temporal dev server into test/fixtures/histories/, next to the
 * built ones, so replay.test.ts replays them too. Usage (see docs/temporal.md):
 *
 *   temporal server start-dev --headless &
 *   npx tsx test/temporal/record-history.ts
 *
 * It runs a worker with the fake sync steps of fakes.ts on a private task queue, runs each
 * scenario to completion, and writes `historyToJSON(await handle.fetchHistory())`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import { activitiesOver } from '../../src/activities';
import { DestinationError } from '../../src/destinations/contract';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { syncRunWorkflow } from '../../workflows';
import { delegating, fakeSteps, type FakeSteps } from './fakes';

const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
const taskQueue = `outflow-record-${Date.now()}`;
const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/** The first audience lookup is rate limited: Temporal retries it after the platform's retry-after. */
function rateLimitedOnce(steps: FakeSteps): FakeSteps {
  const ensure = steps.ensureAudience.bind(steps);
  let failed = false;
  steps.ensureAudience = async (run) => {
    if (!failed) {
      failed = true;
      throw new DestinationError('rate_limited', 'rate limited (429)', { code: 429, retryAfterMs: 2000 });
    }
    return ensure(run);
  };
  return steps;
}

const scenarios: { name: string; steps: () => FakeSteps; input: Parameters<typeof syncRunWorkflow>[0] }[] = [
  { name: 'recorded-sync-run-happy-path', steps: () => fakeSteps(), input: { syncId: 'rec-happy', asOf: '2026-01-15T06:00:00.000Z', pollMatchRate: false } },
  { name: 'recorded-sync-run-rate-limited', steps: () => rateLimitedOnce(fakeSteps()), input: { syncId: 'rec-throttled', asOf: '2026-01-15T06:00:00.000Z', pollMatchRate: false } },
  {
    name: 'recorded-sync-run-needs-confirmation',
    steps: () => fakeSteps({ memberCount: 10, diff: { added: 0, removed: 90, snapshotCount: 100 } }),
    input: { syncId: 'rec-guard', asOf: '2026-01-15T06:00:00.000Z' },
  },
];

const holder = { steps: fakeSteps() };
const nativeConnection = await NativeConnection.connect({ address });
const connection = await Connection.connect({ address });
const client = new Client({ connection });
const worker = await Worker.create({
  connection: nativeConnection,
  taskQueue,
  workflowsPath: WORKFLOWS_PATH,
  activities: activitiesOver(delegating(holder)),
});
await worker.runUntil(async () => {
  for (const s of scenarios) {
    holder.steps = s.steps();
    const handle = await client.workflow.start(syncRunWorkflow, { workflowId: `sync/${s.input.syncId}-${Date.now()}`, taskQueue, args: [s.input] });
    await handle.result();
    writeFileSync(`${dir}${s.name}.json`, `${historyToJSON(await handle.fetchHistory())}\n`);
    console.log(`wrote ${dir}${s.name}.json`);
  }
});
await connection.close();
await nativeConnection.close();
