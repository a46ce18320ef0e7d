import { normalizeEmail, normalizeMobileAdId, normalizePhoneE164 } from './normalize';
import type { IdentityRules } from './rules';

/**
 * TikTok customer-file audiences, reference §1.2 and §6.
 * https://ads.tiktok.com/help/article/customer-file
 * - email: every space removed, lowercase, SHA-256 (EMAIL_SHA256). The older help page's removal
 *   of dots and `+tags` is not applied: the current page omits it.
 * - phone: E.164 *with* the `+` (TikTok's example `+442071838750`), SHA-256 (PHONE_SHA256).
 * - mobile ad id: lowercase with hyphens, SHA-256 (MAID_SHA256).
 */
export const TIKTOK_IDENTITY: IdentityRules = {
  platform: 'tiktok',
  fields: {
    email: { hashed: true, normalize: (v) => normalizeEmail(v.replace(/\s+/g, '')) },
    phone: { hashed: true, normalize: normalizePhoneE164 },
    mobileAdId: { hashed: true, normalize: normalizeMobileAdId },
  },
};
