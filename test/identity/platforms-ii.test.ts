import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LINKEDIN_IDENTITY } from '../../src/identity/linkedin';
import { MICROSOFT_ADS_IDENTITY } from '../../src/identity/microsoft-ads';
import { prepareIdentifiers } from '../../src/identity/rules';
import { SNAPCHAT_IDENTITY } from '../../src/identity/snapchat';
import { TIKTOK_IDENTITY } from '../../src/identity/tiktok';
import { LinkedInFake } from '../../src/sandbox/linkedin';
import { MicrosoftAdsFake } from '../../src/sandbox/microsoft-ads';
import { SnapchatFake } from '../../src/sandbox/snapchat';
import { TikTokFake } from '../../src/sandbox/tiktok';

/**
 * The rule sets of LinkedIn, Microsoft Advertising, TikTok and Snapchat (reference §1.2): hash
 * inputs written out by hand, the vendors' published examples where there are any, and agreement
 * with each contract fake's own expected-key function (written independently, from the reference).
 */

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const prep = (rules: Parameters<typeof prepareIdentifiers>[0], row: Parameters<typeof prepareIdentifiers>[1]) => prepareIdentifiers(rules, row);

describe('LinkedIn', () => {
  it('hashes the trimmed, lowercased email; sends names and country plain', () => {
    const { values, problems } = prep(LINKEDIN_IDENTITY, { email: '  Mary.Smith@Example.COM ', firstName: ' Mary  Ann ', lastName: 'Smith', countryCode: 'gb' });
    expect(problems).toEqual([]);
    expect(values).toEqual({ email: sha('mary.smith@example.com'), firstName: 'Mary Ann', lastName: 'Smith', countryCode: 'GB' });
  });
  it('refuses names over 35 characters and non-ISO countries, and takes no phone', () => {
    const { values, problems } = prep(LINKEDIN_IDENTITY, { firstName: 'x'.repeat(36), countryCode: 'GBR', phone: '+442071838750' });
    expect(values).toEqual({});
    expect(problems).toEqual(['firstName: longer than 35 characters', 'countryCode: not an ISO 3166-1 alpha-2 code']);
  });
  it('agrees with the LinkedIn fake', () => {
    for (const email of ['a@b.co', ' MiXeD@Example.org '])
      expect(`SHA256_EMAIL=${prep(LINKEDIN_IDENTITY, { email }).values.email}`).toBe(LinkedInFake.expectedKey('email', email));
    expect(`country=${prep(LINKEDIN_IDENTITY, { countryCode: 'us' }).values.countryCode}`).toBe(LinkedInFake.expectedKey('countryCode', 'us'));
    expect(`firstName=${prep(LINKEDIN_IDENTITY, { firstName: ' Zoë ' }).values.firstName}`).toBe(LinkedInFake.expectedKey('firstName', ' Zoë '));
  });
});

describe('Microsoft Advertising', () => {
  it('hashes the trimmed, lowercased email and takes nothing else', () => {
    expect(prep(MICROSOFT_ADS_IDENTITY, { email: ' Someone@Example.com', phone: '+12125550000', externalId: 'crm-1' }).values).toEqual({ email: sha('someone@example.com') });
    expect(`Email=${prep(MICROSOFT_ADS_IDENTITY, { email: 'X@Y.io' }).values.email}`).toBe(MicrosoftAdsFake.expectedKey('email', 'X@Y.io'));
  });
  it('passes an already hashed email through, lowercased', () => {
    const h = sha('a@b.co');
    expect(prep(MICROSOFT_ADS_IDENTITY, { email: h.toUpperCase() }).values.email).toBe(h);
  });
});

describe('TikTok', () => {
  it("hashes the phone in E.164 with its plus: TikTok's own example +442071838750", () => {
    expect(prep(TIKTOK_IDENTITY, { phone: '+44 20 7183 8750' }).values.phone).toBe(sha('+442071838750'));
    expect(prep(TIKTOK_IDENTITY, { phone: '020 7183 8750', countryCode: 'GB' }).values.phone).toBe(sha('+442071838750'));
  });
  it('removes every space from emails before lowercasing; lowercases mobile ad ids before hashing', () => {
    expect(prep(TIKTOK_IDENTITY, { email: ' John. Doe@Example.com ' }).values.email).toBe(sha('john.doe@example.com'));
    const maid = 'AB0C5F2E-1B4D-4C8A-9E1F-000000000001';
    expect(prep(TIKTOK_IDENTITY, { mobileAdId: maid }).values.mobileAdId).toBe(sha(maid.toLowerCase()));
  });
  it('agrees with the TikTok fake', () => {
    for (const [kind, raw] of [
      ['email', ' A B@Example.com'],
      ['phone', '+1 (212) 555-1000'],
      ['mobileAdId', 'AB0C5F2E-1B4D-4C8A-9E1F-000000000001'],
    ] as const) {
      const type = { email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', mobileAdId: 'MAID_SHA256' }[kind];
      expect(`${type}=${prep(TIKTOK_IDENTITY, { [kind]: raw }).values[kind]}`).toBe(TikTokFake.expectedKey(kind, raw));
    }
  });
});

describe('Snapchat', () => {
  it('hashes phones as digits with the country code and no plus, national numbers read in the country', () => {
    expect(prep(SNAPCHAT_IDENTITY, { phone: '+1 (212) 555-1000' }).values.phone).toBe(sha('12125551000'));
    expect(prep(SNAPCHAT_IDENTITY, { phone: '020 7183 8750', countryCode: 'GB' }).values.phone).toBe(sha('442071838750'));
    expect(prep(SNAPCHAT_IDENTITY, { phone: '0044 20 7183 8750' }).values.phone).toBe(sha('442071838750'));
  });
  it('refuses what cannot be a phone or an ad id, never echoing the value', () => {
    const { values, problems } = prep(SNAPCHAT_IDENTITY, { phone: '12', mobileAdId: 'not-a-uuid' });
    expect(values).toEqual({});
    expect(problems.join(' ')).not.toMatch(/12|not-a-uuid/);
  });
  it('agrees with the Snapchat fake', () => {
    for (const [kind, raw] of [
      ['email', ' Someone@Example.com '],
      ['phone', '+44 20 7183 8750'],
      ['mobileAdId', 'AB0C5F2E-1B4D-4C8A-9E1F-000000000001'],
    ] as const) {
      const schema = { email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', mobileAdId: 'MOBILE_AD_ID_SHA256' }[kind];
      expect(`${schema}=${prep(SNAPCHAT_IDENTITY, { [kind]: raw }).values[kind]}`).toBe(SnapchatFake.expectedKey(kind, raw));
    }
  });
});
