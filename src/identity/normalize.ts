import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import { Invalid, type RawIdentifiers } from './rules';

/**
 * Normalisation steps shared by the platform rule sets (google-ads.ts, meta.ts). Each takes a
 * trimmed, non-empty value and returns the normalised text or an Invalid whose reason never
 * contains the value.
 */

// Deliberately loose: one "@", no whitespace, a dot in the domain. Platforms match or ignore;
// we only reject what can never be an address.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Email: trim and lowercase (every platform's baseline, reference §1.1). */
export function normalizeEmail(value: string): string | Invalid {
  const email = value.toLowerCase();
  return EMAIL.test(email) ? email : new Invalid('email: not an email address');
}

const COUNTRY = /^[A-Za-z]{2}$/;

/** ISO 3166-1 alpha-2 in upper case, or undefined when the value is not two letters. */
export function isoCountry(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  return COUNTRY.test(v) ? v.toUpperCase() : undefined;
}

export function normalizeCountry(value: string): string | Invalid {
  return isoCountry(value) ?? new Invalid('countryCode: not an ISO 3166-1 alpha-2 code');
}

const NON_DIGITS = /\D/g;

/**
 * Phone to E.164 (`+` and digits). A number without `+` is read in the region of the person's
 * countryCode; without one it is read as already carrying its country code (Meta: "prefix the
 * country code"). Possibility (length per region) is checked, full validity is not: platforms
 * accept unassigned ranges and simply do not match them, and their own test numbers (e.g. Meta's
 * `+1 555 987 6543`) are in such ranges.
 */
export function normalizePhoneE164(value: string, row: RawIdentifiers): string | Invalid {
  const region = isoCountry(row.countryCode) as CountryCode | undefined;
  let parsed = parsePhoneNumberFromString(value, region);
  if ((parsed === undefined || !parsed.isPossible()) && !value.startsWith('+')) {
    const digits = value.replace(NON_DIGITS, '').replace(/^00/, '');
    if (digits.length > 0) parsed = parsePhoneNumberFromString(`+${digits}`);
  }
  if (parsed === undefined || !parsed.isPossible())
    return new Invalid(region ? `phone: not a possible phone number in ${region}` : 'phone: not a possible phone number (no country code)');
  return parsed.number;
}

const WHITESPACE_RUN = /\s+/g;
const PUNCTUATION = /[\p{P}\p{S}]/gu;
const NOT_LETTER = /[^\p{L}\p{M}]/gu;

/** Lowercase, Unicode NFC, whitespace runs collapsed to one space. */
export function lowerCollapse(value: string): string {
  return value.normalize('NFC').toLowerCase().replace(WHITESPACE_RUN, ' ');
}

/** Lowercase with punctuation and symbols removed, whitespace collapsed. */
export function lowerNoPunctuation(value: string): string {
  return lowerCollapse(value.replace(PUNCTUATION, '')).trim();
}

/** Lowercase letters only: no spaces, digits or punctuation; accented letters kept in UTF-8. */
export function lowerLettersOnly(value: string): string {
  return value.normalize('NFC').toLowerCase().replace(NOT_LETTER, '');
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Mobile advertising id (IDFA / AAID): a UUID, lowercased, hyphens kept. */
export function normalizeMobileAdId(value: string): string | Invalid {
  return UUID.test(value) ? value.toLowerCase() : new Invalid('mobileAdId: not a UUID-formatted advertising id');
}

/** Non-empty after a step that may remove everything, else Invalid naming the field. */
export function nonEmpty(field: string, value: string): string | Invalid {
  return value === '' ? new Invalid(`${field}: empty after normalisation`) : value;
}

const LETTER = /\p{L}/u;

/** A name must hold at least one letter; punctuation alone is a data-entry artefact, not a name. */
export function withLetter(field: string, value: string): string | Invalid {
  return LETTER.test(value) ? value : new Invalid(`${field}: no letters`);
}
