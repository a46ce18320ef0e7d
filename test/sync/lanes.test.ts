import { describe, expect, it } from 'vitest';
import { runLanes } from '../../src/sync/upload';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records what runLanes does with `seqs`: reads, sends, and the most of each at once. */
function recorder(opts: { sendMs?: (seq: number) => number; failSend?: number; failRead?: number } = {}) {
  const log = { reads: [] as number[], sent: [] as number[], started: [] as number[], readsAtOnce: 0, sendsAtOnce: 0, heldAtOnce: 0 };
  let reading = 0;
  let sending = 0;
  // Batches read (or being read) and not yet sent: the memory the schedule holds.
  let held = 0;
  return {
    log,
    read: async (seq: number) => {
      held++;
      log.heldAtOnce = Math.max(log.heldAtOnce, held);
      log.readsAtOnce = Math.max(log.readsAtOnce, ++reading);
      log.reads.push(seq);
      await tick(2);
      reading--;
      if (seq === opts.failRead) throw new Error(`read ${seq} failed`);
      return [`rows of ${seq}`];
    },
    send: async (seq: number, rows: string[]) => {
      expect(rows).toEqual([`rows of ${seq}`]);
      log.started.push(seq);
      log.sendsAtOnce = Math.max(log.sendsAtOnce, ++sending);
      await tick(opts.sendMs?.(seq) ?? 5);
      sending--;
      held--;
      if (seq === opts.failSend) throw new Error(`send ${seq} failed`);
      log.sent.push(seq);
    },
  };
}

describe('runLanes', () => {
  it('sends every batch once with at most `lanes` in flight, reading one batch at a time, in order, one ahead', async () => {
    const seqs = [0, 1, 2, 4, 5, 7, 8, 9, 10, 11];
    const r = recorder({ sendMs: (seq) => (seq % 3) * 4 + 3 });
    await runLanes({ seqs, lanes: 3, read: r.read, send: r.send });
    expect([...r.log.sent].sort((a, b) => a - b)).toEqual(seqs);
    expect(r.log.reads).toEqual(seqs);
    expect(r.log.readsAtOnce).toBe(1);
    expect(r.log.sendsAtOnce).toBe(3);
    expect(r.log.heldAtOnce).toBeLessThanOrEqual(4);
  });

  it('a lane that finishes finds its next batch already read', async () => {
    const readDone = new Map<number, number>();
    const sendDone = new Map<number, number>();
    let clock = 0;
    await runLanes({
      seqs: [0, 1, 2, 3, 4],
      lanes: 1,
      read: async (seq) => {
        await tick(2);
        readDone.set(seq, ++clock);
        return seq;
      },
      send: async (seq) => {
        await tick(20);
        sendDone.set(seq, ++clock);
      },
    });
    // Each batch was read while the one before it was being sent.
    for (let seq = 1; seq <= 4; seq++) expect(readDone.get(seq)).toBeLessThan(sendDone.get(seq - 1) as number);
  });

  it('after a failed batch starts no new batch, lets those in flight finish, and throws the first failure', async () => {
    const r = recorder({ failSend: 3, sendMs: (seq) => (seq === 4 ? 30 : 5) });
    await expect(runLanes({ seqs: [0, 1, 2, 3, 4, 5, 6, 7, 8], lanes: 2, read: r.read, send: r.send })).rejects.toThrow('send 3 failed');
    expect(r.log.sent).toContain(4);
    expect(r.log.started.filter((seq) => seq > 4)).toEqual([]);
  });

  it('a failed read fails the run, and a batch read ahead but never sent leaves no unhandled rejection', async () => {
    const r = recorder({ failRead: 2 });
    await expect(runLanes({ seqs: [0, 1, 2, 3], lanes: 1, read: r.read, send: r.send })).rejects.toThrow('read 2 failed');
    expect(r.log.sent).toEqual([0, 1]);
  });

  it('does nothing for no batches', async () => {
    const r = recorder();
    await runLanes({ seqs: [], lanes: 2, read: r.read, send: r.send });
    expect(r.log.reads).toEqual([]);
  });
});
