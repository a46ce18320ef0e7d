import { lowerCollapse, nonEmpty, normalizeCountry, normalizeEmail, normalizeMobileAdId, normalizePhoneE164 } from './normalize';
import type { IdentityRules } from './rules';

/**
 * The `file` destination's key space: every value normalised, then SHA-256 (lowercase hex), so
 * neither the export files nor the sync's snapshot hold a raw identifier.
 * - email: trim + lowercase. phone: E.164 with the `+`.
 * - first / last name: lowercase, whitespace collapsed. postal code: lowercase without spaces.
 * - country: ISO 3166-1 alpha-2, upper case. mobile ad id: lowercase UUID. external id: trimmed.
 * A value that already is a 64-hex digest is taken as hashed (lowercased), as on every platform.
 */
export const FILE_IDENTITY: IdentityRules = {
  platform: 'file',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
    phone: { hashed: true, normalize: normalizePhoneE164 },
    firstName: { hashed: true, normalize: (v) => nonEmpty('firstName', lowerCollapse(v).trim()) },
    lastName: { hashed: true, normalize: (v) => nonEmpty('lastName', lowerCollapse(v).trim()) },
    postalCode: { hashed: true, normalize: (v) => nonEmpty('postalCode', v.toLowerCase().replace(/\s+/g, '')) },
    countryCode: { hashed: true, normalize: normalizeCountry },
    mobileAdId: { hashed: true, normalize: normalizeMobileAdId },
    externalId: { hashed: true, normalize: (v) => v },
  },
};
