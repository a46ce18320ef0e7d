import { normalizeEmail, normalizeMobileAdId } from './normalize';
import type { IdentityRules } from './rules';

/**
 * Pinterest customer lists (API v5), reference §1.2 and §8. Pinterest takes emails plain or hashed
 * (SHA-1, SHA-256 or MD5) and MAIDs only hashed; Outflow sends SHA-256 for both, so no raw value
 * leaves.
 * - email (EMAIL list): trim + lowercase (Pinterest asks for lowercase), SHA-256.
 * - mobileAdId (MAID list): a UUID, lowercase with hyphens, SHA-256. Pinterest states no case rule
 *   for MAIDs (unconfirmed); lowercase is what its SDK examples and the other platforms use.
 */
export const PINTEREST_IDENTITY: IdentityRules = {
  platform: 'pinterest',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
    mobileAdId: { hashed: true, normalize: normalizeMobileAdId },
  },
};
