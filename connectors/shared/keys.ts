import type { IdentifierKind, MemberRow, PreparedRow } from '../../src/destinations/contract';
import { type IdentityRules, Invalid, type PreparedIdentifiers, prepareIdentifiers, type RawIdentifiers } from '../../src/identity/rules';
import { type PayloadEncoder, payloadBytes } from './encode';
import type { EncodePool } from './encode-pool';
import type { EncoderName } from './encoders';
import { noUsableIdentifier, prepareRows } from './rows';

/** Which prepared keys make a row usable (e.g. a name alone matches nobody); default any key. */
export type Usable = (keys: PreparedIdentifiers) => unknown;

/**
 * An encoder over a platform's src/identity rules whose "payload" is the usable rows' keys as a
 * JSON array: what prepareKeysOnPool reads back. Registered by name in encoders.ts.
 *
 * @example
 * // encoders.ts: linkedin_keys: keysEncoder(LINKEDIN_IDENTITY, (k) => k.email !== undefined || (k.firstName && k.lastName))
 * const prepared = await prepareKeysOnPool(pool, 'linkedin_keys', rows);
 */
export function keysEncoder(rules: IdentityRules, usable: Usable = (k) => Object.keys(k).length > 0): PayloadEncoder<PreparedIdentifiers> {
  return keysEncoderOf((row) => {
    const { values, problems } = prepareIdentifiers(rules, row);
    return usable(values) ? values : noUsableIdentifier(problems);
  });
}

/**
 * A keys encoder over a platform's own `keysOf` (a row's keys, or why none can be used), for
 * platforms that pick among the prepared values (Google Ads sends an address only when whole).
 */
export function keysEncoderOf(keysOf: (row: RawIdentifiers) => PreparedIdentifiers | Invalid): PayloadEncoder<PreparedIdentifiers> {
  return { prepare: keysOf, serialize: (rows) => payloadBytes(JSON.stringify(rows)) };
}

/** Rows per hashing job: big enough to be worth a thread, small enough to spread over several. */
const KEYS_CHUNK = 10_000;

/**
 * prepareKeys on the hashing threads: the rows in chunks, each normalised and hashed by the named
 * encoder (whose payload is the usable rows' keys as a JSON array) on a worker thread when large,
 * on the main thread in slices otherwise.
 */
export async function prepareKeysOnPool(pool: EncodePool, name: EncoderName, rows: readonly MemberRow[]): Promise<PreparedRow[]> {
  const chunks: Promise<PreparedRow[]>[] = [];
  for (let from = 0; from < rows.length; from += KEYS_CHUNK) {
    const to = Math.min(from + KEYS_CHUNK, rows.length);
    chunks.push(
      pool.encode(name, rows, from, to).then(({ payload, rejected }) => {
        const usable = payload.length > 0 ? (JSON.parse(payload.toString('utf8')) as Partial<Record<IdentifierKind, string>>[]) : [];
        const reasons = new Map(rejected);
        const out: PreparedRow[] = [];
        let u = 0;
        for (let i = from; i < to; i++) {
          const personId = (rows[i] as MemberRow).personId;
          const reason = reasons.get(i - from);
          out.push(reason === undefined ? { personId, keys: usable[u++] ?? {} } : { personId, keys: {}, rejected: reason });
        }
        return out;
      }),
    );
  }
  return (await Promise.all(chunks)).flat();
}

/** prepareKeys on the main thread, in slices: for platforms whose rules are cheap or rows few. */
export async function prepareKeysSliced(rows: readonly MemberRow[], keysOf: (row: MemberRow) => Partial<Record<IdentifierKind, string>> | Invalid): Promise<PreparedRow[]> {
  const prepared = await prepareRows(rows, keysOf);
  return prepared.map((p, i) => {
    const personId = (rows[i] as MemberRow).personId;
    return p instanceof Invalid ? { personId, keys: {}, rejected: p.reason } : { personId, keys: p };
  });
}
