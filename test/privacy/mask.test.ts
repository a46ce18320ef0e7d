import { describe, expect, it } from 'vitest';
import { maskMessage, maskValue } from '../../src/privacy/mask';

describe('maskMessage', () => {
  it.each([
    ["Conversion Error: Could not convert string 'obrien.ava1@example.com' to INT32", "Conversion Error: Could not convert string '***' to INT32"],
    ['invalid input syntax for type integer: "obrien.ava1@example.com"', 'invalid input syntax for type integer: "o***@e***.com"'],
    ['invalid input syntax for type bigint: "+1 555 301 4410"', 'invalid input syntax for type bigint: "+***"'],
    ["value 'it''s mine' is too long", "value '***' is too long"],
    ['no member jane@example.com', 'no member j***@e***.com'],
  ])('masks values: %s', (raw, masked) => expect(maskMessage(raw)).toBe(masked));

  it.each([
    'run 20261203T075518271Z-31cb5f as of 2026-03-01T00:00:00.000Z would remove 6622 of 15767 members (42%)',
    'planned 1000000 (add 1000000, remove 0), sent 12345678, deferred 0',
    'sync "vip-sync" is already running: run r1, pid 123456 on host-1',
    'Meta destination "dest" (ad account 1234567890): the access token was revoked',
  ])('leaves Outflow’s own messages alone: %s', (message) => expect(maskMessage(message)).toBe(message));

  it('masks person ids that are identifiers, and only those', () => {
    expect(['p0001', 'shared3@example.com', '+15553014410', '(555) 201-3310', '+44 20 7946 0913'].map(maskValue)).toEqual(['p0001', 's***@e***.com', '+***', '+***', '+***']);
  });
});
