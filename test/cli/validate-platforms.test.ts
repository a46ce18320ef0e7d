import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, baseWorkspace, cliFixture } from './fixture';
import { expectInvalidInput, outflowChild, outflowInProcess } from './support';

/**
 * `outflow validate` checks each new platform's settings against its connector's schema: a bad
 * setting is exit 2 at `destinations[i].settings.<key>`, and good settings pass.
 */

let fx: CliFixture;
beforeAll(async () => {
  fx = await cliFixture();
});
afterAll(() => fx.close());

const GOOD = {
  linkedin: '{adAccountId: "508000001", clientId: c, clientSecret: s, refreshToken: r, sourcePlatform: OUTFLOW}',
  microsoft_ads: '{customerId: "251000001", accountId: 180000001, developerToken: d, clientId: c, clientSecret: s, refreshToken: r}',
  tiktok: '{advertiserId: "7100000000000000001", accessToken: t}',
  snapchat: '{adAccountId: 8adc3db7-8148-4fbf-999c-000000000001, clientId: c, clientSecret: s, refreshToken: r}',
  pinterest: '{adAccountId: "549755885175", clientId: c, clientSecret: s, refreshToken: r, identifier: mobileAdId}',
  reddit: '{adAccountId: a2_abc123, clientId: c, clientSecret: s, refreshToken: r}',
  x: '{accountId: 18ce54d4x5t, consumerKey: k, consumerSecret: s, accessToken: t, accessTokenSecret: ts}',
  stackadapt: '{advertiserId: "91001", apiKey: k, marketingOptIn: true}',
  viant: '{accountId: "4100", advertiserIds: ["52001"], accessToken: t, identifier: phone, countryCode: CA}',
} as const;

const BAD: [keyof typeof GOOD, string, string][] = [
  ['linkedin', '{adAccountId: "urn:li:sponsoredAccount:1", clientId: c, clientSecret: s, refreshToken: r, sourcePlatform: OUTFLOW}', 'adAccountId'],
  ['linkedin', '{adAccountId: "1", clientId: c, clientSecret: s, refreshToken: r, sourcePlatform: OUTFLOW, apiVersion: "2026-10"}', 'apiVersion'],
  ['microsoft_ads', '{customerId: "251000001", accountId: 1, developerToken: d, clientId: c, clientSecret: s, refreshToken: r, itemsPerCall: 5000}', 'itemsPerCall'],
  ['microsoft_ads', '{customerId: "251000001", accountId: 1, developerToken: d, clientId: c, clientSecret: s, refreshToken: r, apiBaseUrl: "not a url"}', 'apiBaseUrl'],
  ['tiktok', '{advertiserId: "7100000000000000001", accessToken: t, identifier: idfa}', 'identifier'],
  ['tiktok', '{advertiserId: "7100000000000000001"}', 'accessToken'],
  ['snapchat', '{adAccountId: "12345", clientId: c, clientSecret: s, refreshToken: r}', 'adAccountId'],
  ['snapchat', '{adAccountId: 8adc3db7-8148-4fbf-999c-000000000001, clientId: c, clientSecret: s, refreshToken: r, identifiersPerRequest: 200000}', 'identifiersPerRequest'],
  ['pinterest', '{adAccountId: "act_549755885175", clientId: c, clientSecret: s, refreshToken: r}', 'adAccountId'],
  ['pinterest', '{adAccountId: "549755885175", clientId: c, clientSecret: s, refreshToken: r, identifier: phone}', 'identifier'],
  ['pinterest', '{adAccountId: "549755885175", clientId: c, clientSecret: s, refreshToken: r, recordsPerRequest: 100000}', 'recordsPerRequest'],
  ['reddit', '{adAccountId: "a2 abc/1", clientId: c, clientSecret: s, refreshToken: r}', 'adAccountId'],
  ['reddit', '{adAccountId: a2_abc123, clientId: c, clientSecret: s, refreshToken: r, rowsPerRequest: 10000}', 'rowsPerRequest'],
  ['reddit', '{adAccountId: a2_abc123, clientId: c, clientSecret: s, refreshToken: r, userAgent: node}', 'userAgent'],
  ['x', '{accountId: "18ce-54", consumerKey: k, consumerSecret: s, accessToken: t, accessTokenSecret: ts}', 'accountId'],
  ['x', '{accountId: 18ce54d4x5t, consumerKey: k, consumerSecret: s, accessToken: t}', 'accessTokenSecret'],
  ['x', '{accountId: 18ce54d4x5t, consumerKey: k, consumerSecret: s, accessToken: t, accessTokenSecret: ts, maxBodyBytes: 6000000}', 'maxBodyBytes'],
  ['x', '{accountId: 18ce54d4x5t, consumerKey: k, consumerSecret: s, accessToken: t, accessTokenSecret: ts, usersPerRequest: 100000, usersPerOperation: 10}', 'usersPerRequest'],
  ['stackadapt', '{advertiserId: "adv-1", apiKey: k}', 'advertiserId'],
  ['stackadapt', '{advertiserId: "91001"}', 'apiKey'],
  ['stackadapt', '{advertiserId: "91001", apiKey: k, externalProvider: "Outflow CRM"}', 'externalProvider'],
  ['stackadapt', '{advertiserId: "91001", apiKey: k, profilesPerRequest: 50000}', 'profilesPerRequest'],
  ['viant', '{accountId: "4100", advertiserIds: [], accessToken: t}', 'advertiserIds'],
  ['viant', '{accountId: "4100", advertiserIds: [adv1], accessToken: t}', 'advertiserIds[0]'],
  ['viant', '{accountId: "4100", advertiserIds: ["52001"], accessToken: t, identifier: mobileAdId}', 'identifier'],
  ['viant', '{accountId: "4100", advertiserIds: ["52001"], accessToken: t, ttlSeconds: 3600}', 'ttlSeconds'],
  ['viant', '{accountId: "4100", advertiserIds: ["52001"], accessToken: t, apiVersion: "1"}', 'apiVersion'],
];

const workspace = (type: string, settings: string) =>
  baseWorkspace().replace('destinations: [{id: out, type: file, settings: {path: ./exports}}]', `destinations:\n  - {id: out, type: file, settings: {path: ./exports}}\n  - {id: ad, type: ${type}, settings: ${settings}}`);

describe('outflow validate with the new platforms', () => {
  it.each(Object.entries(GOOD))('accepts good %s settings', async (type, settings) => {
    const file = fx.write(`good-${type}.yaml`, workspace(type, settings));
    const run = await outflowInProcess(['--config', file, 'validate']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it.each(BAD)('rejects bad %s settings at their path (%#)', async (type, settings, key) => {
    const file = fx.write(`bad-${type}-${key}.yaml`, workspace(type, settings));
    expectInvalidInput(await outflowInProcess(['--config', file, 'validate']), path.relative(process.cwd(), file), `destinations[1].settings.${key}`);
  });

  it('a real process exits 2', async () => {
    const file = fx.write('bad-child.yaml', workspace('tiktok', '{advertiserId: abc, accessToken: t}'));
    const run = await outflowChild(['--config', file, 'validate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: .*destinations\[1\]\.settings\.advertiserId: /);
  });
});
