import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MICROSOFT_ADS_PATHS, MicrosoftAdsFake, normaliseMicrosoftAds } from '../../src/sandbox/microsoft-ads';
import { MARY_SHA256, refreshGrant, send, sha256 } from './support';

/** Microsoft Advertising customer lists fake, driven as the Campaign Management v13 REST reference describes it. */

const fake = new MicrosoftAdsFake();
let token = '';

beforeAll(async () => {
  await fake.start();
  token = await refreshGrant(`${fake.url}${MICROSOFT_ADS_PATHS.token}`, fake.tokens.client);
});
afterAll(() => fake.stop());

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    DeveloperToken: fake.developerToken,
    CustomerId: fake.customerId,
    CustomerAccountId: fake.accountId,
    'content-type': 'application/json',
    ...extra,
  };
}
const call = (operation: string, body: unknown, h: Record<string, string> = headers(), version = 'v13') =>
  send(`${fake.url}/CampaignManagement/${version}/${operation}`, { method: 'POST', headers: h, body: JSON.stringify(body) });
const errorOf = (r: { body: Record<string, unknown> }) => {
  const list = (r.body.Errors ?? r.body.OperationErrors) as { Code: number; ErrorCode: string }[] | undefined;
  return list?.[0] ? [r.body.Type, list[0].Code, list[0].ErrorCode] : undefined;
};

async function createList(name: string): Promise<string> {
  const r = await call('Audiences', { Audiences: [{ Name: name, Type: 'CustomerList', Scope: 'Customer', MembershipDuration: 30, Description: 'sandbox' }] });
  expect(r.status).toBe(200);
  expect(r.body.PartialErrors).toEqual([]);
  return (r.body.AudienceIds as string[])[0] as string;
}
const apply = (audienceId: string, action: string, items: string[], subType = 'Email') =>
  call('CustomerListUserData/Apply', { CustomerListUserData: { ActionType: action, AudienceId: audienceId, CustomerListItemSubType: subType, CustomerListItems: items } });
const readList = async (audienceId: string) => ((await call('Audiences/QueryByIds', { AudienceIds: [audienceId], Type: 'CustomerList' })).body.Audiences as Record<string, unknown>[])[0] as Record<string, unknown>;

