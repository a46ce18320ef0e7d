import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { type Encoded, forEachPacked, packRows } from '../../connectors/shared/encode';
import { EncodePool, THREADS_ENV, threadsFromEnv } from '../../connectors/shared/encode-pool';
import type { EncoderName } from '../../connectors/shared/encoders';
import type { MemberRow } from '../../src/destinations/contract';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every shape a row can take: good and bad values of each kind, nulls, missing keys, pre-hashed values, non-ASCII text. */
function mixedRows(n: number): MemberRow[] {
  const shapes: ((i: number) => MemberRow['identifiers'])[] = [
    (i) => ({ email: ` Person.${i}@Example.com `, phone: null, countryCode: 'us' }),
    (i) => ({ email: `nope-${i}`, phone: `(415) 555-${String(1000 + (i % 9000)).padStart(4, '0')}`, countryCode: 'US' }),
    (i) => ({ phone: `+44 20 7946 ${String(i % 10000).padStart(4, '0')}` }),
    (i) => ({ firstName: `Zoë ${i % 7}`, lastName: "O'Brien", postalCode: '10011-1234', countryCode: 'US' }),
    (i) => ({ externalId: `crm "${i}" \\ ü 😀` }),
    (i) => ({ email: sha(`hashed${i}@example.com`).toUpperCase() }),
    () => ({ email: null, phone: '   ', mobileAdId: 'not-a-uuid' }),
    () => ({}),
    (i) => ({ mobileAdId: `AB0C5F2E-1B4D-4C8A-9E1F-${String(i).padStart(12, '0')}`, email: '' }),
  ];
  return Array.from({ length: n }, (_, i) => ({ personId: `p${i}`, identifiers: (shapes[i % shapes.length] as (i: number) => MemberRow['identifiers'])(i) }));
}

const pools: EncodePool[] = [];
const pool = (threads: number, minRows = 1) => {
  const p = new EncodePool({ threads, minRows });
  pools.push(p);
  return p;
};
afterAll(() => Promise.all(pools.map((p) => p.close())));

const same = (a: Encoded, b: Encoded) => {
  expect(a.sent).toBe(b.sent);
  expect(a.rejected).toEqual(b.rejected);
  expect(a.payload.equals(b.payload)).toBe(true);
};

describe('packed rows', () => {
  it('unpack to the identifiers that hold a value, in order, whatever the text', () => {
    const rows = mixedRows(40);
    const back: MemberRow['identifiers'][] = [];
    forEachPacked(packRows(rows, 3, 31), (row, i) => (back[i] = row));
    const expected = rows.slice(3, 31).map((r) => Object.fromEntries(Object.entries(r.identifiers).filter(([, v]) => v !== null && v !== undefined)));
    expect(back).toEqual(expected);
  });
});

describe('EncodePool', () => {
  it('a worker thread builds byte for byte the payload and rejections the main thread builds', async () => {
    const rows = mixedRows(3_000);
    const inline = await pool(0).encode('meta_users', rows, 500, 2_900);
    const threaded = pool(1);
    const viaWorker = await threaded.encode('meta_users', rows, 500, 2_900);
    expect(threaded.started).toBe(1);
    same(viaWorker, inline);
    // The payload is Meta's JSON: one data row per row not rejected.
    const body = JSON.parse(viaWorker.payload.toString('utf8')) as { schema: string[]; data: string[][] };
    expect(body.data).toHaveLength(viaWorker.sent);
    expect(viaWorker.sent + viaWorker.rejected.length).toBe(2_400);
    expect(viaWorker.rejected.every(([, reason]) => !reason.includes('nope'))).toBe(true);
  });

  it('keeps small calls on the main thread', async () => {
    const p = pool(1, 1_000);
    await p.encode('meta_users', mixedRows(999), 0, 999);
    expect(p.started).toBe(0);
  });

  it('spreads calls over its threads and answers each call with its own rows', async () => {
    const rows = mixedRows(4_000);
    const p = pool(2);
    const parts = await Promise.all([0, 1, 2, 3].map((k) => p.encode('meta_users', rows, k * 1_000, (k + 1) * 1_000)));
    expect(p.started).toBe(2);
    const inline = pool(0);
    for (const [k, part] of parts.entries()) same(part, await inline.encode('meta_users', rows, k * 1_000, (k + 1) * 1_000));
  });

  it('finishes on the main thread the calls of a thread that stopped', async () => {
    const rows = mixedRows(20_000);
    const p = new EncodePool({ threads: 1, minRows: 1 });
    const running = p.encode('meta_users', rows, 0, rows.length);
    await p.close();
    same(await running, await pool(0).encode('meta_users', rows, 0, rows.length));
    // A closed pool encodes on the main thread.
    same(await p.encode('meta_users', rows, 0, 2_000), await pool(0).encode('meta_users', rows, 0, 2_000));
  });

  it('an encoder failure rejects the call, on a thread as on the main thread', async () => {
    const rows = mixedRows(10);
    const unknown = 'no_such_encoder' as EncoderName;
    await expect(pool(1).encode(unknown, rows, 0, 10)).rejects.toThrow(/encoding rows failed/);
    await expect(pool(0).encode(unknown, rows, 0, 10)).rejects.toThrow();
  });

  it(`reads its size from ${THREADS_ENV}`, () => {
    expect(threadsFromEnv('3')).toBe(3);
    expect(threadsFromEnv('0')).toBe(0);
    const auto = threadsFromEnv(undefined);
    expect(auto).toBeGreaterThanOrEqual(0);
    expect(auto).toBeLessThanOrEqual(4);
    for (const bad of ['x', '-1', '1.5', '100']) expect(() => threadsFromEnv(bad)).toThrow(new RegExp(`${THREADS_ENV}: expected a whole number`));
  });
});
