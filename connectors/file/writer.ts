import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  type AudienceRef,
  type BatchContext,
  type Destination,
  DestinationError,
  type IdentifierKind,
  type MatchRate,
  type MemberRow,
  type PreparedRow,
  type RowResult,
} from '../../src/destinations/contract';
import { FILE_IDENTITY } from '../../src/identity/file';
import { prepareIdentifiers } from '../../src/identity/rules';
import { prepareKeysSliced } from '../shared/keys';
import { noUsableIdentifier } from '../shared/rows';

/** One line of an export file: the person's keys (SHA-256 of the normalised values, src/identity/file.ts). */
export interface FileExportLine {
  op: 'add' | 'remove';
  personId: string;
  identifiers: Partial<Record<IdentifierKind, string>>;
}

/** A row's keys by the file destination's rules (every value normalised and hashed), or why none can be used. */
export function fileKeysOf(row: MemberRow): Partial<Record<IdentifierKind, string>> | ReturnType<typeof noUsableIdentifier> {
  const { values, problems } = prepareIdentifiers(FILE_IDENTITY, row.identifiers);
  return Object.keys(values).length > 0 ? values : noUsableIdentifier(problems);
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const BATCH_ID = /^([A-Za-z0-9][A-Za-z0-9._-]*)\/(add|remove)\/(\d+)$/;

/** The file a batch goes to, relative to the audience folder: `<runId>/<kind>-<seq>.jsonl`. */
export function batchFile(batchId: string): string {
  const m = BATCH_ID.exec(batchId);
  if (!m) throw new DestinationError('invalid_payload', `not a batch id of the form <runId>/<kind>/<seq>: ${JSON.stringify(batchId)}`);
  return path.join(m[1]!, `${m[2]}-${m[3]!.padStart(6, '0')}.jsonl`);
}

export class FileDestination implements Destination {
  readonly batchLimit: number;
  readonly concurrency: number;
  readonly acceptedIdentifiers: readonly IdentifierKind[];
  readonly root: string;

  constructor(o: { path: string; baseDir: string; batchLimit: number; concurrency: number; identifiers: readonly IdentifierKind[] }) {
    this.root = path.resolve(o.baseDir, o.path);
    this.acceptedIdentifiers = o.identifiers;
    this.batchLimit = o.batchLimit;
    this.concurrency = o.concurrency;
  }

  async testConnection(): Promise<void> {
    await this.#fs(async () => {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK);
    });
  }

  async createAudience(input: { name: string }): Promise<AudienceRef> {
    if (!SAFE_NAME.test(input.name))
      throw new DestinationError('invalid_payload', `audience name ${JSON.stringify(input.name)} is not a safe folder name`);
    await this.#fs(() => mkdir(path.join(this.root, input.name), { recursive: true }));
    return { id: input.name, name: input.name };
  }

  /** SHA-256 of the normalised values (src/identity/file.ts): exports and snapshots hold no raw identifier. */
  prepareKeys(rows: readonly MemberRow[]): Promise<PreparedRow[]> {
    return prepareKeysSliced(rows, fileKeysOf);
  }

  addMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return this.#write(audience, 'add', rows, ctx);
  }

  removeMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return this.#write(audience, 'remove', rows, ctx);
  }

  async readMatchRate(): Promise<MatchRate> {
    // A file has no matching step: what was written is the audience.
    return { status: 'ready' };
  }

  async #write(audience: AudienceRef, op: 'add' | 'remove', rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    if (!SAFE_NAME.test(audience.id)) throw new DestinationError('invalid_payload', `audience id ${JSON.stringify(audience.id)} is not a safe folder name`);
    const file = path.join(this.root, audience.id, batchFile(ctx.batchId));
    const results: RowResult[] = [];
    const lines: string[] = [];
    for (const row of rows) {
      const identifiers: Partial<Record<IdentifierKind, string>> = {};
      for (const [k, v] of Object.entries(row.identifiers)) if (v !== null && v !== undefined && v !== '') identifiers[k as IdentifierKind] = v;
      if (Object.keys(identifiers).length === 0) {
        results.push({ personId: row.personId, ok: false, reason: 'no identifier value' });
        continue;
      }
      lines.push(JSON.stringify({ op, personId: row.personId, identifiers } satisfies FileExportLine));
      results.push({ personId: row.personId, ok: true });
    }
    await this.#fs(async () => {
      // Idempotent per batch id: the same batch always holds the same rows, so an existing file is final.
      if (await exists(file)) return;
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(lines.length > 0 ? `${lines.join('\n')}\n` : '');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file).catch(async (err: unknown) => {
        await rm(tmp, { force: true });
        throw err;
      });
    });
    return results;
  }

  async #fs<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DestinationError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      // No permission will not fix itself; a full disk or a busy file may.
      const kind = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'invalid_auth' : 'retryable';
      throw new DestinationError(kind, `cannot write to ${this.root}: ${(err as Error).message}`, { cause: err, ...(code ? { code } : {}) });
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
