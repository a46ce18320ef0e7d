import { normalizeEmail } from './normalize';
import type { IdentityRules } from './rules';

/**
 * Microsoft Advertising customer lists (Customer Match), reference §1.2 and §5.
 * https://learn.microsoft.com/advertising/campaign-management-service/applycustomerlistuserdata
 * - email: trim + lowercase, SHA-256 lowercase hex; plain-text emails are refused (8004
 *   EmailMustBeHashed). Microsoft's exact normalisation wording is not published (unconfirmed).
 * Phones are not taken by these endpoints; CRM ids are left out until a CRM-id list is asked for.
 */
export const MICROSOFT_ADS_IDENTITY: IdentityRules = {
  platform: 'microsoft_ads',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
  },
};
