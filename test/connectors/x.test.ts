import { describe, expect, it } from 'vitest';
import { xConnector } from '../../connectors/x';
import type { ConnectorDefinition, MemberRow } from '../../src/destinations/contract';
import { XFake } from '../../src/sandbox/x';
import { connectWith, useContractFake } from './contract-kit';
import { expectError } from './expect-error';

/**
 * X specifics against the X fake (which recomputes every OAuth 1.0a signature on its own): the
 * body limit splits a request, operations hold at most `usersPerOperation` users, and counts that
 * do not match what was sent fail the batch so that it is sent again.
 */

const fake = new XFake({ readsUntilProcessed: 0 });
useContractFake(fake, () => {
  fake.uploads.length = 0;
});

const connect = (extra: Record<string, unknown> = {}) => connectWith(xConnector as unknown as ConnectorDefinition, fake.settings(extra), { destinationId: 'x1' });

async function keysOf(dest: ReturnType<typeof connect>, n: number, from = 0): Promise<MemberRow[]> {
  const raw = Array.from({ length: n }, (_, i) => ({ personId: `p${from + i}`, identifiers: { email: `person${from + i}@example.com`, externalId: `crm-${from + i}` } }));
  return (await dest.prepareKeys!(raw)).map((p) => ({ personId: p.personId, identifiers: p.keys }));
}

describe('X custom audiences connector', () => {
  it('splits a request whose body is over maxBodyBytes, and packs usersPerOperation users per operation', async () => {
    const dest = connect({ maxBodyBytes: 20_000, usersPerOperation: 10 });
    const audience = await dest.createAudience({ name: 'x-split' });
    const rows = await keysOf(dest, 300);
    expect((await dest.addMembers(audience, rows, { batchId: 'b/add/0' })).every((r) => r.ok)).toBe(true);
    const uploads = fake.uploads.filter((u) => u.audienceId === audience.id);
    expect(uploads.length).toBeGreaterThan(1);
    for (const u of uploads) {
      expect(u.bytes).toBeLessThanOrEqual(20_000);
      expect(u.operations).toBe(Math.ceil(u.users / 10));
    }
    expect(uploads.reduce((n, u) => n + u.users, 0)).toBe(300);
    const members = fake.members(audience.id);
    expect(members.size).toBe(600);
    expect(members.has(XFake.expectedKey('email', 'person7@example.com')!)).toBe(true);
    expect(members.has(XFake.expectedKey('externalId', 'crm-7')!)).toBe(true);
    const rate = await dest.readMatchRate(audience);
    expect(rate.status).toBe('ready');
    // The fake matches a share of what it holds, as X would.
    expect(rate.audienceSize).toBeGreaterThan(0);
    expect(rate.audienceSize).toBeLessThanOrEqual(600);
  });

  it('counts that differ from what was sent fail the batch as retryable; sending it again completes the audience', async () => {
    const dest = connect();
    const audience = await dest.createAudience({ name: 'x-partial' });
    const rows = await keysOf(dest, 20);
    fake.dropUsersOnNextUpload = 3;
    const err = await expectError(dest.addMembers(audience, rows, { batchId: 'b/add/0' }));
    expect(err.kind).toBe('retryable');
    expect(err.message).toMatch(/^X destination "x1" \(ads account 18ce54sandbox\): POST .*: X processed 17 of 20 users/);
    expect(fake.members(audience.id).size).toBe(34);
    expect((await dest.addMembers(audience, rows, { batchId: 'b/add/0' })).every((r) => r.ok)).toBe(true);
    expect(fake.members(audience.id).size).toBe(40);
    // Delete removes what Update added.
    await dest.removeMembers(audience, rows.slice(0, 5), { batchId: 'b/remove/0' });
    expect(fake.members(audience.id).size).toBe(30);
  });

  it('a signature made with other secrets is refused as invalid_auth, naming the destination and no secret', async () => {
    const dest = connect({ accessTokenSecret: 'not-the-secret' });
    const err = await expectError(dest.testConnection());
    expect(err.kind).toBe('invalid_auth');
    expect(err.message).toMatch(/^X destination "x1" \(ads account 18ce54sandbox\).*access denied \(HTTP 401, code UNAUTHORIZED_ACCESS\)/);
    expect(err.message).not.toContain('not-the-secret');
    expect(err.message).not.toContain(fake.credentials.accessToken);
  });
});
