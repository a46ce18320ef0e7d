import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseStackAdapt, STACKADAPT_PATH, StackAdaptFake, stackAdaptSyncId } from '../../src/sandbox/stackadapt';
import { send } from './support';

/** StackAdapt GraphQL fake, driven as the third-party connectors call upsertProfiles. */

const fake = new StackAdaptFake({ maxProfilesPerRequest: 100 });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const gql = (query: string, variables?: Record<string, unknown>, token = fake.apiKey) =>
  send(`${fake.url}${STACKADAPT_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });

const UPSERT = `mutation Upsert($input: UpsertProfilesInput!) { upsertProfiles(input: $input) { userErrors { message path } } }`;
function upsert(profiles: unknown[], advertiserId: string | number = fake.advertiserId) {
  const text = JSON.stringify(profiles);
  return gql(UPSERT, { input: { advertiserId, externalProvider: 'outflow', syncId: stackAdaptSyncId(text), profiles: text } });
}
const member = (userId: string, audienceId: string, action: 'enter' | 'exit', extra: Record<string, unknown> = {}) => ({ userId, audienceId, audienceName: `aud-${audienceId}`, action, ...extra });
const userErrors = (r: { body: Record<string, unknown> }) => ((r.body.data as Record<string, { userErrors: { message: string; path?: unknown[] }[] }>).upsertProfiles?.userErrors ?? []);

describe('StackAdapt fake: auth', () => {
  it('answers tokenInfo with the advertiser and its scopes, only the selected fields', async () => {
    const r = await gql('query { tokenInfo { scopesByAdvertiser { nodes { advertiser { name } scopes } } } }');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ tokenInfo: { scopesByAdvertiser: { nodes: [{ advertiser: { name: fake.advertiserName }, scopes: ['READ', 'WRITE'] }] } } });
  });

  it('refuses a missing, wrong or revoked token with 401, another advertiser or a read-only token in userErrors', async () => {
    expect((await gql('query { tokenInfo { scopesByAdvertiser { nodes { scopes } } } }', undefined, 'nope')).status).toBe(401);
    const other = new StackAdaptFake({ scopes: ['READ'] });
    await other.start();
    try {
      const text = JSON.stringify([member('u1', 'a1', 'enter')]);
      const call = () =>
        send(`${other.url}${STACKADAPT_PATH}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${other.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: UPSERT, variables: { input: { advertiserId: other.advertiserId, externalProvider: 'outflow', syncId: stackAdaptSyncId(text), profiles: text } } }),
        });
      expect(userErrors(await call())[0]?.message).toMatch(/WRITE/);
      other.revokeToken();
      expect((await call()).status).toBe(401);
    } finally {
      await other.stop();
    }
    expect(userErrors(await upsert([member('u1', 'a1', 'enter')], '1'))[0]?.path).toEqual(['advertiserId']);
  });
});

