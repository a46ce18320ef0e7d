import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { UserInputError } from '../config/errors';
import { type Actor, writeAudit } from './audit';
import type { LightDb } from './connection';
import { nowIso } from './definitions';

/**
 * API roles, lowest first; each role may do everything the ones before it may (SPEC §6):
 * viewer (every GET) < marketer (segments, toggles, runs) < data (entities, destinations,
 * classic syncs, apply) < admin (tokens, audit log).
 */
export const ROLES = ['viewer', 'marketer', 'data', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Whether `role` may do what `needed` may.
 *
 * @example
 * roleAllows('data', 'marketer'); // true
 * roleAllows('viewer', 'marketer'); // false
 */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** What a valid bearer token stands for. */
export interface TokenIdentity {
  name: string;
  role: Role;
}

export interface TokenInfo extends TokenIdentity {
  createdAt: string;
  createdBy: string | null;
}

/** Prefix of every token, so a leaked one is recognisable (and findable by secret scanners). */
export const TOKEN_PREFIX = 'oft_';
const TOKEN_BYTES = 32;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A new token: 256 random bits, base64url, behind TOKEN_PREFIX. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/** What the store keeps of a token: its SHA-256, hex. A token has 256 bits of entropy, so a fast hash is enough. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

interface TokenRow {
  name: string;
  role: string;
  token_hash: string;
  created_at: string;
  created_by: string | null;
}

/**
 * API tokens (`outflow tokens create|list|revoke`). A token is shown once, when created; the
 * store keeps its hash. Revoking deletes it; the audit log keeps that it existed.
 *
 * @example
 * const { token } = await store.tokens.create({ name: 'ci', role: 'data' }, { name: 'cli' });
 * await store.tokens.authorize(token); // { name: 'ci', role: 'data' }
 * await store.tokens.revoke('ci', { name: 'cli' });
 * await store.tokens.authorize(token); // undefined
 */
export class TokenRepository {
  readonly #knex: () => Promise<Knex>;
  readonly #light: () => Promise<LightDb>;

  constructor(knex: () => Promise<Knex>, light: () => Promise<LightDb>) {
    this.#knex = knex;
    this.#light = light;
  }

  async create(input: { name: string; role: string }, actor: Actor): Promise<TokenInfo & { token: string }> {
    if (!NAME.test(input.name))
      throw new UserInputError([{ path: '--name', message: `expected 1-64 letters, digits, ".", "_" or "-", got "${input.name}"` }]);
    if (!isRole(input.role)) throw new UserInputError([{ path: '--role', message: `expected one of ${ROLES.join(', ')}, got "${input.role}"` }]);
    const token = generateToken();
    const info: TokenInfo = { name: input.name, role: input.role, createdAt: nowIso(), createdBy: actor.name };
    const knex = await this.#knex();
    await knex.transaction(async (trx) => {
      if (await trx('tokens').where({ name: input.name }).first())
        throw new UserInputError([{ path: '--name', message: `a token named "${input.name}" exists; revoke it first or pick another name` }]);
      await trx('tokens').insert({ name: info.name, role: info.role, token_hash: hashToken(token), created_at: info.createdAt, created_by: info.createdBy });
      await writeAudit(trx, actor, [{ action: 'create', objectType: 'token', objectId: info.name, diff: { before: null, after: { name: info.name, role: info.role } } }]);
    });
    return { ...info, token };
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await (await this.#light()).all<TokenRow>('select name, role, token_hash, created_at, created_by from tokens order by name');
    return rows.map((r) => ({ name: r.name, role: r.role as Role, createdAt: r.created_at, createdBy: r.created_by }));
  }

  async revoke(name: string, actor: Actor): Promise<void> {
    const knex = await this.#knex();
    await knex.transaction(async (trx) => {
      const row = await trx<TokenRow>('tokens').where({ name }).first();
      if (!row) throw new UserInputError([{ path: '<name>', message: `no token named "${name}"` }]);
      await trx('tokens').where({ name }).delete();
      await writeAudit(trx, actor, [{ action: 'delete', objectType: 'token', objectId: name, diff: { before: { name, role: row.role }, after: null } }]);
    });
  }

  /**
   * The identity behind `Authorization: Bearer <token>`, or undefined for a missing or unknown
   * token (401). Looked up by hash, through the light connection: no write per request.
   */
  async authorize(token: string | undefined): Promise<TokenIdentity | undefined> {
    if (!token || !token.startsWith(TOKEN_PREFIX) || token.length > 128) return undefined;
    const [row] = await (await this.#light()).all<TokenRow>('select name, role from tokens where token_hash = ?', [hashToken(token)]);
    return row && isRole(row.role) ? { name: row.name, role: row.role } : undefined;
  }
}
