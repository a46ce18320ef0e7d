import { normalizeEmail, normalizeMobileAdId } from './normalize';
import type { IdentityRules } from './rules';

/**
 * X (Twitter) Ads custom audiences (Ads API 12), reference §1.2 and §10. Every key but
 * `partner_user_id` is SHA-256 in lowercase hex, no salt [D].
 * - email: trim + lowercase, SHA-256.
 * - mobileAdId (`device_id`): IDFA lowercase with dashes; AdID as on the device, which is
 *   lowercase with dashes: both a lowercased UUID, SHA-256.
 * - externalId (`partner_user_id`): plain, trimmed.
 * Phones are left out: X's `phone_number` key and its normalisation are unconfirmed, and one bad
 * key fails a whole request.
 */
export const X_IDENTITY: IdentityRules = {
  platform: 'x',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
    mobileAdId: { hashed: true, normalize: normalizeMobileAdId },
    externalId: { hashed: false, normalize: (v) => v },
  },
};
