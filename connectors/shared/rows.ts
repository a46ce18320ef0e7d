import { Invalid } from '../../src/identity/rules';
import type { MemberRow, RowResult } from '../../src/destinations/contract';
import { yieldToEventLoop } from './http';

/** Rows per slice of CPU work: about a millisecond, so sockets are never starved for long. */
const SLICE = 250;

/**
 * Builds the platform payload of every row (normalise + hash) of `rows[from..to)` in slices,
 * yielding to the event loop before each one: a request just handed to the HTTP client gets
 * written out, and requests in flight keep moving, while the next request is prepared.
 */
export async function prepareRows<T>(
  rows: readonly MemberRow[],
  build: (row: MemberRow) => T | Invalid,
  from = 0,
  to = rows.length,
): Promise<(T | Invalid)[]> {
  const out = new Array<T | Invalid>(to - from);
  for (let i = from; i < to; i++) {
    if ((i - from) % SLICE === 0) await yieldToEventLoop();
    out[i - from] = build(rows[i] as MemberRow);
  }
  return out;
}

/** The rejected result of a row whose identifiers are all unusable. */
export function rejected(row: MemberRow, reason: string): RowResult {
  return { personId: row.personId, ok: false, reason };
}

/** Reason for a row with no identifier the platform can use. */
export function noUsableIdentifier(problems: readonly string[]): Invalid {
  return new Invalid(problems.length > 0 ? `no usable identifier (${problems.join('; ')})` : 'no usable identifier');
}
