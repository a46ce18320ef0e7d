import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Members } from '../../src/sandbox/meta';

/**
 * The Meta fake logs uploads' changes and folds them in when read (src/sandbox/meta.ts). The
 * members it reports must be those of a plain set that applied every change in order, however
 * reads and changes interleave.
 */

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const HASHES = ['a', 'b', 'c', 'd'].map(sha);

type Change =
  | { kind: 'hash'; key: 'EMAIL' | 'PHONE'; value: string; add: boolean }
  | { kind: 'single'; key: 'MADID' | 'EXTERN_ID'; value: string; add: boolean }
  | { kind: 'multi'; tuple: string; add: boolean }
  | { kind: 'read' };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('hash' as const), key: fc.constantFrom('EMAIL' as const, 'PHONE' as const), value: fc.constantFrom(...HASHES), add: fc.boolean() }),
  fc.record({ kind: fc.constant('single' as const), key: fc.constantFrom('MADID' as const, 'EXTERN_ID' as const), value: fc.constantFrom('x', 'y', 'z|1', ''), add: fc.boolean() }),
  fc.record({ kind: fc.constant('multi' as const), tuple: fc.constantFrom(`EMAIL=${HASHES[0]}|PHONE=${HASHES[1]}`, `FN=${HASHES[2]}|LN=${HASHES[3]}`), add: fc.boolean() }),
  fc.constant({ kind: 'read' as const }),
);

describe('Meta fake members', () => {
  it('equal a set that applied every add and remove in order', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 60 }), (changes) => {
        const members = new Members();
        const model = new Set<string>();
        for (const c of changes) {
          if (c.kind === 'read') {
            expect(new Set(members)).toEqual(model);
            continue;
          }
          const tuple = c.kind === 'multi' ? c.tuple : `${c.key}=${c.value}`;
          if (c.add) model.add(tuple);
          else model.delete(tuple);
          if (c.kind === 'hash') members.singleHash(c.key, c.value, c.add);
          else if (c.kind === 'single') members.single(c.key, c.value, c.add);
          else members.multi(c.tuple, c.add);
        }
        expect(members.size).toBe(model.size);
        expect(new Set(members)).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps hundreds of thousands of logged hashes (the log grows) and folds them', () => {
    const members = new Members();
    const hash = sha('seed');
    for (let i = 0; i < 200_000; i++) members.singleHash('EMAIL', `${hash.slice(0, 56)}${i.toString(16).padStart(8, '0')}`, true);
    for (let i = 0; i < 1_000; i++) members.singleHash('EMAIL', `${hash.slice(0, 56)}${i.toString(16).padStart(8, '0')}`, false);
    expect(members.size).toBe(199_000);
  });
});
