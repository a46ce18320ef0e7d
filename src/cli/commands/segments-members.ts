import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { UserInputError } from '../../config/errors';
import type { StaticMembers, StaticMembersChange } from '../../state/static-members';
import { parsePathFlag } from '../args';
import { type GlobalOptions, requireSegment, showProgress, withOpenWarehouse, workspaceFrom } from '../context';
import { group } from './index';

/** Longest primary key a static segment stores (as the API). */
const MAX_KEY_LENGTH = 256;

type KeysOptions = { file?: string };

/**
 * `outflow segments members-add | members-remove | members-replace | populate | subtract`: change
 * a static segment's members, which live in the warehouse's state schema (docs/segments.md).
 */
export function registerSegmentsMembers(program: Command): void {
  const segments = group(program, 'segments', 'inspect and evaluate segments');
  const globals = () => program.opts<GlobalOptions>();
  const fileOption = '--file <path>';
  const fileHelp = 'read the keys from a file, one per line (blank lines skipped)';

  const byKeys = (name: string, description: string, run: (m: StaticMembers, id: string, keys: AsyncIterable<string>, progress?: (n: number) => void) => Promise<StaticMembersChange>) =>
    segments
      .command(`${name} <id> [keys...]`)
      .description(description)
      .option(fileOption, fileHelp)
      .action(async (id: string, keys: string[], opts: KeysOptions) => {
        const command = `segments ${name}`;
        if (keys.length > 0 && opts.file !== undefined) throw new UserInputError([{ path: command, message: 'give keys as arguments or --file, not both' }]);
        if (keys.length === 0 && opts.file === undefined && name !== 'members-replace')
          throw new UserInputError([{ path: command, message: 'give one or more keys, or --file with one key per line' }]);
        const source = opts.file !== undefined ? fileKeys(parsePathFlag('--file', opts.file)) : argumentKeys(keys);
        await change(globals(), id, (m) => run(m, id, source, progressLine('keys')));
      });

  byKeys('members-add', "add keys (primary keys) to a static segment's members", (m, id, keys, p) => m.add(id, keys, p));
  byKeys('members-remove', "remove keys from a static segment's members", (m, id, keys, p) => m.remove(id, keys, p));
  byKeys('members-replace', "make these keys a static segment's members (no keys: none)", (m, id, keys, p) => m.replace(id, keys, p));

  segments
    .command('populate <id>')
    .description("add the keys a read-only SELECT returns to a static segment's members, in the warehouse")
    .requiredOption('--sql <query>', 'one SELECT of one column, the primary keys (WITH ... SELECT allowed)')
    .option('--remove', 'remove the keys the query returns instead of adding them')
    .action(async (id: string, opts: { sql: string; remove?: boolean }) => {
      await change(globals(), id, (m) => (opts.remove ? m.removeByQuery(id, opts.sql, '--sql') : m.populate(id, opts.sql, '--sql')));
    });

  segments
    .command('subtract <id> <otherId>')
    .description("remove the current members of another segment from a static segment's members, in the warehouse")
    .action(async (id: string, otherId: string) => {
      await change(globals(), id, (m, loaded) => {
        requireSegment(loaded, otherId);
        const [self, other] = [id, otherId].map((s) => loaded.workspace.segments.find((x) => x.id === s)!);
        if (self!.entity !== other!.entity)
          throw new UserInputError([{ file: loaded.file, path: 'segments', message: `segment "${otherId}" is of entity "${other!.entity}", not "${self!.entity}"` }]);
        return m.subtract(id, otherId);
      });
    });
}

type Loaded = Awaited<ReturnType<typeof workspaceFrom>>;

/** Opens the static segment `id`'s members, runs `fn` and prints the counts before and after. */
async function change(globals: GlobalOptions, id: string, fn: (m: StaticMembers, loaded: Loaded) => Promise<StaticMembersChange>): Promise<void> {
  const loaded = await workspaceFrom(globals);
  requireSegment(loaded, id);
  const index = loaded.workspace.segments.findIndex((s) => s.id === id);
  const segment = loaded.workspace.segments[index]!;
  if (segment.type !== 'static')
    throw new UserInputError([{ file: loaded.file, path: `segments[${index}].type`, message: `segment "${id}" is ${segment.type}; only a static segment has members to change` }]);
  const { StaticMembers } = await import('../../state/static-members');
  await withOpenWarehouse(loaded, async ({ warehouse, workspace }) => {
    // A query or a subtraction is one statement: say it is running; key lists count their chunks.
    if (showProgress()) process.stderr.write(`${id}: changing the members in the warehouse ...`);
    const c = await fn(await StaticMembers.open(warehouse, workspace), loaded);
    if (showProgress()) process.stderr.write('\n');
    const listed = segment.members?.length ?? 0;
    const note = listed > 0 ? ` (and ${listed} keys its definition lists)` : '';
    process.stdout.write(`${id}: ${c.before} -> ${c.after} stored members${note}\n`);
  });
}

/** On a terminal, a line that counts the keys handled so far. */
function progressLine(what: string): ((n: number) => void) | undefined {
  if (!showProgress()) return undefined;
  return (n) => process.stderr.write(`\r\x1b[K${n} ${what} sent`);
}

async function* argumentKeys(keys: readonly string[]): AsyncIterable<string> {
  for (const [i, key] of keys.entries()) yield checkKey(key, `keys[${i}]`);
}

/** The keys of a file, one a line, read as they are used: a file of millions is never held whole. */
async function* fileKeys(file: string): AsyncIterable<string> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) => reject(new UserInputError([{ path: '--file', message: `cannot read ${file}: ${err.code ?? err.message}` }])));
  });
  await opened;
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    const key = text.trim();
    if (key !== '') yield checkKey(key, `--file line ${line}`);
  }
}

function checkKey(key: string, path: string): string {
  if (key === '' || key.length > MAX_KEY_LENGTH) throw new UserInputError([{ path, message: `a key is 1 to ${MAX_KEY_LENGTH} characters long (got ${key.length})` }]);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(key)) throw new UserInputError([{ path, message: 'a key cannot contain control characters' }]);
  return key;
}
