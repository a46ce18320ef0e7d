import { type AudienceRef, DestinationError } from '../../src/destinations/contract';

/**
 * Find-or-create of an audience by name, the same for every platform: look it up, create it only
 * when absent, and when the create loses a race to another process (the platform says the name
 * is taken), take the one that won. Never creates a duplicate that the lookup could have found.
 *
 * @example
 * const ref = await findOrCreateAudience(name, {
 *   find: async () => (await api.list()).find((a) => a.name === name),
 *   create: () => api.create(name),
 *   duplicateCodes: [4853],
 * });
 */
export interface AudienceLookup {
  /** The audience of this name, if the platform has one. */
  find(): Promise<AudienceRef | undefined>;
  create(): Promise<AudienceRef>;
  /** Platform codes of "an audience of this name exists" on create. */
  duplicateCodes?: readonly (string | number)[];
}

export async function findOrCreateAudience(name: string, lookup: AudienceLookup): Promise<AudienceRef> {
  const found = await lookup.find();
  if (found) return found;
  try {
    return await lookup.create();
  } catch (err) {
    const duplicate = err instanceof DestinationError && err.code !== undefined && (lookup.duplicateCodes ?? []).some((c) => String(c) === err.code);
    if (!duplicate) throw err;
    const winner = await lookup.find();
    if (!winner) throw err;
    return winner;
  }
}

/** Pages through a listing until `pick` finds an item or the pages end. */
export async function findInPages<T>(page: (index: number) => Promise<{ items: readonly T[]; more: boolean }>, pick: (item: T) => boolean): Promise<T | undefined> {
  for (let i = 0; ; i++) {
    const { items, more } = await page(i);
    const hit = items.find(pick);
    if (hit !== undefined) return hit;
    if (!more || items.length === 0) return undefined;
  }
}
