import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { UploadCursor } from './types';

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
 * The cursor a previous attempt heartbeated, if it belongs to this upload. Anything else
 * (first attempt, details from an older worker version) means "start from the ledger".
 */
export function resumeCursor(details: unknown, kind: UploadCursor['kind']): UploadCursor | undefined {
  const parsed = uploadCursorSchema.safeParse(details);
  return parsed.success && parsed.data.kind === kind ? parsed.data : undefined;
}
