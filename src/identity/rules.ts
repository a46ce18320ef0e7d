import type { IdentifierKind } from '../config/schema';
import { isSha256Hex, sha256Hex } from './hash';

/**
 * A value a platform cannot use, with the reason. The reason names the field and the problem,
 * never the value itself: reasons end up in run reports and logs.
 */
export class Invalid {
  constructor(readonly reason: string) {}
}

/** Raw identifier values of one person, straight from the warehouse. */
export type RawIdentifiers = Partial<Record<IdentifierKind, string | null>>;

/** How one platform treats one identifier kind. */
export interface FieldRule {
  /** Normalises a trimmed, non-empty raw value; `row` gives context (e.g. the country for phones). */
  normalize(value: string, row: RawIdentifiers): string | Invalid;
  /** True when the platform takes the normalised value as SHA-256 lowercase hex. */
  hashed: boolean;
}

/**
 * One platform's normalisation and hashing rules: platforms disagree (a phone keeps its `+` on
 * Google and loses it on Meta; Meta hashes country and zip, Google sends them plain), so every
 * platform has its own rule set and the hashes are not interchangeable.
 *
 * @example
 * const { values, problems } = prepareIdentifiers(META_IDENTITY, { email: ' Mary@Example.com ' });
 * // values.email === 'f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79'
 */
export interface IdentityRules {
  platform: string;
  fields: Partial<Record<IdentifierKind, FieldRule>>;
}

/** Identifiers ready to send: normalised, and hashed where the platform wants a hash. */
export type PreparedIdentifiers = Partial<Record<IdentifierKind, string>>;

export interface PreparedRow {
  values: PreparedIdentifiers;
  /** One reason per identifier that could not be used (the others are still sent). */
  problems: readonly string[];
}

// Most rows have no problem: share one empty list instead of allocating one per row.
const NO_PROBLEMS: readonly string[] = Object.freeze([]);

/**
 * Normalises and hashes the identifiers of one person by a platform's rules. Kinds the platform
 * does not take are ignored; null and blank values are absent, not invalid. A hashed field whose
 * raw value already is a 64-hex digest is passed through (lowercased) instead of hashed twice.
 */
export function prepareIdentifiers(rules: IdentityRules, row: RawIdentifiers): PreparedRow {
  const values: PreparedIdentifiers = {};
  let problems: string[] | undefined;
  for (const kind in row) {
    const rule = rules.fields[kind as IdentifierKind];
    const raw = row[kind as IdentifierKind];
    if (rule === undefined || raw === null || raw === undefined) continue;
    const value = typeof raw === 'string' ? raw.trim() : String(raw);
    if (value === '') continue;
    if (rule.hashed && isSha256Hex(value)) {
      values[kind as IdentifierKind] = value.toLowerCase();
      continue;
    }
    const normalized = rule.normalize(value, row);
    if (normalized instanceof Invalid) (problems ??= []).push(normalized.reason);
    else values[kind as IdentifierKind] = rule.hashed ? sha256Hex(normalized) : normalized;
  }
  return { values, problems: problems ?? NO_PROBLEMS };
}
