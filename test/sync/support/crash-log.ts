import { appendFileSync } from 'node:fs';
import type { Destination } from '../../../src/destinations/contract';

/**
 * Wraps a destination so every send is appended to a JSONL log before it happens, and lets a
 * crash point fire right before and right after the destination call.
 */
export function loggingDestination(d: Destination, logFile: string, tag: object, point: (event: string) => void = () => {}): Destination {
  const wrap =
    (op: 'add' | 'remove'): Destination['addMembers'] =>
    async (audience, rows, ctx) => {
      appendFileSync(logFile, `${JSON.stringify({ ...tag, t: 'send', batchId: ctx.batchId })}\n`);
      point(`${op}_call`);
      const out = await (op === 'add' ? d.addMembers(audience, rows, ctx) : d.removeMembers(audience, rows, ctx));
      point(`${op}_written`);
      return out;
    };
  return {
    batchLimit: d.batchLimit,
    concurrency: d.concurrency,
    acceptedIdentifiers: d.acceptedIdentifiers,
    testConnection: () => d.testConnection(),
    createAudience: (i) => d.createAudience(i),
    prepareKeys: (rows) => d.prepareKeys(rows),
    readMatchRate: (a) => d.readMatchRate(a),
    addMembers: wrap('add'),
    removeMembers: wrap('remove'),
  };
}

/** Appends an acknowledgement to the log (called after the ledger row is committed). */
export function logAck(logFile: string, tag: object, batchId: unknown): void {
  appendFileSync(logFile, `${JSON.stringify({ ...tag, t: 'ack', batchId })}\n`);
}
