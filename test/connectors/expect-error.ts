import { expect } from 'vitest';
import { DestinationError } from '../../src/destinations/contract';

/** Awaits a promise that must reject with a DestinationError, and returns the error. */
export async function expectError(p: Promise<unknown>): Promise<DestinationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DestinationError);
  return err as DestinationError;
}
