import { describe, expect, it } from 'vitest';
import { prepareIdentifiers } from '../../src/identity/rules';
import { STACKADAPT_IDENTITY } from '../../src/identity/stackadapt';
import { StackAdaptFake } from '../../src/sandbox/stackadapt';

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
