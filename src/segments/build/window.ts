import type { RelativeWindow, Window } from '../rule-schema';
import type { SqlWriter } from '../sql-writer';

/** `asOf - N units` in the dialect's own time arithmetic (calendar months for `month`). */
export function windowStart(w: SqlWriter, window: RelativeWindow): string {
  return w.render('time-sub', { ts: w.asOfParam(), amount: w.bind(window.last) }, { unit: window.unit });
}

/**
 * `ts` lies in the window and not after as-of: relative `asOf - N units <= ts <= asOf`,
 * absolute `from <= ts < to`, absent: ever (up to as-of).
 */
export function windowPredicates(w: SqlWriter, ts: string, window: Window | undefined): string[] {
  const notAfterAsOf = `${ts} <= ${w.asOfParam()}`;
  if (window === undefined) return [notAfterAsOf];
  if ('last' in window) return [`${windowStart(w, window)} <= ${ts}`, notAfterAsOf];
  return [`${w.instant(utcInstant(window.from))} <= ${ts}`, `${ts} < ${w.instant(utcInstant(window.to))}`, notAfterAsOf];
}

/** An ISO date or date-time; without an offset it is read as UTC (as-of and windows are UTC). */
export function utcInstant(iso: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return new Date(`${iso}T00:00:00Z`);
  return new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
}
