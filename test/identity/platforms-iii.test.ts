import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PINTEREST_IDENTITY } from '../../src/identity/pinterest';
import { REDDIT_IDENTITY } from '../../src/identity/reddit';
import { prepareIdentifiers } from '../../src/identity/rules';
import { X_IDENTITY } from '../../src/identity/x';
import { PinterestFake } from '../../src/sandbox/pinterest';
import { RedditFake } from '../../src/sandbox/reddit';
import { XFake } from '../../src/sandbox/x';

/**
 * The rule sets of Pinterest, Reddit and X (reference §1.2, §8-§10): hash inputs written out by
 * hand, the vendors' published examples where there are any, and agreement with each contract
 * fake's own expected-key function (written independently, from the reference).
 */

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const prep = (rules: Parameters<typeof prepareIdentifiers>[0], row: Parameters<typeof prepareIdentifiers>[1]) => prepareIdentifiers(rules, row);

describe('Pinterest', () => {
  it('hashes the trimmed, lowercased email and the lowercased MAID; takes no phone', () => {
    const { values, problems } = prep(PINTEREST_IDENTITY, { email: ' Mary.Smith+news@Example.COM ', mobileAdId: '6D92078A-8246-4BA4-AE5B-76104861E7DC', phone: '+12125550100' });
    expect(problems).toEqual([]);
    expect(values).toEqual({ email: sha('mary.smith+news@example.com'), mobileAdId: sha('6d92078a-8246-4ba4-ae5b-76104861e7dc') });
  });
  it('refuses what is not an email or an advertising id, without echoing it', () => {
    const { values, problems } = prep(PINTEREST_IDENTITY, { email: 'mary at example', mobileAdId: 'not-a-uuid' });
    expect(values).toEqual({});
    expect(problems).toEqual(['email: not an email address', 'mobileAdId: not a UUID-formatted advertising id']);
  });
  it('agrees with the Pinterest fake', () => {
    for (const email of ['a@b.co', ' MiXeD@Example.org '])
      expect(`EMAIL_SHA256=${prep(PINTEREST_IDENTITY, { email }).values.email}`).toBe(PinterestFake.expectedKey('email', email));
    const maid = 'AEBE52E7-03EE-455A-B3C4-E57283966239';
    expect(`MAID_SHA256=${prep(PINTEREST_IDENTITY, { mobileAdId: maid }).values.mobileAdId}`).toBe(PinterestFake.expectedKey('mobileAdId', maid));
  });
});

describe('Reddit', () => {
  it("follows Reddit's published example: the +tag and every non-alphanumeric character of the local part go", () => {
    expect(prep(REDDIT_IDENTITY, { email: 'Al.ice$+Apple@Example.Com' }).values.email).toBe(sha('alice@example.com'));
    // For any domain, not only Gmail; the domain keeps its dots and hyphens.
    expect(prep(REDDIT_IDENTITY, { email: ' mary_o-neil.smith+x+y@mail.example-co.uk ' }).values.email).toBe(sha('maryoneilsmith@mail.example-co.uk'));
  });
  it('an IDFA goes upper case, an AAID lower case', () => {
    expect(prep(REDDIT_IDENTITY, { mobileAdId: '6D92078A-8246-4BA4-AE5B-76104861E7DC' }).values.mobileAdId).toBe(sha('6D92078A-8246-4BA4-AE5B-76104861E7DC'));
    expect(prep(REDDIT_IDENTITY, { mobileAdId: 'cdda802e-fb9c-47ad-9866-0794d394c912' }).values.mobileAdId).toBe(sha('cdda802e-fb9c-47ad-9866-0794d394c912'));
  });
  it('refuses a local part with nothing left, and takes no phone', () => {
    const { values, problems } = prep(REDDIT_IDENTITY, { email: '+tag@example.com', phone: '+12125550100' });
    expect(values).toEqual({});
    expect(problems).toEqual(['email: no letters or digits before the @']);
  });
  it('agrees with the Reddit fake', () => {
    for (const email of ['a@b.co', ' Mi.Xed+promo@Example.org ', 'first.last@gmail.com'])
      expect(`EMAIL_SHA256=${prep(REDDIT_IDENTITY, { email }).values.email}`).toBe(RedditFake.expectedKey('email', email));
    for (const maid of ['AEBE52E7-03EE-455A-B3C4-E57283966239', 'cdda802e-fb9c-47ad-9866-0794d394c912'])
      expect(`MAID_SHA256=${prep(REDDIT_IDENTITY, { mobileAdId: maid }).values.mobileAdId}`).toBe(RedditFake.expectedKey('mobileAdId', maid));
  });
});

describe('X', () => {
  it('hashes email and device id in lowercase hex; sends partner_user_id plain; takes no phone (unconfirmed at X)', () => {
    const { values, problems } = prep(X_IDENTITY, { email: ' Mary+X@Example.COM ', mobileAdId: 'AEBE52E7-03EE-455A-B3C4-E57283966239', externalId: ' crm-42 ', phone: '+12125550100' });
    expect(problems).toEqual([]);
    expect(values).toEqual({ email: sha('mary+x@example.com'), mobileAdId: sha('aebe52e7-03ee-455a-b3c4-e57283966239'), externalId: 'crm-42' });
    expect(values.email).toMatch(/^[0-9a-f]{64}$/);
  });
  it('agrees with the X fake', () => {
    for (const email of ['a@b.co', ' MiXeD@Example.org '])
      expect(`email=${prep(X_IDENTITY, { email }).values.email}`).toBe(XFake.expectedKey('email', email));
    const maid = 'AEBE52E7-03EE-455A-B3C4-E57283966239';
    expect(`device_id=${prep(X_IDENTITY, { mobileAdId: maid }).values.mobileAdId}`).toBe(XFake.expectedKey('mobileAdId', maid));
    expect(`partner_user_id=${prep(X_IDENTITY, { externalId: ' crm-42 ' }).values.externalId}`).toBe(XFake.expectedKey('externalId', ' crm-42 '));
  });
});
