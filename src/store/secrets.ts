import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserInputError } from '../config/errors';
import { SECRET_KEY_FILE } from './location';

/** The environment variable holding the store's key: 32 bytes, base64 (`openssl rand -base64 32`). */
export const SECRET_KEY_ENV = 'OUTFLOW_SECRET_KEY';

/** A secret setting as the store keeps it: AES-256-GCM, `v1:` + base64url(iv ‖ tag ‖ ciphertext). */
export interface SealedSecret {
  $encrypted: string;
}

/** What reading a secret back gives, in place of its value (SPEC §6). */
export const SECRET_SET: Readonly<{ set: true }> = Object.freeze({ set: true });

/** Which settings of a destination are secret: the connector's list, or all of them when no connector knows the type. */
export type SecretKeys = readonly string[] | 'all';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const FORMAT = 'v1:';
const ENV_REFERENCE = /\$\{env:([^}]*)\}/g;

export function isSealed(value: unknown): value is SealedSecret {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.keys(value).length === 1 &&
    typeof (value as { $encrypted?: unknown }).$encrypted === 'string'
  );
}

/** `{"set": true}`: what a client sends back to keep a stored secret as it is. */
export function isSetMarker(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Object.keys(value).length === 1 && (value as { set?: unknown }).set === true;
}

