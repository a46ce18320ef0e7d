import { normalizeEmail } from './normalize';
import type { IdentityRules } from './rules';

/**
 * StackAdapt profiles (GraphQL `upsertProfiles`), reference §12. StackAdapt's own docs were not
 * retrievable; third-party connectors (Segment, Tealium) send the email unhashed, marked `isPii`
 * in the profile mapping, and StackAdapt publishes no hashing rule, so:
 * - email: trim + lowercase (the baseline of §1.1), sent as it is, not hashed;
 * - externalId: trimmed, sent as the profile's `userId` (StackAdapt's "external id").
 * Phones and mobile ad ids are left out: no connector retrieved sends them to a profile list.
 */
export const STACKADAPT_IDENTITY: IdentityRules = {
  platform: 'stackadapt',
  fields: {
    email: { hashed: false, normalize: normalizeEmail },
    externalId: { hashed: false, normalize: (v) => v },
  },
};
