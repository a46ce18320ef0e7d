import type { MemberRow, PreparedRow } from '../../src/destinations/contract';
import { type IdentityRules, type Invalid, type PreparedIdentifiers, prepareIdentifiers, type RawIdentifiers } from '../../src/identity/rules';
import { type PayloadEncoder, payloadBytes } from './encode';
import type { EncodePool } from './encode-pool';
import type { EncoderName } from './encoders';
import { noUsableIdentifier } from './rows';

/**
 * prepareKeys over a platform's src/identity rules: each row's raw values normalised and hashed
 * into the platform's key space. It runs as a named encoder of the encode pool, so large inputs
 * are hashed on the worker threads and small ones on the main thread in slices, with the same
 * result either way.
 *
 * @example
 * // encoders.ts: linkedin_keys: keysEncoder(LINKEDIN_IDENTITY, (k) => k.email !== undefined || (k.firstName && k.lastName))
 * const prepared = await prepareKeysWith(pool, 'linkedin_keys', rows);
 */

/** Which prepared keys make a row usable (e.g. a name alone matches nobody); default any key. */
export type Usable = (keys: PreparedIdentifiers) => unknown;

/** An encoder whose "payload" is the usable rows' keys as a JSON array (what prepareKeysWith reads back). */
export function keysEncoder(rules: IdentityRules, usable: Usable = (k) => Object.keys(k).length > 0): PayloadEncoder<PreparedIdentifiers> {
  return {
    prepare: (row: RawIdentifiers): PreparedIdentifiers | Invalid => {
      const { values, problems } = prepareIdentifiers(rules, row);
      return usable(values) ? values : noUsableIdentifier(problems);
    },
    serialize: (rows) => payloadBytes(JSON.stringify(rows)),
  };
}

/** Every row's keys (or why it has none), in order: one PreparedRow per row. */
export async function prepareKeysWith(pool: EncodePool, encoder: EncoderName, rows: readonly MemberRow[]): Promise<PreparedRow[]> {
  if (rows.length === 0) return [];
  const { payload, rejected } = await pool.encode(encoder, rows, 0, rows.length);
  const keys = payload.length > 0 ? (JSON.parse(payload.toString('utf8')) as PreparedIdentifiers[]) : [];
  const out: PreparedRow[] = new Array(rows.length);
  let r = 0;
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const personId = (rows[i] as MemberRow).personId;
    const next = rejected[r];
    if (next && next[0] === i) {
      out[i] = { personId, keys: {}, rejected: next[1] };
      r++;
    } else out[i] = { personId, keys: keys[k++] ?? {} };
  }
  return out;
}
