import { normalizeEmail, normalizeMobileAdId, normalizePhoneE164 } from './normalize';
import { Invalid, type IdentityRules, type RawIdentifiers } from './rules';

/**
 * Snapchat customer lists (Snap Audience Match), reference §1.2 and §7. Snap's own wording is not
 * published (unconfirmed); these follow the connectors the reference cites.
 * - EMAIL_SHA256: trim + lowercase, SHA-256.
 * - PHONE_SHA256: digits only with the country code, no `+`, no leading `00` or `0`, SHA-256.
 * - MOBILE_AD_ID_SHA256: lowercase with hyphens, SHA-256.
 */
export const SNAPCHAT_IDENTITY: IdentityRules = {
  platform: 'snapchat',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
    phone: { hashed: true, normalize: snapPhone },
    mobileAdId: { hashed: true, normalize: normalizeMobileAdId },
  },
};

function snapPhone(value: string, row: RawIdentifiers): string | Invalid {
  const e164 = normalizePhoneE164(value, row);
  return e164 instanceof Invalid ? e164 : e164.slice(1);
}
