import type {
  IdentifierKind,
  MemberRow,
} from '../../src/destinations/contract';
import { Invalid, type RawIdentifiers } from '../../src/identity/rules';
import { prepareRows } from './rows';

/**
 * Request bodies built from member rows: normalise and hash each row by the platform's rules,
 * then serialise the usable ones. This is the CPU-heavy part of an upload, so it is written to run
 * in one go on a worker thread (encode-pool.ts) or in slices on the main thread, with the same
 * result either way.
 */

/** How one platform turns rows into a request body. */
export interface PayloadEncoder<P> {
  /** Normalises and hashes one row's identifiers, or says why none can be used. */
  prepare(row: RawIdentifiers): P | Invalid;
  /**
   * Serialises the usable rows, in order, into the request body: a Buffer with memory of its own
   * (payloadBytes), which a worker thread hands over without copying.
   */
  serialize(rows: readonly P[]): Buffer;
}

/** A request body built from rows `from..to` of a call. */
export interface Encoded {
  /** The request body: every usable row, in order. */
  payload: Buffer;
  /** Rows in the payload. */
  sent: number;
  /** Rows left out, as [index among the encoded rows, reason]; the reason never holds the value. */
  rejected: [number, string][];
}

/**
 * Rows' raw identifiers in a form that crosses to a worker thread cheaply: the values of `kinds`,
 * row by row, concatenated into one string, with each value's length (-1 for null). One string
 * and one typed array copy in microseconds; an array of ten thousand strings does not.
 */
export interface PackedRows {
  kinds: IdentifierKind[];
  text: string;
  lengths: Int32Array;
  count: number;
}

/** Packs the identifiers of rows `from..to`. */
export function packRows(rows: readonly MemberRow[], from: number, to: number): PackedRows {
  const kinds: IdentifierKind[] = [];
  for (let i = from; i < to; i++)
    for (const kind in (rows[i] as MemberRow).identifiers) if (!kinds.includes(kind as IdentifierKind)) kinds.push(kind as IdentifierKind);
  const lengths = new Int32Array((to - from) * kinds.length);
  let text = '';
  let v = 0;
  for (let i = from; i < to; i++) {
    const ids = (rows[i] as MemberRow).identifiers;
    for (let k = 0; k < kinds.length; k++) {
      const value = ids[kinds[k] as IdentifierKind];
      if (value === null || value === undefined) lengths[v++] = -1;
      else {
        text += value;
        lengths[v++] = value.length;
      }
    }
  }
  return { kinds, text, lengths, count: to - from };
}

/** Calls `each` with every packed row, in order, with the kinds it has a value for. */
export function forEachPacked(packed: PackedRows, each: (row: RawIdentifiers, index: number) => void): void {
  const { kinds, text, lengths } = packed;
  let at = 0;
  let v = 0;
  for (let i = 0; i < packed.count; i++) {
    const row: RawIdentifiers = {};
    for (let k = 0; k < kinds.length; k++) {
      const length = lengths[v++] as number;
      if (length < 0) continue;
      row[kinds[k] as IdentifierKind] = text.slice(at, at + length);
      at += length;
    }
    each(row, i);
  }
}

/** Encodes packed rows in one go (on a worker thread). */
export function encodePacked<P>(encoder: PayloadEncoder<P>, packed: PackedRows): Encoded {
  const prepared = new Array<P | Invalid>(packed.count);
  forEachPacked(packed, (row, i) => (prepared[i] = encoder.prepare(row)));
  return finish(encoder, prepared);
}

/**
 * Encodes rows `from..to` on the main thread in slices (prepareRows), so requests in flight keep
 * moving while the next one is prepared.
 */
export async function encodeSliced<P>(encoder: PayloadEncoder<P>, rows: readonly MemberRow[], from: number, to: number): Promise<Encoded> {
  return finish(encoder, await prepareRows(rows, (row) => encoder.prepare(row.identifiers), from, to));
}

function finish<P>(encoder: PayloadEncoder<P>, prepared: readonly (P | Invalid)[]): Encoded {
  const usable: P[] = [];
  const rejected: [number, string][] = [];
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i] as P | Invalid;
    if (p instanceof Invalid) rejected.push([i, p.reason]);
    else usable.push(p);
  }
  return { payload: usable.length > 0 ? encoder.serialize(usable) : Buffer.alloc(0), sent: usable.length, rejected };
}

/**
 * JSON text as a request body. Encoders build the text by concatenation, which V8 does without
 * copying, and it is encoded once here: several times faster than writing cell by cell. The
 * buffer never comes from Node's shared pool, so a worker thread can hand its memory over.
 */
export function payloadBytes(json: string): Buffer {
  const out = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
  out.write(json, 0, 'utf8');
  return out;
}
