import { normalizeCountry, normalizeEmail, lowerCollapse, lowerNoPunctuation, nonEmpty, normalizePhoneE164, withLetter } from './normalize';
import type { IdentityRules } from './rules';

/**
 * Google Ads Customer Match (CONTACT_INFO lists) normalisation.
 * https://developers.google.com/google-ads/api/docs/remarketing/audience-segments/customer-match/get-started
 * - email: trim + lowercase, hashed. Gmail dots and `+tags` are left as they are: Customer Match
 *   accepts either form (only the Data Manager API asks for them to be removed).
 * - phone: E.164 *with* the leading `+`, hashed.
 * - first name: lowercase, extra whitespace collapsed, hashed; last name: lowercase without
 *   punctuation, hashed (googleapis offline_user_data.proto).
 * - country code and postal code are sent in plain text, not hashed.
 * Mobile ad ids and CRM ids need lists of other upload key types, so a CONTACT_INFO list takes none.
 */
export const GOOGLE_ADS_IDENTITY: IdentityRules = {
  platform: 'google_ads',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
    phone: { hashed: true, normalize: normalizePhoneE164 },
    firstName: { hashed: true, normalize: (v) => withLetter('firstName', lowerCollapse(v)) },
    lastName: { hashed: true, normalize: (v) => withLetter('lastName', lowerNoPunctuation(v)) },
    countryCode: { hashed: false, normalize: normalizeCountry },
    postalCode: { hashed: false, normalize: (v) => nonEmpty('postalCode', v.replace(/\s+/g, ' ').toUpperCase()) },
  },
};
