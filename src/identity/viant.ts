import { normalizeEmail, normalizePhoneE164 } from './normalize';
import type { IdentityRules } from './rules';

/**
 * Viant VDP Connect segments, reference §1 and §11. Viant takes email, phone and address as
 * SHA-256 and states no exact normalisation (unconfirmed), so the baseline applies:
 * - email (`email_sha256`): trim + lowercase, SHA-256;
 * - phone (`phonenumber_sha256`): E.164 with the `+`, SHA-256.
 * A segment holds one data type: the destination's `identifier` setting picks it.
 */
export const VIANT_IDENTITY: IdentityRules = {
  platform: 'viant',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
    phone: { hashed: true, normalize: normalizePhoneE164 },
  },
};
