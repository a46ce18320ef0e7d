import {
  isoCountry,
  lowerLettersOnly,
  nonEmpty,
  normalizeCountry,
  normalizeEmail,
  normalizeMobileAdId,
  normalizePhoneE164,
} from './normalize';
import { Invalid, type IdentityRules, type RawIdentifiers } from './rules';

/**
 * Meta customer-file normalisation.
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/audiences/guides/custom-audiences
 * - EMAIL: trim + lowercase, hashed.
 * - PHONE: digits only with the country code, *no* `+` and no leading zeros, hashed.
 * - FN / LN: lowercase letters only, no punctuation or spaces, UTF-8 kept, hashed.
 * - ZIP: lowercase without spaces or dashes; US codes cut to their first five digits, hashed.
 * - COUNTRY: lowercase ISO 3166-1 alpha-2, hashed (Google sends country and zip in plain text).
 * - MADID: lowercase with hyphens, never hashed. EXTERN_ID: sent as it is (hashing optional).
 */
export const META_IDENTITY: IdentityRules = {
  platform: 'meta',
  fields: {
    email: { hashed: true, normalize: normalizeEmail },
    phone: { hashed: true, normalize: metaPhone },
    firstName: { hashed: true, normalize: (v) => nonEmpty('firstName', lowerLettersOnly(v)) },
    lastName: { hashed: true, normalize: (v) => nonEmpty('lastName', lowerLettersOnly(v)) },
    postalCode: { hashed: true, normalize: metaZip },
    countryCode: {
      hashed: true,
      normalize: (v) => {
        const c = normalizeCountry(v);
        return c instanceof Invalid ? c : c.toLowerCase();
      },
    },
    mobileAdId: { hashed: false, normalize: normalizeMobileAdId },
    externalId: { hashed: false, normalize: (v) => v },
  },
};

function metaPhone(value: string, row: RawIdentifiers): string | Invalid {
  const e164 = normalizePhoneE164(value, row);
  return e164 instanceof Invalid ? e164 : e164.slice(1);
}

const US_ZIP = /^(\d{5})(\d{4})?$/;

function metaZip(value: string, row: RawIdentifiers): string | Invalid {
  const zip = value.toLowerCase().replace(/[\s-]+/g, '');
  const country = isoCountry(row.countryCode);
  const us = US_ZIP.exec(zip);
  if (country === 'US' && !us) return new Invalid('postalCode: not a US ZIP code');
  // ZIP+4 is cut to its first five digits; without a country a nine-digit code is read as one.
  if (us?.[1] && (country === 'US' || (country === undefined && us[2] !== undefined))) return us[1];
  return nonEmpty('postalCode', zip);
}
