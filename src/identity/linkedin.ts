import { normalizeCountry, normalizeEmail } from './normalize';
import { Invalid, type IdentityRules } from './rules';

/**
 * LinkedIn Matched Audiences (DMP segment users) normalisation, reference §1.2 and §4.
 * https://learn.microsoft.com/linkedin/marketing/matched-audiences/create-and-manage-segment-users
 * - email: trim + lowercase, SHA-256 (`SHA256_EMAIL`); LinkedIn's own wording is not published
 *   (unconfirmed), trim + lowercase is every platform's baseline.
 * - firstName / lastName: plain text, at most 35 characters (trimmed, case kept).
 * - country: ISO 3166-1 alpha-2, plain, upper case.
 * Google advertising ids (`GOOGLE_AID`) are not taken: a mobile ad id column mixes IDFAs and
 * AAIDs, and only the latter are Google's.
 */
export const LINKEDIN_IDENTITY: IdentityRules = {
  platform: 'linkedin',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
    firstName: { hashed: false, normalize: (v) => plainName('firstName', v) },
    lastName: { hashed: false, normalize: (v) => plainName('lastName', v) },
    countryCode: { hashed: false, normalize: normalizeCountry },
  },
};

const MAX_NAME = 35;

function plainName(field: string, value: string): string | Invalid {
  const name = value.normalize('NFC').replace(/\s+/g, ' ');
  return name.length <= MAX_NAME ? name : new Invalid(`${field}: longer than ${MAX_NAME} characters`);
}