/** A string holding `${env:NAME}`: a reference, kept unresolved in the store (a reference is not a secret). */
export function hasEnvReference(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${env:');
}

export function isSecretKey(keys: SecretKeys, key: string): boolean {
  return keys === 'all' || keys.includes(key);
}

/**
 * The store's AES-256-GCM key. Taken from `OUTFLOW_SECRET_KEY`, else from `secret.key` beside the
 * store, which is created (mode 0600) the first time a secret is sealed. Nothing is read before a
 * secret is sealed or opened.
 *
 * @example
 * const keyring = new SecretKeyring(process.env, '/srv/ws/.outflow');
 * const sealed = keyring.seal('EAAB...', 'meta-main/accessToken');
 * keyring.open(sealed, 'meta-main/accessToken'); // 'EAAB...'
 */
export class SecretKeyring {
  readonly #env: NodeJS.ProcessEnv;
  readonly #keyFile: string;
  #key: Buffer | undefined;

  constructor(env: NodeJS.ProcessEnv, keyDir: string) {
    this.#env = env;
    this.#keyFile = path.join(keyDir, SECRET_KEY_FILE);
  }

  /** Encrypts a setting's value; `context` (destination id and key) is bound to it, so a sealed value cannot be moved to another setting. */
  seal(value: unknown, context: string): SealedSecret {
    const key = this.#keyFor('seal');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return { $encrypted: FORMAT + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
  }

  open(sealed: SealedSecret, context: string): unknown {
    const raw = sealed.$encrypted.startsWith(FORMAT) ? Buffer.from(sealed.$encrypted.slice(FORMAT.length), 'base64url') : Buffer.alloc(0);
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error(`the stored secret of ${context} is damaged`);
    const decipher = createDecipheriv('aes-256-gcm', this.#keyFor('open'), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    let text: string;
    try {
      text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(
        `cannot decrypt the secret of ${context}: ${this.#describeKey()} is not the key it was encrypted with ` +
          `(set ${SECRET_KEY_ENV} to that key, or enter the secret again)`,
      );
    }
    return JSON.parse(text) as unknown;
  }

  #describeKey(): string {
    return this.#env[SECRET_KEY_ENV] !== undefined ? SECRET_KEY_ENV : this.#keyFile;
  }

  #keyFor(use: 'seal' | 'open'): Buffer {
    this.#key ??= this.#load(use);
    return this.#key;
  }

  #load(use: 'seal' | 'open'): Buffer {
    const fromEnv = this.#env[SECRET_KEY_ENV];
    if (fromEnv !== undefined) {
      const key = Buffer.from(fromEnv.trim(), 'base64');
      if (key.length !== KEY_BYTES)
        throw new UserInputError([
          { path: SECRET_KEY_ENV, message: `expected ${KEY_BYTES} bytes in base64 (for example from "openssl rand -base64 32"), got ${key.length} bytes` },
        ]);
      return key;
    }
    try {
      return this.#readKeyFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (use === 'open')
        throw new Error(`cannot decrypt stored secrets: neither ${SECRET_KEY_ENV} nor the key file ${this.#keyFile} is there`, { cause: err });
    }
    mkdirSync(path.dirname(this.#keyFile), { recursive: true, mode: 0o700 });
    try {
      // 'wx': exactly one process creates the key; a second one racing it reads the winner's.
      writeFileSync(this.#keyFile, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(this.#keyFile, 0o600); // the umask may have narrowed less than asked
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return this.#readKeyFile();
  }

  #readKeyFile(): Buffer {
    const key = Buffer.from(readFileSync(this.#keyFile, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${this.#keyFile} does not hold a ${KEY_BYTES}-byte base64 key`);
    return key;
  }
}

/** Seals secrets as they are written. Dry runs pass one that only marks what would be sealed. */
export type Sealer = (value: unknown, context: string) => SealedSecret;

export const PREVIEW_SEALER: Sealer = () => ({ $encrypted: 'pending' });

/**
 * A destination's settings as the store keeps them: each secret setting sealed, unless it is a
 * `${env:NAME}` reference (kept as written). `{"set": true}` keeps the previous sealed value, and a
 * value equal to the previous one keeps its sealed text, so an unchanged definition stores
 * unchanged bytes.
 *
 * @example
 * sealSettings({ destinationId: 'meta-main', settings: { adAccountId: '1', accessToken: 'EAAB' }, secretKeys: ['accessToken'], keyring, seal })
 * // { adAccountId: '1', accessToken: { $encrypted: 'v1:...' } }
 */
export function sealSettings(input: {
  destinationId: string;
  settings: Record<string, unknown>;
  secretKeys: SecretKeys;
  keyring: SecretKeyring;
  seal: Sealer;
  previous?: Record<string, unknown> | undefined;
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.settings)) {
    const before = input.previous?.[key];
    const context = `destination "${input.destinationId}" setting "${key}"`;
    if (isSetMarker(value)) {
      if (before === undefined)
        throw new UserInputError([{ path: `settings.${key}`, message: 'no stored secret to keep; send the value' }]);
      out[key] = before;
    } else if (!isSecretKey(input.secretKeys, key) || hasEnvReference(value) || isSealed(value)) {
      out[key] = value;
    } else if (isSealed(before) && sameValue(input.keyring.open(before, context), value)) {
      out[key] = before;
    } else {
      out[key] = input.seal(value, context);
    }
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Settings for display, logs, the audit log and export: every secret (sealed or not) as `{"set": true}`. */
export function maskSettings(settings: Record<string, unknown>, secretKeys: SecretKeys): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [key, isSealed(value) || isSecretKey(secretKeys, key) ? SECRET_SET : value]),
  );
}

/**
 * Settings ready for a connector: sealed secrets decrypted, `${env:NAME}` references replaced by
 * the variable's value (a missing one is left as written and reported where the destination is used).
 */
export function openSettings(input: {
  destinationId: string;
  settings: Record<string, unknown>;
  keyring: SecretKeyring;
  env: NodeJS.ProcessEnv;
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.settings)) {
    const context = `destination "${input.destinationId}" setting "${key}"`;
    out[key] = isSealed(value) ? input.keyring.open(value, context) : resolveEnv(value, input.env);
  }
  return out;
}

function resolveEnv(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string')
    return value.replace(ENV_REFERENCE, (whole: string, name: string) => {
      const v = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? env[name] : undefined;
      // Left as written: the destination's settings are checked where it is used (connectorFor),
      // so commands that never talk to it do not need its secrets.
      return v ?? whole;
    });
  if (Array.isArray(value)) return value.map((v) => resolveEnv(v, env));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnv(v, env)]));
  return value;
}
