import type { IdentifierKind } from '../../src/destinations/contract';
import { Invalid, type PreparedIdentifiers, type RawIdentifiers } from '../../src/identity/rules';
import { type PayloadEncoder, payloadBytes } from '../shared/encode';
import type { MetaKey, UsersPayload } from './api';

/**
 * Meta's request bodies. prepareKeys normalises and hashes raw values by Meta's rules
 * (src/identity/meta.ts) into keys (`meta_keys` in ../shared/encoders.ts); the `payload` of a Meta
 * `/users` request is a multi-key schema of the columns the rows use and one row of cells per
 * person ('' where a person lacks a key), built from those keys as they are (META_USERS_ENCODER).
 */

/** Identifier kind -> multi-key schema column, in the order columns are sent. */
export const META_COLUMNS: readonly (readonly [IdentifierKind, MetaKey])[] = [
  ['email', 'EMAIL'],
  ['phone', 'PHONE'],
  ['firstName', 'FN'],
  ['lastName', 'LN'],
  ['postalCode', 'ZIP'],
  ['countryCode', 'COUNTRY'],
  ['mobileAdId', 'MADID'],
  ['externalId', 'EXTERN_ID'],
];

/** A row's keys as sent (the sync engine's rows hold keys from prepareKeys), or why there are none. */
export function metaKeysOf(row: RawIdentifiers): PreparedIdentifiers | Invalid {
  const keys: PreparedIdentifiers = {};
  let any = false;
  for (const [kind] of META_COLUMNS) {
    const value = row[kind];
    if (value === null || value === undefined || value === '') continue;
    keys[kind] = value;
    any = true;
  }
  return any ? keys : new Invalid('no keys');
}

/** Text that needs no escaping inside a JSON string (hex hashes, ids, UUIDs). */
const JSON_SAFE = /^[\w.@:+-]*$/;

/**
 * The same JSON as JSON.stringify(UsersPayload), without building the arrays first (this runs for
 * every member). Hashes and MADIDs are hex and hyphens by construction; anything else is escaped.
 */
function serializeUsers(rows: readonly PreparedIdentifiers[]): Buffer {
  let present = 0;
  for (const row of rows) for (let c = 0; c < META_COLUMNS.length; c++) if (row[(META_COLUMNS[c] as (typeof META_COLUMNS)[number])[0]] !== undefined) present |= 1 << c;
  // Only the columns these rows use.
  const columns = META_COLUMNS.filter((_, c) => (present & (1 << c)) !== 0);
  const schema: UsersPayload['schema'] = columns.map(([, key]) => key);
  const kinds = columns.map(([kind]) => kind);
  let json = `{"schema":${JSON.stringify(schema)},"data":[`;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as PreparedIdentifiers;
    json += r > 0 ? ',[' : '[';
    for (let c = 0; c < kinds.length; c++) {
      const kind = kinds[c] as IdentifierKind;
      const cell = row[kind];
      if (c > 0) json += ',';
      if (cell === undefined) json += '""';
      else if (!JSON_SAFE.test(cell)) json += JSON.stringify(cell);
      else json += '"' + cell + '"';
    }
    json += ']';
  }
  return payloadBytes(json + ']}');
}

/** `/users` request bodies from keys, sent as they are. */
export const META_USERS_ENCODER: PayloadEncoder<PreparedIdentifiers> = {
  prepare: metaKeysOf,
  serialize: serializeUsers,
};
