import { describe, expect, it } from 'vitest';
import type { FakeServerBase } from '../../src/sandbox/fake-server';
import { PinterestFake } from '../../src/sandbox/pinterest';
import { RedditFake } from '../../src/sandbox/reddit';
import { StackAdaptFake } from '../../src/sandbox/stackadapt';
import { XFake } from '../../src/sandbox/x';

/** Injected 5xx and hung requests on the Pinterest, Reddit, X and StackAdapt fakes. */

const cases: [string, () => FakeServerBase, string][] = [
  ['pinterest', () => new PinterestFake(), '/v5/ad_accounts/549755885175/customer_lists'],
  ['reddit', () => new RedditFake(), '/api/v3/ad_accounts/a2_sandbox000001/custom_audiences'],
  ['x', () => new XFake(), '/12/accounts/18ce54sandbox/custom_audiences'],
  ['stackadapt', () => new StackAdaptFake(), '/graphql'],
];

describe.each(cases)('%s fake: injected faults', (_name, make, path) => {
  it('answers an injected 5xx once, then the platform again', async () => {
    const fake = make();
    await fake.start();
    try {
      fake.inject({ kind: 'server_error', times: 1, status: 502 });
      expect((await fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'user-agent': 'outflow-test/1.0' } })).status).toBe(502);
      const next = await fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'user-agent': 'outflow-test/1.0' } });
      expect(next.status).not.toBe(502);
      expect(fake.requests.map((r) => r.status)[0]).toBe(502);
    } finally {
      await fake.stop();
    }
  });

  it('holds a hung request past the client timeout', async () => {
    const fake = make();
    await fake.start();
    try {
      fake.inject({ kind: 'hang', times: 1, ms: 2_000 });
      await expect(fetch(`${fake.url}${path}`, { method: 'POST', signal: AbortSignal.timeout(150) })).rejects.toThrow();
    } finally {
      await fake.stop();
    }
  });
});
