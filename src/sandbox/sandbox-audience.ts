import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { matches } from './fake-server';

/**
 * What the LinkedIn, Microsoft Advertising, TikTok and Snapchat fakes share: an audience's
 * members in the platform's key space with the platform's processing lag, and the small
 * normalisation steps their expected-key functions are built from. The rules themselves (which
 * steps, which prefix) live in each fake, written from the reference's §1.2 table.
 */

const HEX64 = /[0-9a-f]{64}/;

/**
 * One audience of a contract fake. Members are keys such as `SHA256_EMAIL=<hex>`. Platforms
 * report sizes minutes to hours after a change; here a change leaves the audience processing for
 * the next `readsUntilProcessed` reads of it, then the figures are computed. `settle()` ends
 * processing at once.
 *
 * @example
 * const a = new SandboxAudience('1', 'vip');
 * a.members.add('EMAIL_SHA256=…'); a.changed(1);
 * a.observe(); // true: still processing
 * a.observe(); // false: a.processed is { size: 1, matched: 0 | 1 }
 */
export class SandboxAudience {
  readonly members = new Set<string>();
  /** Figures as of the last processing; undefined until the first. */
  processed: { size: number; matched: number } | undefined;
  readonly createdAt = new Date();
  updatedAt = new Date();
  #readsLeft = 0;
  #pending = false;

  constructor(
    readonly id: string,
    public name: string,
  ) {}

  get processing(): boolean {
    return this.#pending;
  }

  /** Records a change of members (once per request). */
  changed(readsUntilProcessed: number): void {
    this.updatedAt = new Date();
    this.#pending = true;
    this.#readsLeft = readsUntilProcessed;
    if (readsUntilProcessed <= 0) this.settle();
  }

  /** Counts one read-back; true while the audience is still processing. */
  observe(): boolean {
    if (!this.#pending) return false;
    if (this.#readsLeft-- > 0) return true;
    this.settle();
    return false;
  }

  settle(): void {
    this.#pending = false;
    let matched = 0;
    for (const key of this.members) if (memberMatches(key)) matched++;
    this.processed = { size: this.members.size, matched };
  }
}

/** Whether the fake counts a member as found on the platform (about 70% are, see `matches`). */
export function memberMatches(key: string): boolean {
  return matches(HEX64.exec(key)?.[0] ?? sha256Hex(key));
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Email: trim and lowercase, the baseline every platform states (reference §1.1). */
export function trimLower(value: string): string {
  return value.trim().toLowerCase();
}

/**
 * A phone in E.164 (`+` and digits). A number without `+` or `00` is read in `countryCode` when
 * one is given; undefined when it cannot be read.
 */
export function e164(raw: string, countryCode?: string): string | undefined {
  const value = raw.trim().replace(/^00/, '+');
  const parsed = parsePhoneNumberFromString(value, countryCode?.toUpperCase() as CountryCode | undefined);
  return parsed?.number;
}
