/**
 * How the uploader schedules batches: `lanes` batches in flight, each lane taking the next batch
 * when its last one is done, and the batch after those read ahead while they are being sent, so
 * a lane that finishes never waits for the warehouse before its next call. Memory: at most
 * `lanes + 1` batches of rows at once.
 *
 * A batch that fails stops new batches from starting; those in flight finish, then the first
 * failure is thrown.
 */
export interface LaneInput<Rows> {
  /** Batch sequence numbers to send, in order. */
  seqs: readonly number[];
  lanes: number;
  /** Reads a batch's rows (the reads are issued one at a time, in order). */
  read(seq: number): Promise<Rows>;
  send(seq: number, rows: Rows): Promise<void>;
}

export async function runLanes<Rows>(input: LaneInput<Rows>): Promise<void> {
  const { seqs } = input;
  let next = 0;
  let failure: unknown;
  let failed = false;
  // Whatever the lanes do, batches are read one at a time and in order.
  const reads = new Mutex();
  const read = (seq: number): Promise<Rows> => reads.run(() => input.read(seq));
  let ahead: { seq: number; rows: Promise<Rows> } | undefined;
  const take = (): { seq: number; rows: Promise<Rows> } | undefined => {
    if (next >= seqs.length) return undefined;
    const seq = seqs[next++] as number;
    const taken = ahead?.seq === seq ? ahead : { seq, rows: read(seq) };
    ahead = undefined;
    if (next < seqs.length) {
      const following = seqs[next] as number;
      ahead = { seq: following, rows: read(following) };
      // Observed when taken; a batch never taken (after a failure) must not be an unhandled rejection.
      ahead.rows.catch(() => {});
    }
    return taken;
  };
  const lane = async () => {
    while (!failed) {
      const batch = take();
      if (!batch) return;
      try {
        await input.send(batch.seq, await batch.rows);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.lanes, seqs.length)) }, lane));
  if (failed) throw failure;
}

/** Runs async calls one at a time, in the order they were made; a failed call does not stop the next. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
