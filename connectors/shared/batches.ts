import type { MemberRow, RowResult } from '../../src/destinations/contract';
import type { RequestGate } from './gate';

/**
 * Batching to the platform's limit with a result per row: a call's rows cut into requests of at
 * most `limit` rows, sent through the destination's request gate, and each request's per-row
 * rejections put back at the rows' places. Rows without any key are rejected without a request.
 *
 * @example
 * const results = await sendInBatches(rows, { limit: 1_000, gate }, async (chunk) => {
 *   const reply = await api.apply(chunk);
 *   return reply.errors; // Map of index in chunk -> reason, or undefined when all were taken
 * });
 */

/** Per-row rejections of one request: index within the request -> reason (never the value). */
export type Rejections = ReadonlyMap<number, string> | undefined;

export interface BatchOptions {
  /** Most rows in one request, or most summed `size` when the platform counts identifiers. */
  limit: number;
  /** What a row counts towards `limit` (Google Ads counts identifiers); default 1. */
  size?: (row: MemberRow) => number;
  /** Where requests wait for a slot; without one, requests go one after another. */
  gate?: RequestGate;
}

export async function sendInBatches(
  rows: readonly MemberRow[],
  options: BatchOptions,
  send: (chunk: readonly MemberRow[], from: number) => Promise<Rejections>,
): Promise<RowResult[]> {
  const results: RowResult[] = new Array(rows.length);
  const usable: number[] = [];
  rows.forEach((row, i) => {
    if (hasKey(row)) usable.push(i);
    else results[i] = { personId: row.personId, ok: false, reason: 'no usable identifier' };
  });
  const requests: Promise<void>[] = [];
  for (const [start, at] of requestRows(rows, usable, options)) {
    const chunk = at.map((i) => rows[i] as MemberRow);
    const call = async () => {
      const rejected = await send(chunk, start);
      at.forEach((i, k) => {
        const reason = rejected?.get(k);
        results[i] = reason === undefined ? { personId: chunk[k]!.personId, ok: true } : { personId: chunk[k]!.personId, ok: false, reason };
      });
    };
    const request = options.gate ? options.gate.run(call) : call();
    // Observed below; a quick failure must not count as unhandled while others are queued.
    request.catch(() => {});
    requests.push(request);
    if (!options.gate) await request;
  }
  await Promise.all(requests);
  return results;
}

/** The usable rows' indexes cut into requests within the limit, each with its first position among them. */
function requestRows(rows: readonly MemberRow[], usable: readonly number[], options: BatchOptions): [number, number[]][] {
  const { limit, size } = options;
  if (!size) return chunked(usable, limit).map((at, k) => [k * limit, at]);
  const out: [number, number[]][] = [];
  let total = 0;
  usable.forEach((i, position) => {
    const n = size(rows[i] as MemberRow);
    const current = out.at(-1);
    if (current && total + n <= limit) {
      current[1].push(i);
      total += n;
    } else {
      out.push([position, [i]]);
      total = n;
    }
  });
  return out;
}

function hasKey(row: MemberRow): boolean {
  for (const kind in row.identifiers) if (row.identifiers[kind as keyof MemberRow['identifiers']]) return true;
  return false;
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
