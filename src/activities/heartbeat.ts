import { Context } from '@temporalio/activity';
import { z } from 'zod';

/**
 * Where an upload stands: sent as heartbeat details after every acknowledged batch (visible in
 * the Temporal UI as the activity's progress, and read by `outflow sync run --via temporal`). The
 * run's batch ledger is the source of truth for what was acknowledged: a retried upload skips
 * those batches whatever the cursor says, and re-sends the previous attempt's cursor only so the
 * progress shown does not drop back to zero.
 *
 * @example
 * { kind: 'add', done: 120000, total: 450000 }
 */
export interface UploadCursor {
  kind: 'add' | 'remove';
  /** Rows of this side of the diff already acknowledged. */
  done: number;
  /** Rows on this side of the diff. */
  total: number;
}

/**
 * How often a running activity tells Temporal it is alive. Well under the presets' heartbeat
 * timeout, so a dead worker is noticed within that timeout and not after the start-to-close one.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;

/**
 * Runs `work` while heartbeating every `intervalMs` with `details()` (the latest cursor, or
 * nothing). Re-sending the latest details matters: an empty heartbeat would erase the cursor.
 */
export async function heartbeatWhile<T>(
  work: () => Promise<T>,
  details: () => unknown = () => undefined,
  intervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS,
): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(details()), intervalMs);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

const uploadCursorSchema = z.object({
  kind: z.enum(['add', 'remove']),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
});

/**
 * The cursor a previous attempt heartbeated, if it belongs to this upload (first attempt, details
 * from an older worker version: none). Progress display only; the ledger decides what is sent.
 */
export function resumeCursor(details: unknown, kind: UploadCursor['kind']): UploadCursor | undefined {
  const parsed = uploadCursorSchema.safeParse(details);
  return parsed.success && parsed.data.kind === kind ? parsed.data : undefined;
}
