import { WarehouseError } from '../warehouse/driver';
import type { StateSql } from './state-sql';

/** Who holds a sync's lock: the run, and the process running it. */
export interface LockHolder {
  syncId: string;
  runId: string;
  host: string;
  pid: number;
  acquiredAt: Date;
  leaseUntil: Date;
}

/** The process asking for a lock, and how long its lease lasts without renewal. */
export interface LockClaim {
  syncId: string;
  runId: string;
  host: string;
  pid: number;
  now: Date;
  leaseMs: number;
}

/** Another live process is running this sync. */
export class SyncLockedError extends Error {
  override readonly name = 'SyncLockedError';
  constructor(readonly holder: LockHolder) {
    super(
      `sync "${holder.syncId}" is already running: run ${holder.runId}, pid ${holder.pid} on ${holder.host}, ` +
        `since ${holder.acquiredAt.toISOString()} (lease until ${holder.leaseUntil.toISOString()})`,
    );
  }
}

/**
 * Whether a lock's holder may still be running. On this host the process table answers
 * exactly; for other hosts only the lease can tell, so a crashed remote holder is taken over
 * once its lease expires.
 */
export function holderAlive(holder: LockHolder, here: { host: string; now: Date }): boolean {
  if (holder.host !== here.host) return holder.leaseUntil.getTime() > here.now.getTime();
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readLock(state: StateSql, syncId: string): Promise<LockHolder | undefined> {
  const b = state.binder();
  const rows = await state.query<Record<string, unknown>>('lock-select', { syncId: b.bind(syncId) }, b.params);
  const r = rows[0];
  if (!r) return undefined;
  return {
    syncId: String(r.sync_id),
    runId: String(r.run_id),
    host: String(r.host),
    pid: Number(r.pid),
    acquiredAt: new Date(r.acquired_at as Date),
    leaseUntil: new Date(r.lease_until as Date),
  };
}

/**
 * Takes the sync's lock for `claim.runId`, or throws SyncLockedError naming the live holder.
 * A dead holder's lock is taken over with a compare-and-set, so two processes racing for the
 * same dead lock cannot both win. Returns the holder that was taken over, if any.
 */
export async function acquireSyncLock(state: StateSql, claim: LockClaim): Promise<LockHolder | undefined> {
  const leaseUntil = new Date(claim.now.getTime() + claim.leaseMs);
  for (let attempt = 0; attempt < 3; attempt++) {
    const b = state.binder();
    const ctx = {
      syncId: b.bind(claim.syncId),
      runId: b.bind(claim.runId),
      host: b.bind(claim.host),
      pid: b.bind(claim.pid),
      now: b.bind(claim.now),
      leaseUntil: b.bind(leaseUntil),
      syncIdAgain: b.bind(claim.syncId),
    };
    try {
      if ((await state.execute('lock-insert', ctx, b.params)) === 1) return undefined;
    } catch (err) {
      // A concurrent insert won the primary key; read who holds it below.
      if (!(err instanceof WarehouseError)) throw err;
    }
    const holder = await readLock(state, claim.syncId);
    if (!holder) continue;
    if (holderAlive(holder, claim)) throw new SyncLockedError(holder);
    const t = state.binder();
    const takeover = {
      runId: t.bind(claim.runId),
      host: t.bind(claim.host),
      pid: t.bind(claim.pid),
      now: t.bind(claim.now),
      leaseUntil: t.bind(leaseUntil),
      syncId: t.bind(claim.syncId),
      oldRunId: t.bind(holder.runId),
      oldHost: t.bind(holder.host),
      oldPid: t.bind(holder.pid),
    };
    if ((await state.execute('lock-takeover', takeover, t.params)) === 1) return holder;
  }
  const holder = await readLock(state, claim.syncId);
  if (holder) throw new SyncLockedError(holder);
  throw new WarehouseError(`could not take the lock of sync "${claim.syncId}"`);
}

/**
 * Extends the lease of the run's lock and makes this process its holder (a run's steps may run
 * in different worker processes); may move the lock to `newRunId`. False when the run lost the lock.
 */
export async function renewSyncLock(state: StateSql, claim: LockClaim & { newRunId?: string }): Promise<boolean> {
  const b = state.binder();
  const ctx = {
    newRunId: b.bind(claim.newRunId ?? claim.runId),
    host: b.bind(claim.host),
    pid: b.bind(claim.pid),
    leaseUntil: b.bind(new Date(claim.now.getTime() + claim.leaseMs)),
    syncId: b.bind(claim.syncId),
    runId: b.bind(claim.runId),
  };
  return (await state.execute('lock-renew', ctx, b.params)) === 1;
}

export async function releaseSyncLock(state: StateSql, syncId: string, runId: string): Promise<void> {
  const b = state.binder();
  await state.execute('lock-release', { syncId: b.bind(syncId), runId: b.bind(runId) }, b.params);
}