describe('Microsoft Advertising fake: auth and headers', () => {
  it('refuses each missing header with 116 RequestMissingHeaders', async () => {
    for (const name of ['authorization', 'DeveloperToken', 'CustomerId', 'CustomerAccountId']) {
      const h = headers();
      delete h[name];
      const r = await call('Audiences/QueryByIds', { Type: 'CustomerList' }, h);
      expect([r.status, ...(errorOf(r) ?? [])]).toEqual([400, 'AdApiFaultDetail', 116, 'RequestMissingHeaders']);
    }
  });

  it('answers a wrong token or developer token with 105, an expired token with 109, another customer or account with 106', async () => {
    const q = { Type: 'CustomerList' };
    expect(errorOf(await call('Audiences/QueryByIds', q, headers({ authorization: 'Bearer nope' })))).toEqual(['AdApiFaultDetail', 105, 'InvalidCredentials']);
    expect(errorOf(await call('Audiences/QueryByIds', q, headers({ DeveloperToken: 'other' })))).toEqual(['AdApiFaultDetail', 105, 'InvalidCredentials']);
    const other = await call('Audiences/QueryByIds', q, headers({ CustomerAccountId: '1' }));
    expect([other.status, errorOf(other)?.[1]]).toEqual([403, 106]);
    const old = fake.tokens.issue();
    fake.expireTokens();
    const expired = await call('Audiences/QueryByIds', q, headers({ authorization: `Bearer ${old}` }));
    expect([expired.status, errorOf(expired)?.[1]]).toEqual([401, 109]);
    token = await refreshGrant(`${fake.url}${MICROSOFT_ADS_PATHS.token}`, fake.tokens.client);
  });

  it('answers a revoked token with 401 / 105 and refuses the revoked refresh token at the token endpoint', async () => {
    const other = new MicrosoftAdsFake();
    await other.start();
    try {
      const t = await refreshGrant(`${other.url}${MICROSOFT_ADS_PATHS.token}`, other.tokens.client);
      other.revokeToken();
      const r = await send(`${other.url}/CampaignManagement/v13/Audiences/QueryByIds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, DeveloperToken: other.developerToken, CustomerId: other.customerId, CustomerAccountId: other.accountId, 'content-type': 'application/json' },
        body: JSON.stringify({ Type: 'CustomerList' }),
      });
      expect([r.status, errorOf(r)?.[1], typeof r.body.TrackingId]).toEqual([401, 105, 'string']);
      await expect(refreshGrant(`${other.url}${MICROSOFT_ADS_PATHS.token}`, other.tokens.client)).rejects.toThrow('400');
    } finally {
      await other.stop();
    }
  });

  it('serves v13 only', async () => {
    expect((await call('Audiences/QueryByIds', { Type: 'CustomerList' }, headers(), 'v12')).status).toBe(404);
  });
});

describe('Microsoft Advertising fake: customer lists', () => {
  it('creates a list, finds it among all lists, adds and removes hashed emails, and reads sizes after processing', async () => {
    const id = await createList('spring-buyers');
    const all = await call('Audiences/QueryByIds', { AudienceIds: null, Type: 'CustomerList' });
    expect((all.body.Audiences as { Id: string; Name: string }[]).find((a) => a.Name === 'spring-buyers')?.Id).toBe(id);

    const emails = ['a@example.com', 'B@example.com ', 'c@example.com'];
    const added = await apply(id, 'Add', emails.map((e) => sha256(e.trim().toLowerCase())));
    expect([added.status, added.body.PartialErrors]).toEqual([200, []]);
    await apply(id, 'Remove', [sha256('c@example.com')]);
    expect(fake.members(id)).toEqual(new Set(['a@example.com', 'B@example.com '].map((e) => MicrosoftAdsFake.expectedKey('email', e))));

    const first = await readList(id);
    expect([first.SearchSize, first.AudienceNetworkSize]).toEqual([null, null]);
    const second = await readList(id);
    expect(Number(second.SearchSize)).toBeLessThanOrEqual(2);
    expect(second).toMatchObject({ Id: id, Type: 'CustomerList', Scope: 'Customer', MembershipDuration: 30 });
  });

  it('refuses a duplicate name per audience, and reports unknown ids in PartialErrors', async () => {
    await createList('dup');
    const r = await call('Audiences', { Audiences: [{ Name: 'dup', Type: 'CustomerList' }, { Name: 'fresh', Type: 'CustomerList' }, { Name: 'x', Type: 'RemarketingList' }] });
    expect(r.body.AudienceIds).toEqual([null, expect.any(String), null]);
    expect((r.body.PartialErrors as { Index: number; Code: number }[]).map((e) => [e.Index, e.Code])).toEqual([
      [0, 4853],
      [2, 4859],
    ]);
    const q = await call('Audiences/QueryByIds', { AudienceIds: ['1'], Type: 'CustomerList' });
    expect([q.body.Audiences, (q.body.PartialErrors as { Code: number }[])[0]?.Code]).toEqual([[null], 4835]);
  });

  it('refuses more than 1,000 items per Apply with 4603 CountExceedsLimit, and takes exactly 1,000', async () => {
    const id = await createList('limits');
    const items = (n: number) => Array.from({ length: n }, (_, i) => sha256(`${i}@example.com`));
    const over = await apply(id, 'Add', items(1_001));
    expect([over.status, ...(errorOf(over) ?? [])]).toEqual([400, 'ApiFaultDetail', 4603, 'CountExceedsLimit']);
    expect(fake.members(id).size).toBe(0);
    expect((await apply(id, 'Add', items(1_000))).status).toBe(200);
    expect(fake.members(id).size).toBe(1_000);
  });

  it('rejects plain or malformed emails item by item (8004 with the index) and applies the rest', async () => {
    const id = await createList('rows');
    const good = sha256('good@example.com');
    const r = await apply(id, 'Add', ['mary@example.com', good, sha256('x').toUpperCase(), 'abc']);
    expect(r.status).toBe(200);
    expect((r.body.PartialErrors as { Index: number; Code: number; ErrorCode: string }[]).map((e) => [e.Index, e.Code, e.ErrorCode])).toEqual([
      [0, 8004, 'EmailMustBeHashed'],
      [2, 8004, 'EmailMustBeHashed'],
      [3, 8004, 'EmailMustBeHashed'],
    ]);
    expect(JSON.stringify(r.body)).not.toContain('mary@example.com');
    expect(fake.members(id)).toEqual(new Set([`Email=${good}`]));
    const crm = await apply(id, 'Add', ['crm-1', 'x'.repeat(101)], 'CRM');
    expect((crm.body.PartialErrors as { Index: number; Code: number }[]).map((e) => [e.Index, e.Code])).toEqual([[1, 8005]]);
    expect(fake.members(id).has(MicrosoftAdsFake.expectedKey('externalId', ' crm-1 ') as string)).toBe(true);
  });

  it('refuses an unknown action, subtype or list, and every Apply until the Customer Match terms are accepted', async () => {
    const id = await createList('refusals');
    const body = (d: Record<string, unknown>) => ({ CustomerListUserData: { ActionType: 'Add', AudienceId: id, CustomerListItemSubType: 'Email', CustomerListItems: [sha256('a')], ...d } });
    expect(errorOf(await call('CustomerListUserData/Apply', body({ ActionType: 'Upsert' })))?.[1]).toBe(8001);
    expect(errorOf(await call('CustomerListUserData/Apply', body({ CustomerListItemSubType: 'Phone' })))?.[1]).toBe(8002);
    expect(errorOf(await call('CustomerListUserData/Apply', body({ AudienceId: '42' })))?.[1]).toBe(8000);
    fake.termsAccepted = false;
    try {
      expect(errorOf(await call('CustomerListUserData/Apply', body({})))?.[2]).toBe('CustomerListTermsAndConditionsNotAccepted');
    } finally {
      fake.termsAccepted = true;
    }
  });

  it('keeps the right members over adds, removes and a paged Replace (each Replace call empties the list first)', async () => {
    const id = await createList('sequence');
    const h = (n: number) => sha256(`m${n}@example.com`);
    await apply(id, 'Add', [1, 2, 3].map(h));
    await apply(id, 'Remove', [2, 9].map(h));
    await apply(id, 'Add', [4].map(h));
    expect(fake.members(id)).toEqual(new Set([1, 3, 4].map((n) => `Email=${h(n)}`)));
    await apply(id, 'Replace', [5, 6].map(h));
    await apply(id, 'Replace', [7].map(h));
    expect(fake.members(id)).toEqual(new Set([`Email=${h(7)}`]));
  });

  it('throttles with AdApiFaultDetail 117 CallRateExceeded, then serves again', async () => {
    const id = await createList('throttle');
    fake.inject({ kind: 'throttle', times: 1, pathIncludes: '/Apply' });
    const r = await apply(id, 'Add', [sha256('t')]);
    expect([r.status, ...(errorOf(r) ?? [])]).toEqual([400, 'AdApiFaultDetail', 117, 'CallRateExceeded']);
    expect((await apply(id, 'Add', [sha256('t')])).status).toBe(200);
  });
});

describe('normaliseMicrosoftAds', () => {
  it('hashes a trimmed, lowercased email and keeps CRM ids plain', () => {
    expect(normaliseMicrosoftAds('email', ' Mary@Example.com')).toBe(`Email=${MARY_SHA256}`);
    expect(normaliseMicrosoftAds('externalId', ' 00042 ')).toBe('CRM=00042');
    expect(normaliseMicrosoftAds('externalId', 'x'.repeat(101))).toBeUndefined();
  });
});
