import { createHash } from 'node:crypto';
import type { SegmentConfig } from '../config/schema';

/**
 * Splits and holdouts (docs/segments.md "Splits and holdouts"). Every member of a split segment
 * falls in one of SPLIT_BUCKETS hash buckets, computed in the warehouse from the segment id, the
 * salt and the person key; each group holds a set of buckets (its `buckets` ranges, as many as
 * its percent asks for). The buckets a group holds are kept across changes of the percentages
 * (`rebalance`): a group that does not shrink keeps every bucket it had, so its members stay.
 */

/** Buckets a segment's members are hashed into: a group's percent is a whole number of them (0.01 %). */
export const SPLIT_BUCKETS = 10_000;

/** The salt of a segment that names none. */
export const DEFAULT_SPLIT_SALT = 'v1';

/** Buckets `first` to `last`, both included. */
export type BucketRange = [first: number, last: number];

/** What the layout functions read of a group. */
export interface SplitGroup {
  name: string;
  percent: number;
  buckets?: BucketRange[] | undefined;
}

/** Buckets a percent stands for (percents are validated to whole hundredths). */
export function bucketCount(percent: number): number {
  return Math.round(percent * (SPLIT_BUCKETS / 100));
}

/** Number of buckets in ranges. */
export function rangeSize(ranges: readonly BucketRange[]): number {
  return ranges.reduce((n, [first, last]) => n + last - first + 1, 0);
}

/**
 * The text hashed for a member: `<segment id>:<salt>:<person key>`. The segment id and the salt
 * hold no ":", so no two (segment, salt, key) give the same text. Bound as one parameter
 * (`splitKeyPrefix`) that the warehouse concatenates with the key as text.
 */
export function splitKeyPrefix(segmentId: string, salt: string | undefined): string {
  return `${segmentId}:${salt ?? DEFAULT_SPLIT_SALT}:`;
}

/**
 * The bucket of a member as the warehouse computes it (`segments/split-bucket`): the first 8 hex
 * digits of md5 of the text, read as an unsigned 32-bit integer, modulo SPLIT_BUCKETS. md5 gives
 * the same digits on every engine; 2^32 is so much larger than SPLIT_BUCKETS that the modulo's
 * bias (about 2e-6 of a bucket's share) is far below anything a test of shares could see.
 *
 * @example
 * splitBucket('checkout-test', 'v1', '42') // 0..9999, the same as in DuckDB, PostgreSQL, BigQuery, Snowflake
 */
export function splitBucket(segmentId: string, salt: string | undefined, personId: string): number {
  const hex = createHash('md5').update(splitKeyPrefix(segmentId, salt) + personId, 'utf8').digest('hex');
  return Number.parseInt(hex.slice(0, 8), 16) % SPLIT_BUCKETS;
}

/** The group (by name) that holds `bucket` in `layout`, or undefined. */
export function groupOfBucket(layout: readonly { name: string; buckets: readonly BucketRange[] }[], bucket: number): string | undefined {
  return layout.find((g) => g.buckets.some(([first, last]) => bucket >= first && bucket <= last))?.name;
}

/**
 * The buckets of each group, in the groups' order: the stored `buckets` when every group has them,
 * else the first layout (`rebalance` from nothing: contiguous ranges in the listed order).
 */
export function layoutOf(groups: readonly SplitGroup[]): { name: string; buckets: BucketRange[] }[] {
  if (groups.every((g) => g.buckets !== undefined)) return groups.map((g) => ({ name: g.name, buckets: g.buckets! }));
  return rebalance([], groups);
}

/**
 * The layout after a change of percentages: the Census rule. Every group keeps the buckets it
 * held up to its new size; a group that shrinks gives up its highest buckets; a group that is gone
 * gives up all. A group that grows (or is new) takes, in the listed order, the lowest buckets
 * given up. So a member moves only when its group shrank (or went away), and the result depends
 * on the previous layout and the new percentages alone.
 *
 * @example
 * rebalance([{ name: 'a', buckets: [[0, 4999]] }, { name: 'b', buckets: [[5000, 9999]] }],
 *           [{ name: 'a', percent: 40 }, { name: 'b', percent: 40 }, { name: 'c', percent: 20 }])
 * // a: [[0, 3999]], b: [[5000, 8999]], c: [[4000, 4999], [9000, 9999]]
 */
export function rebalance(
  previous: readonly { name: string; buckets: readonly BucketRange[] }[],
  next: readonly Pick<SplitGroup, 'name' | 'percent'>[],
): { name: string; buckets: BucketRange[] }[] {
  const index = new Map(next.map((g, i) => [g.name, i]));
  const owner = new Int32Array(SPLIT_BUCKETS).fill(-1);
  const held = next.map(() => 0);
  for (const g of previous) {
    const i = index.get(g.name);
    if (i === undefined) continue;
    for (const [first, last] of g.buckets)
      for (let b = first; b <= last; b++) {
        owner[b] = i;
        held[i]!++;
      }
  }
  const wanted = next.map((g) => bucketCount(g.percent));
  for (let b = SPLIT_BUCKETS - 1; b >= 0; b--) {
    const i = owner[b]!;
    if (i >= 0 && held[i]! > wanted[i]!) {
      owner[b] = -1;
      held[i]!--;
    }
  }
  let free = 0;
  next.forEach((_, i) => {
    while (held[i]! < wanted[i]! && free < SPLIT_BUCKETS) {
      if (owner[free] === -1) {
        owner[free] = i;
        held[i]!++;
      }
      free++;
    }
  });
  return next.map((g, i) => ({ name: g.name, buckets: rangesOf(owner, i) }));
}

function rangesOf(owner: Int32Array, i: number): BucketRange[] {
  const out: BucketRange[] = [];
  for (let b = 0; b < SPLIT_BUCKETS; b++) {
    if (owner[b] !== i) continue;
    const last = out[out.length - 1];
    if (last && last[1] === b - 1) last[1] = b;
    else out.push([b, b]);
  }
  return out;
}

/**
 * A segment as the store keeps it: every group with its `buckets`. The layout carries over from the
 * segment as stored before (`previous`), rebalanced to the new percentages; a new salt (or a segment
 * that had no splits) starts from the first layout. Groups that state their buckets keep them.
 *
 * @example
 * const stored = settleSplits(body, current?.body); // what apply and the API write
 */
export function settleSplits(next: SegmentConfig, previous: SegmentConfig | undefined): SegmentConfig {
  if (!next.splits || next.splits.every((g) => g.buckets !== undefined)) return next;
  const sameSalt = (previous?.salt ?? DEFAULT_SPLIT_SALT) === (next.salt ?? DEFAULT_SPLIT_SALT);
  const before = previous?.splits && sameSalt ? layoutOf(previous.splits) : [];
  const layout = rebalance(before, next.splits);
  return { ...next, splits: next.splits.map((g, i) => ({ ...g, buckets: layout[i]!.buckets })) };
}
