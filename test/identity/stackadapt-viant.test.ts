import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prepareIdentifiers } from '../../src/identity/rules';
import { STACKADAPT_IDENTITY } from '../../src/identity/stackadapt';
import { VIANT_IDENTITY } from '../../src/identity/viant';
import { StackAdaptFake } from '../../src/sandbox/stackadapt';
import { ViantFake } from '../../src/sandbox/viant';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * The rule sets of StackAdapt and Viant (reference §1, §11, §12): values written out by hand, and
 * agreement with each contract fake's own expected-key function (written independently, from the
 * reference).
 */

describe('StackAdapt', () => {
  it('keeps the email trimmed and lowercased, not hashed, and the external id as it is', () => {
    const { values, problems } = prepareIdentifiers(STACKADAPT_IDENTITY, { email: ' Mary.Smith+news@Example.COM ', externalId: ' crm-42 ', phone: '+12125550100' });
    expect(problems).toEqual([]);
    expect(values).toEqual({ email: 'mary.smith+news@example.com', externalId: 'crm-42' });
  });
  it('refuses what is not an email without echoing it; a 64-hex email is not passed through as a hash', () => {
    expect(prepareIdentifiers(STACKADAPT_IDENTITY, { email: 'mary at example' })).toEqual({ values: {}, problems: ['email: not an email address'] });
    expect(prepareIdentifiers(STACKADAPT_IDENTITY, { email: 'a'.repeat(64) }).problems).toEqual(['email: not an email address']);
  });
  it('agrees with the StackAdapt fake', () => {
    for (const email of ['a@b.co', ' MiXeD@Example.org '])
      expect(prepareIdentifiers(STACKADAPT_IDENTITY, { email }).values.email).toBe(StackAdaptFake.expectedKey('email', email));
    expect(prepareIdentifiers(STACKADAPT_IDENTITY, { externalId: ' crm-1 ' }).values.externalId).toBe(StackAdaptFake.expectedKey('externalId', ' crm-1 '));
  });
});

describe('Viant', () => {
  it('hashes the trimmed, lowercased email and the phone in E.164 with its +', () => {
    const { values, problems } = prepareIdentifiers(VIANT_IDENTITY, { email: ' Mary@Example.COM ', phone: '+1 (212) 555-0100', mobileAdId: '6D92078A-8246-4BA4-AE5B-76104861E7DC' });
    expect(problems).toEqual([]);
    expect(values).toEqual({ email: sha('mary@example.com'), phone: sha('+12125550100') });
  });
  it('reads a national phone in the person country; refuses an impossible one without echoing it', () => {
    expect(prepareIdentifiers(VIANT_IDENTITY, { phone: '020 7183 8750', countryCode: 'GB' }).values.phone).toBe(sha('+442071838750'));
    expect(prepareIdentifiers(VIANT_IDENTITY, { phone: '12' })).toEqual({ values: {}, problems: ['phone: not a possible phone number (no country code)'] });
  });
  it('agrees with the Viant fake', () => {
    for (const email of ['a@b.co', ' MiXeD@Example.org ']) expect(prepareIdentifiers(VIANT_IDENTITY, { email }).values.email).toBe(ViantFake.expectedKey('email', email));
    for (const phone of ['+1 646 555 1234', '+44 20 7183 8750']) expect(prepareIdentifiers(VIANT_IDENTITY, { phone }).values.phone).toBe(ViantFake.expectedKey('phone', phone));
  });
});
