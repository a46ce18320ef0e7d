import { UserInputError } from '../config/errors';
import { INSTANT_RANGE, isIsoInstant } from '../segments/rule-schema';

/**
 * Parses a time flag (`--as-of`, `--anchor`); absent means now. A date is midnight UTC, a
 * date-time without an offset is UTC. A calendar date that does not exist is an error, never
 * rolled over into the next month.
 */
export function parseTime(flag: string, value: string | undefined): Date {
  if (value === undefined) return new Date();
  const fail = () =>
    new UserInputError([
      {
        path: flag,
        message: `expected an ISO-8601 date or timestamp from ${INSTANT_RANGE.from.slice(0, 4)} to ${INSTANT_RANGE.to.slice(0, 4)} such as 2026-01-31 or 2026-01-31T09:30:00Z, got ${JSON.stringify(value)}`,
      },
    ]);
  // zod's check (isIsoInstant) rejects days a month does not have (2026-02-30).
  if (!isIsoInstant(value)) throw fail();
  const iso = /T/.test(value) ? (/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`) : `${value}T00:00:00Z`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw fail();
  return d;
}

/** `--as-of`: evaluate as of this instant (default now, UTC). */
export function parseAsOf(value: string | undefined): Date {
  return parseTime('--as-of', value);
}

/**
 * A whole number flag from `min` to `max`, written in digits (`_` allowed as a separator).
 * `1e20`, `12abc` and numbers beyond `max` are errors naming the flag.
 */
export function parseWholeNumber(flag: string, value: string, { min = 1, max }: { min?: number; max: number }): number {
  const digits = value.replaceAll('_', '');
  const n = /^\d{1,16}$/.test(digits) ? Number(digits) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UserInputError([{ path: flag, message: `expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}` }]);
  return n;
}

/** A path given on the command line; a NUL byte would silently cut it short in the OS. */
export function parsePathFlag(flag: string, value: string): string {
  if (value === '') throw new UserInputError([{ path: flag, message: 'expected a path, got an empty string' }]);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000]/.test(value)) throw new UserInputError([{ path: flag, message: `a path cannot contain a NUL byte, got ${JSON.stringify(value)}` }]);
  return value;
}
