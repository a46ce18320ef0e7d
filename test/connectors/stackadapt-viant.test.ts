import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stackAdaptConnector } from '../../connectors/stackadapt';
import { literal } from '../../connectors/stackadapt/api';
import { viantConnector } from '../../connectors/viant';
import type { ConnectorDefinition, Destination, MemberRow } from '../../src/destinations/contract';
import { StackAdaptFake } from '../../src/sandbox/stackadapt';
import { ViantFake } from '../../src/sandbox/viant';
import { connectWith, useContractFake } from './contract-kit';
import { expectError } from './expect-error';

/**
 * StackAdapt and Viant specifics against their fakes: StackAdapt's userId (the external id, else
 * the email's SHA-256), the mappings sent with every upsert, a request-level userError; Viant's
 * segment reuse by external id across processes and its INACTIVE read-back.
 */

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

async function keyed(dest: Destination, raw: MemberRow[]): Promise<MemberRow[]> {
  return (await dest.prepareKeys(raw)).map((p) => ({ personId: p.personId, identifiers: p.keys }));
}

describe('StackAdapt connector', () => {
  const fake = new StackAdaptFake();
  useContractFake(fake);
  const connect = (extra: Record<string, unknown> = {}) => connectWith(stackAdaptConnector as unknown as ConnectorDefinition, fake.settings(extra), { destinationId: 'sa' });

  it('the external id is the userId: a changed email exits and enters the same profile, which keeps the new email', async () => {
    const dest = connect();
    const audience = await dest.createAudience({ name: 'sa-ext' });
    expect(audience).toEqual({ id: 'sa-ext', name: 'sa-ext' });
    const before = await keyed(dest, [{ personId: 'p1', identifiers: { email: ' Ann@Example.com ', externalId: 'crm-1' } }]);
    const after = await keyed(dest, [{ personId: 'p1', identifiers: { email: 'ann.new@example.com', externalId: 'crm-1' } }]);
    await dest.addMembers(audience, before, { batchId: 'b/add/0' });
    await dest.removeMembers(audience, before, { batchId: 'b/remove/1' });
    await dest.addMembers(audience, after, { batchId: 'b/add/1' });
    expect(fake.members('sa-ext')).toEqual(new Set(['crm-1']));
    expect(fake.profiles.get('crm-1')?.email).toBe('ann.new@example.com');
    // The mappings travel with the profiles: the external id, and the email flagged as PII.
    expect(fake.mappings.profile).toMatchObject({ advertiserId: 91001, isOptedIn: false, mappableType: 'outflow' });
    expect(fake.mappings.profile?.mappingSchemaV2).toEqual(expect.arrayContaining([expect.objectContaining({ incomingKey: 'email', destinationKey: 'email', isPii: true, type: 'STRING' })]));
    expect(fake.mappings.audience?.mappingSchema).toEqual(expect.arrayContaining([expect.objectContaining({ incomingKey: 'audienceId', destinationKey: 'external_id' })]));
  });

  it("without an external id the userId is the email's SHA-256, so a changed email is another profile", async () => {
    const dest = connect();
    const audience = await dest.createAudience({ name: 'sa-mail' });
    const rows = await keyed(dest, [{ personId: 'p1', identifiers: { email: 'Bob@Example.com' } }]);
    await dest.addMembers(audience, rows, { batchId: 'b/add/0' });
    expect(fake.members('sa-mail')).toEqual(new Set([sha('bob@example.com')]));
  });

  it('a userError outside the profiles fails the request; a read-only token fails testConnection as invalid_auth', async () => {
    const other = connect({ advertiserId: '1' });
    const rows = await keyed(other, [{ personId: 'p1', identifiers: { email: 'c@example.com' } }]);
    const err = await expectError(other.addMembers({ id: 'a', name: 'a' }, rows, { batchId: 'b/add/0' }));
    expect(err.kind).toBe('invalid_payload');
    expect(err.message).toMatch(/^StackAdapt destination "sa" \(advertiser 1\): StackAdapt refused the field mappings: advertiserId: not an advertiser of this token/);
    expect(fake.members('a').size).toBe(0);
    expect((await expectError(other.testConnection())).kind).toBe('invalid_auth');
    await expect(connect().testConnection()).resolves.toBeUndefined();
  });

  it('writes GraphQL literals: strings escaped, keys and enums bare', () => {
    expect(literal({ a: 'say "hi"\n', n: 3, b: true, list: [1, 'x'], skip: undefined })).toBe('{a: "say \\"hi\\"\\n", n: 3, b: true, list: [1, "x"]}');
  });
});

describe('Viant connector', () => {
  const fake = new ViantFake({ readsUntilProcessed: 0 });
  useContractFake(fake);
  const connect = (extra: Record<string, unknown> = {}) => connectWith(viantConnector as unknown as ConnectorDefinition, fake.settings(extra), { destinationId: 'vi' });

  it('creates one segment of the data type and finds it again from another process by its external id', async () => {
    const audience = await connect({ identifier: 'phone' }).createAudience({ name: 'vi-phones' });
    expect(await connect({ identifier: 'phone' }).createAudience({ name: 'vi-phones' })).toEqual(audience);
    expect(fake.segmentsNamed('vi-phones').map((s) => s.dataType)).toEqual(['phonenumber_sha256']);
    const dest = connect({ identifier: 'phone' });
    const rows = await keyed(dest, [{ personId: 'p1', identifiers: { email: 'a@example.com', phone: '+1 212 555 0100' } }]);
    expect(rows[0]?.identifiers).toEqual({ phone: sha('+12125550100') });
    await dest.addMembers(audience, rows, { batchId: 'b/add/0' });
    expect(fake.members(audience.id)).toEqual(new Set([sha('+12125550100')]));
  });

  it('reads dataCount back, with the minimum-size warning under 1,000; removals leave at the next processing', async () => {
    const dest = connect();
    const audience = await dest.createAudience({ name: 'vi-small' });
    const rows = await keyed(dest, Array.from({ length: 20 }, (_, i) => ({ personId: `p${i}`, identifiers: { email: `m${i}@example.com` } })));
    await dest.addMembers(audience, rows, { batchId: 'b/add/0' });
    await dest.removeMembers(audience, rows.slice(0, 5), { batchId: 'b/remove/1' });
    const rate = await dest.readMatchRate(audience);
    expect(rate).toEqual({ status: 'ready', audienceSize: 15, warnings: ["audience below Viant's minimum size: 15 matched, campaigns need at least 1,000"] });
  });
});
