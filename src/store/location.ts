import path from 'node:path';
import type { StoreConfig } from '../config/schema';

/** Where the SQLite store lives when the workspace file names none, relative to that file. */
export const DEFAULT_STORE_PATH = '.outflow/store.sqlite';

/** The secret key file's name, beside the store (SPEC §6). */
export const SECRET_KEY_FILE = 'secret.key';

/**
 * A store's address, resolved against the workspace file's folder.
 *
 * @example
 * storeLocation(undefined, '/srv/ws')
 * // { type: 'sqlite', file: '/srv/ws/.outflow/store.sqlite', keyDir: '/srv/ws/.outflow', shown: '.outflow/store.sqlite' }
 */
export type StoreLocation =
  | { type: 'sqlite'; file: string; keyDir: string; shown: string }
  | { type: 'postgres'; connectionString: string; schema: string; keyDir: string; shown: string };

export function storeLocation(config: StoreConfig | undefined, baseDir: string): StoreLocation {
  const c = config ?? { type: 'sqlite' };
  if (c.type === 'sqlite') {
    const file = path.resolve(baseDir, c.path ?? DEFAULT_STORE_PATH);
    return { type: 'sqlite', file, keyDir: path.dirname(file), shown: c.path ?? DEFAULT_STORE_PATH };
  }
  const schema = c.schema ?? 'public';
  // The key file of a PostgreSQL store sits where a SQLite store would: `.outflow/` beside the file.
  const keyDir = path.dirname(path.resolve(baseDir, DEFAULT_STORE_PATH));
  return { type: 'postgres', connectionString: c.connectionString, schema, keyDir, shown: `PostgreSQL schema "${schema}"` };
}