describe('StackAdapt fake: upsertProfiles', () => {
  it('enters and exits profiles of an audience; the members are the profiles userIds', async () => {
    const r = await upsert([member('p1', 'aud1', 'enter', { email: 'Ann@Example.com', tier: 'gold' }), member('p2', 'aud1', 'enter'), member('p3', 'aud1', 'enter')]);
    expect([r.status, userErrors(r)]).toEqual([200, []]);
    await upsert([member('p2', 'aud1', 'exit'), member('p9', 'aud1', 'exit')]);
    expect(fake.members('aud1')).toEqual(new Set(['p1', 'p3']));
    expect(fake.profiles.get('p1')).toEqual({ email: 'Ann@Example.com', traits: { tier: 'gold' } });
  });

  it('takes the arguments as literals in the query, as the third-party connectors send them', async () => {
    const text = JSON.stringify([member('lit1', 'aud2', 'enter')]);
    const escaped = JSON.stringify(text);
    const q = `mutation {
      upsertProfiles(input: { advertiserId: ${fake.advertiserId}, externalProvider: "outflow", syncId: "${stackAdaptSyncId(text)}", profiles: ${escaped} }) { userErrors { message } }
      upsertProfileMapping(input: { advertiserId: ${fake.advertiserId}, mappingSchemaV2: [{ incomingKey: "userId", destinationKey: "external_id", type: "string", isPii: false }], mappableType: "outflow" }) { userErrors { message } }
    }`;
    const r = await gql(q);
    expect(r.body.data).toEqual({ upsertProfiles: { userErrors: [] }, upsertProfileMapping: { userErrors: [] } });
    expect(fake.members('aud2')).toEqual(new Set(['lit1']));
    expect(fake.mappings.profile?.mappableType).toBe('outflow');
  });

  it('names a bad profile in userErrors by index (never its values) and applies the others', async () => {
    const r = await upsert([member('ok', 'aud3', 'enter'), { ...member('bad', 'aud3', 'enter'), action: 'join' }, { audienceId: 'aud3', action: 'enter', audienceName: 'x' }, member('e', 'aud3', 'enter', { email: 'ann-at-example.com' })]);
    expect(userErrors(r).map((e) => e.path)).toEqual([
      ['profiles', 1],
      ['profiles', 2],
      ['profiles', 3],
    ]);
    expect(JSON.stringify(r.body)).not.toContain('ann-at-example.com');
    expect(fake.members('aud3')).toEqual(new Set(['ok']));
  });

  it('refuses profiles that are not a JSON string, a syncId that is not a SHA-256, and more profiles than the cap', async () => {
    const notString = await gql(UPSERT, { input: { advertiserId: fake.advertiserId, externalProvider: 'outflow', syncId: stackAdaptSyncId('x'), profiles: [member('a', 'aud4', 'enter')] } });
    expect(userErrors(notString)[0]?.path).toEqual(['profiles']);
    const text = JSON.stringify([member('a', 'aud4', 'enter')]);
    expect(userErrors(await gql(UPSERT, { input: { advertiserId: fake.advertiserId, externalProvider: 'outflow', syncId: 'batch-1', profiles: text } }))[0]?.path).toEqual(['syncId']);
    const over = await upsert(Array.from({ length: 101 }, (_, i) => member(`o${i}`, 'aud4', 'enter')));
    expect(userErrors(over)[0]?.message).toMatch(/at most 100/);
    expect(fake.members('aud4').size).toBe(0);
  });

  it('deletes profiles by external id, with their memberships', async () => {
    await upsert([member('d1', 'aud5', 'enter'), member('d2', 'aud5', 'enter')]);
    const r = await gql(`mutation { deleteProfilesWithExternalIds(input: { externalIds: ["d1"], externalProvider: "outflow", syncId: "${stackAdaptSyncId('d1')}", advertiserIds: [${fake.advertiserId}] }) { userErrors { message path } } }`);
    expect(r.body.data).toEqual({ deleteProfilesWithExternalIds: { userErrors: [] } });
    expect(fake.members('aud5')).toEqual(new Set(['d2']));
    expect(fake.profiles.has('d1')).toBe(false);
  });

  it('answers a syntax error or an unknown field with 400 and a GraphQL error', async () => {
    expect((await gql('mutation { upsertProfiles(')).status).toBe(400);
    const unknown = await gql('mutation { addToAudience(id: 1) { ok } }');
    expect([unknown.status, (unknown.body.errors as { message: string }[])[0]?.message]).toEqual([400, 'Cannot query field "addToAudience" on type "Mutation"']);
  });

  it('throttles with HTTP 429 and a GraphQL error, then serves again', async () => {
    fake.inject({ kind: 'throttle', times: 1 });
    const r = await upsert([member('t', 'aud6', 'enter')]);
    expect([r.status, ((r.body.errors as { extensions: { code: string } }[])[0]?.extensions.code)]).toEqual([429, 'RATE_LIMITED']);
    expect(userErrors(await upsert([member('t', 'aud6', 'enter')]))).toEqual([]);
    expect(fake.members('aud6')).toEqual(new Set(['t']));
  });
});

describe('normaliseStackAdapt', () => {
  it('keeps the email trimmed and lowercased, the external id trimmed', () => {
    expect(normaliseStackAdapt('email', ' Ann@Example.COM ')).toBe('ann@example.com');
    expect(normaliseStackAdapt('externalId', ' crm-1 ')).toBe('crm-1');
    expect(normaliseStackAdapt('email', ' ')).toBeUndefined();
  });
});
