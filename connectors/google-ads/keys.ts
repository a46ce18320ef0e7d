import { GOOGLE_ADS_IDENTITY } from '../../src/identity/google-ads';
import { type Invalid, type PreparedIdentifiers, prepareIdentifiers, type RawIdentifiers } from '../../src/identity/rules';
import { noUsableIdentifier } from '../shared/rows';
import type { UserData, UserIdentifier } from './api';

/**
 * Google Ads' key space (the `google_ads_keys` encoder of the hashing pool) and a UserData from
 * those keys.
 */

/**
 * A row's keys by Google's rules (src/identity/google-ads.ts): hashed email, hashed phone, and an
 * address (hashed names, plain country and postal code) only when all four parts are there, as
 * only a whole address is sent. Or why none can be used.
 */
export function googleKeysOf(row: RawIdentifiers): PreparedIdentifiers | Invalid {
  const { values, problems } = prepareIdentifiers(GOOGLE_ADS_IDENTITY, row);
  const keys: PreparedIdentifiers = {};
  if (values.email) keys.email = values.email;
  if (values.phone) keys.phone = values.phone;
  const { firstName, lastName, countryCode, postalCode } = values;
  if (firstName && lastName && countryCode && postalCode) Object.assign(keys, { firstName, lastName, countryCode, postalCode });
  if (Object.keys(keys).length > 0) return keys;
  const partialAddress = firstName || lastName || postalCode;
  return noUsableIdentifier(partialAddress ? [...problems, 'address: needs firstName, lastName, countryCode and postalCode together'] : problems);
}

/** A row's UserData from its keys, as they are: hashed email, hashed phone and a whole address. */
export function userDataOf(k: RawIdentifiers): UserData {
  const ids: UserIdentifier[] = [];
  if (k.email) ids.push({ hashedEmail: k.email });
  if (k.phone) ids.push({ hashedPhoneNumber: k.phone });
  if (k.firstName && k.lastName && k.countryCode && k.postalCode)
    ids.push({ addressInfo: { hashedFirstName: k.firstName, hashedLastName: k.lastName, countryCode: k.countryCode, postalCode: k.postalCode } });
  return { userIdentifiers: ids };
}
