import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { activitiesOver, type UploadCursor } from '../../src/activities';
import { FAILURE_TYPES, toTemporalFailure } from '../../src/activities/failures';
import { DestinationError } from '../../src/destinations/contract';
import type { StartedRun } from '../../src/sync/orchestrate';
import { fakeSteps } from './fakes';

const silent = { log: () => undefined, error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };
const env = (info: Record<string, unknown> = {}) => new MockActivityEnvironment(info, { logger: silent });

const RUN: StartedRun = { runId: 'r1', syncId: 's1', asOf: '2026-01-15T06:00:00Z', mode: 'mirror', maxRemovalShare: 0.5, allowEmpty: false, resumed: false };

describe('uploadChanges activity', () => {
  it('heartbeats its cursor after every acknowledged batch', async () => {
    const steps = fakeSteps({ batches: 3 });
    const acts = activitiesOver(steps);
    const e = env();
    const beats: unknown[] = [];
    e.on('heartbeat', (d: unknown) => beats.push(d));
    const summary = await e.run(acts.uploadChanges, { ...RUN, kind: 'add' as const });
    expect(summary).toEqual({ kind: 'add', batches: 3, skippedBatches: 0, sent: 30, rejected: 0 });
    expect(beats).toEqual([10, 20, 30].map((done) => ({ kind: 'add', done, total: 30 })));
  });

  it('a retry skips what the ledger has and shows the previous cursor before the first new batch', async () => {
    // The previous attempt had three batches acknowledged (the ledger) and heartbeated their cursor.
    const steps = fakeSteps({ batches: 5, acknowledged: { add: 3 } });
    const acts = activitiesOver(steps);
    const prior: UploadCursor = { kind: 'add', done: 30, total: 50 };
    const e = env({ attempt: 2, heartbeatDetails: prior });
    const beats: UploadCursor[] = [];
    e.on('heartbeat', (d: UploadCursor) => beats.push(d));
    const summary = await e.run(acts.uploadChanges, { ...RUN, kind: 'add' as const });
    expect(steps.sent.add).toEqual([3, 4]);
    expect(summary).toMatchObject({ batches: 2, skippedBatches: 3, sent: 20 });
    // The resumed cursor is visible before the first new batch is sent.
    expect(beats[0]).toEqual(prior);
  });

  it('ignores a cursor that belongs to the other side of the diff', async () => {
    const steps = fakeSteps({ batches: 2 });
    const acts = activitiesOver(steps);
    const e = env({ heartbeatDetails: { kind: 'remove', done: 90, total: 100 } });
    await e.run(acts.uploadChanges, { ...RUN, kind: 'add' as const });
    expect(steps.sent.add).toEqual([0, 1]);
  });

  it('stops between batches when Temporal cancels it', async () => {
    const steps = fakeSteps({ batches: 10, batchDelayMs: 5 });
    const acts = activitiesOver(steps);
    const e = env();
    e.on('heartbeat', (d: UploadCursor) => {
      if (d.done === 20) e.cancel();
    });
    await expect(e.run(acts.uploadChanges, { ...RUN, kind: 'remove' as const })).rejects.toBeInstanceOf(CancelledFailure);
    expect(steps.sent.remove).toEqual([0, 1]);
  });
});

describe('warehouse activities', () => {
  it('heartbeat while a long step runs', async () => {
    const steps = fakeSteps();
    steps.evaluateAndDiff = async () => {
      await new Promise((r) => setTimeout(r, 60));
      return { memberCount: 1, added: 1, removed: 0, snapshotCount: 0 };
    };
    const acts = activitiesOver(steps, { heartbeatIntervalMs: 10 });
    const e = env();
    let beats = 0;
    e.on('heartbeat', () => (beats += 1));
    await e.run(acts.evaluateAndDiff, RUN);
    expect(beats).toBeGreaterThanOrEqual(2);
  });
});

describe('destination errors -> Temporal failures (one mapping)', () => {
  const cases = [
    { kind: 'invalid_auth', type: FAILURE_TYPES.invalid_auth, nonRetryable: true, nextRetryDelay: undefined },
    { kind: 'invalid_payload', type: FAILURE_TYPES.invalid_payload, nonRetryable: true, nextRetryDelay: undefined },
    { kind: 'rate_limited', type: FAILURE_TYPES.rate_limited, nonRetryable: false, nextRetryDelay: 42_000 },
    { kind: 'retryable', type: FAILURE_TYPES.retryable, nonRetryable: false, nextRetryDelay: undefined },
  ] as const;

  it.each(cases)('$kind -> $type, nonRetryable=$nonRetryable', async (c) => {
    const steps = fakeSteps();
    steps.ensureAudience = async () => {
      throw new DestinationError(c.kind, `platform said no (${c.kind})`, { code: 418, ...(c.kind === 'rate_limited' ? { retryAfterMs: 42_000 } : {}) });
    };
    const acts = activitiesOver(steps);
    const err: unknown = await env().run(acts.ensureAudience, RUN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const f = err as ApplicationFailure;
    expect(f.type).toBe(c.type);
    expect(f.nonRetryable).toBe(c.nonRetryable);
    expect(f.nextRetryDelay).toBe(c.nextRetryDelay);
    expect(f.message).toBe(`platform said no (${c.kind})`);
    expect(f.details?.[0]).toMatchObject({ kind: c.kind, code: '418' });
  });

  it('finds a DestinationError wrapped by the uploader', () => {
    const inner = new DestinationError('invalid_payload', 'bad hash', { code: 400 });
    const f = toTemporalFailure(new Error('batch r1/add/3 failed', { cause: inner }));
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect((f as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('leaves other errors alone (the SDK retries them with backoff)', async () => {
    const steps = fakeSteps();
    const boom = new Error('warehouse connection reset');
    steps.evaluateAndDiff = async () => {
      throw boom;
    };
    const acts = activitiesOver(steps);
    await expect(env().run(acts.evaluateAndDiff, RUN)).rejects.toBe(boom);
  });

  it.each(cases)('an upload that still fails with $kind after its own retries is final: Temporal does not retry it', async (c) => {
    const steps = fakeSteps();
    steps.uploadChanges = async () => {
      throw new DestinationError(c.kind, `platform said no (${c.kind})`, { code: 503, ...(c.kind === 'rate_limited' ? { retryAfterMs: 42_000 } : {}) });
    };
    const f = (await env().run(activitiesOver(steps).uploadChanges, { ...RUN, kind: 'add' as const }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe(c.type);
    expect(f.nonRetryable).toBe(true);
    expect(f.nextRetryDelay).toBeUndefined();
  });
});
