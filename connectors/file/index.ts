import { z } from 'zod';
import {
  type ConnectorDefinition,
  IDENTIFIER_KINDS,
} from '../../src/destinations/contract';
import { FileDestination } from './writer';

const settingsSchema = z.strictObject({
  /** Folder the exports go to, relative to the workspace file. */
  path: z.string().min(1),
  /** Rows per file. */
  batchLimit: z.number().int().positive().max(1_000_000).default(10_000),
  /** Files written at once. */
  concurrency: z.number().int().min(1).max(32).default(2),
});
export type FileSettings = z.infer<typeof settingsSchema>;

/**
 * The `file` destination: each run's adds and removes as JSONL files in a folder, one file per
 * batch, for hand-offs to systems that pick files up (S3 sync, SFTP drops, data-sharing jobs).
 *
 * Layout: `<path>/<audience>/<runId>/<kind>-<seq>.jsonl`, one JSON object per line:
 * `{"op":"add","personId":"p1","identifiers":{"email":"<sha-256 hex>"}}`. Files appear atomically
 * (written to a temporary name, then renamed), and a batch id always maps to the same file, so a
 * retried batch rewrites nothing. Values are keys: SHA-256 of the normalised value
 * (src/identity/file.ts), never the raw value, so neither the files nor the sync's snapshot hold one.
 *
 * @example
 * destinations:
 *   - id: exports
 *     type: file
 *     settings: { path: ./exports, batchLimit: 50000 }
 */
const fileConnector: ConnectorDefinition<FileSettings> = {
  type: 'file',
  title: 'File export (JSONL)',
  settingsSchema,
  secretSettings: [],
  identifiers: IDENTIFIER_KINDS,
  // The audience name is a folder under `path` (writer.ts SAFE_NAME).
  audienceNames: { maxLength: 200 },
  create: (settings, deps) => new FileDestination({ ...settings, baseDir: deps.baseDir, identifiers: IDENTIFIER_KINDS }),
};

export default fileConnector;
