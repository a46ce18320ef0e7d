import type { MatchRate } from '../../src/destinations/contract';

/**
 * The match-rate / size read-back every audience connector ends with: the platform's figures as
 * a MatchRate, with a warning (not a failure) when the audience is below the size the platform
 * needs before campaigns can use it.
 *
 * @example
 * return sizeReadBack({ platform: 'LinkedIn', ready: status === 'READY', size: audienceSize, minimum: 300 });
 */
export interface SizeFigures {
  /** Platform name for the warning ("LinkedIn"). */
  platform: string;
  /** True once the platform has processed the latest upload. */
  ready: boolean;
  /** True when `size` is final enough to compare with the minimum (default `ready`). */
  sizeFinal?: boolean;
  /** Matched (or approximate) audience size, when reported. */
  size?: number | undefined;
  /** People the platform received and matched, when it reports both. */
  received?: number | undefined;
  matched?: number | undefined;
  /** Smallest audience the platform lets campaigns use. */
  minimum: number;
}

export function sizeReadBack(f: SizeFigures): MatchRate {
  const rate: MatchRate = { status: f.ready ? 'ready' : 'processing' };
  if (f.size !== undefined) rate.audienceSize = f.size;
  if (f.received && f.matched !== undefined) rate.matchRate = Math.min(1, f.matched / f.received);
  const warning = belowMinimum(f);
  if (warning) rate.warnings = [warning];
  return rate;
}

/** The warning for an audience below the platform's minimum, once its size is known. */
export function belowMinimum(f: Pick<SizeFigures, 'platform' | 'ready' | 'sizeFinal' | 'size' | 'minimum'>): string | undefined {
  if (!(f.sizeFinal ?? f.ready) || f.size === undefined || f.size >= f.minimum) return undefined;
  return `audience below ${f.platform}'s minimum size: ${f.size} matched, campaigns need at least ${f.minimum.toLocaleString('en-US')}`;
}

/** A non-negative count from a number or numeric string (platforms use both, and -1 or null for none). */
export function countOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}
