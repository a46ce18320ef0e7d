import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GOOGLE_ADS_IDENTITY } from '../../src/identity/google-ads';
import { isSha256Hex, sha256Hex } from '../../src/identity/hash';
import { META_IDENTITY } from '../../src/identity/meta';
import { prepareIdentifiers } from '../../src/identity/rules';

// An independent SHA-256 so the tests do not check the hasher against itself.
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('sha256Hex', () => {
  it('matches Meta\'s published vectors', () => {
    // https://developers.facebook.com/documentation/ads-commerce/marketing-api/audiences/guides/custom-audiences
    expect(sha256Hex('mary@example.com')).toBe('f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79');
    expect(sha256Hex('15559876543')).toBe('1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e');
  });
  it('hashes UTF-8 bytes', () => {
    expect(sha256Hex('zoë')).toBe(sha('zoë'));
  });
  it('recognises digests in either case only at 64 hex chars', () => {
    expect(isSha256Hex('F1904CF1A9D73A55FA5DE0AC823C4403DED71AFD4C3248D00BDCD0866552BB79')).toBe(true);
    expect(isSha256Hex('f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb7')).toBe(false);
    expect(isSha256Hex('g1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79')).toBe(false);
  });
});

describe('Meta rules', () => {
  const meta = (row: Parameters<typeof prepareIdentifiers>[1]) => prepareIdentifiers(META_IDENTITY, row);

  it('email: trims and lowercases before hashing (published vector)', () => {
    expect(meta({ email: '  Mary@Example.COM ' }).values.email).toBe(
      'f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79',
    );
  });
  it('email: keeps gmail dots and plus tags (Meta does not strip them)', () => {
    expect(meta({ email: 'first.last+tag@gmail.com' }).values.email).toBe(sha('first.last+tag@gmail.com'));
  });
  it('phone: digits with country code, no plus (published vector)', () => {
    const expected = '1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e';
    expect(meta({ phone: '+1 (555) 987-6543' }).values.phone).toBe(expected);
    expect(meta({ phone: '555-987-6543', countryCode: 'us' }).values.phone).toBe(expected);
    expect(meta({ phone: '15559876543' }).values.phone).toBe(expected);
  });
  it('phone: national number read in the person\'s country', () => {
    expect(meta({ phone: '020 7183 8750', countryCode: 'GB' }).values.phone).toBe(sha('442071838750'));
    expect(meta({ phone: '0044 20 7183 8750' }).values.phone).toBe(sha('442071838750'));
  });
  it('names: lowercase letters only, accents kept', () => {
    expect(meta({ firstName: ' Mary-Jane ', lastName: "O'Brien Smith" }).values).toEqual({
      firstName: sha('maryjane'),
      lastName: sha('obriensmith'),
    });
    expect(meta({ firstName: 'Zoë' }).values.firstName).toBe(sha('zoë'));
  });
  it('zip and country are hashed; US zip cut to five digits', () => {
    expect(meta({ postalCode: '10011-1234', countryCode: 'US' }).values).toEqual({
      postalCode: sha('10011'),
      countryCode: sha('us'),
    });
    expect(meta({ postalCode: 'M1 1AE', countryCode: 'gb' }).values.postalCode).toBe(sha('m11ae'));
  });
  it('mobile ad id lowercased, not hashed; external id plain', () => {
    expect(meta({ mobileAdId: 'AB0C5F2E-1B4D-4C8A-9E1F-0123456789AB', externalId: 'p-17' }).values).toEqual({
      mobileAdId: 'ab0c5f2e-1b4d-4c8a-9e1f-0123456789ab',
      externalId: 'p-17',
    });
  });
});

describe('Google Ads rules', () => {
  const google = (row: Parameters<typeof prepareIdentifiers>[1]) => prepareIdentifiers(GOOGLE_ADS_IDENTITY, row);

  it('phone keeps the plus of E.164', () => {
    expect(google({ phone: '(212) 565-0000', countryCode: 'US' }).values.phone).toBe(sha('+12125650000'));
  });
  it('the same phone hashes differently on Google and Meta', () => {
    const row = { phone: '+1 212 565 0000' };
    expect(google(row).values.phone).not.toBe(prepareIdentifiers(META_IDENTITY, row).values.phone);
  });
  it('country and postal code are sent plain', () => {
    expect(google({ countryCode: 'us', postalCode: ' 10011 ' }).values).toEqual({ countryCode: 'US', postalCode: '10011' });
  });
  it('first name collapses whitespace; last name drops punctuation', () => {
    expect(google({ firstName: '  Mary   Ann ', lastName: "O'Brien-Smith" }).values).toEqual({
      firstName: sha('mary ann'),
      lastName: sha('obriensmith'),
    });
  });
  it('ignores kinds a CONTACT_INFO list cannot take', () => {
    expect(google({ mobileAdId: 'ab0c5f2e-1b4d-4c8a-9e1f-0123456789ab', externalId: 'x' }).values).toEqual({});
  });
});

describe('shared behaviour', () => {
  it.each([META_IDENTITY, GOOGLE_ADS_IDENTITY])('$platform passes 64-hex values through, lowercased', (rules) => {
    const h = sha('mary@example.com');
    expect(prepareIdentifiers(rules, { email: h.toUpperCase() }).values.email).toBe(h);
  });
  it.each([META_IDENTITY, GOOGLE_ADS_IDENTITY])('$platform skips null and blank values', (rules) => {
    expect(prepareIdentifiers(rules, { email: null, phone: '   ' })).toEqual({ values: {}, problems: [] });
  });
  it.each([META_IDENTITY, GOOGLE_ADS_IDENTITY])('$platform reports invalid values without the value', (rules) => {
    const { values, problems } = prepareIdentifiers(rules, {
      email: 'mary at example',
      phone: '12',
      countryCode: 'USA',
      firstName: '!!',
    });
    expect(values).toEqual({});
    expect(problems).toHaveLength(4);
    expect(problems.join(' ')).not.toMatch(/mary at example|USA|!!/);
    expect(problems.some((p) => p.startsWith('email:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('phone:'))).toBe(true);
  });
  it('an invalid value does not block the valid ones', () => {
    const { values, problems } = prepareIdentifiers(META_IDENTITY, { email: 'nope', phone: '+15559876543' });
    expect(Object.keys(values)).toEqual(['phone']);
    expect(problems).toEqual(['email: not an email address']);
  });
});
