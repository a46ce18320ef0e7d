import { type Command, Option } from 'commander';
import { loadWorkspace, resolveConfigPath } from '../../config/load';
import { commandActor, openStoreFor, ROLES, type Store } from '../../store';
import type { GlobalOptions } from '../context';
import { group } from './index';

/** `outflow tokens create|list|revoke` (SPEC §6): API tokens, kept in the store as hashes. */
export function registerTokens(program: Command): void {
  const tokens = group(program, 'tokens', 'API tokens and their roles');
  const withStore = async <T>(fn: (store: Store) => Promise<T>): Promise<T> => {
    // Tokens live in the store the workspace file names; the file's definitions are not applied.
    const loaded = loadWorkspace(resolveConfigPath(program.opts<GlobalOptions>().config));
    const store = await openStoreFor(loaded);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };

  tokens
    .command('create')
    .description('create a token and print it once (the store keeps only its hash)')
    .requiredOption('--name <name>', 'a name for the token, shown in the audit log')
    .addOption(new Option('--role <role>', 'what it may do (each role includes the ones before it)').choices(ROLES).makeOptionMandatory())
    .action(async (opts: { name: string; role: string }) => {
      const created = await withStore((store) => store.tokens.create(opts, commandActor('cli', 'outflow tokens create')));
      process.stdout.write(`${created.token}\n`);
      process.stderr.write(`token "${created.name}" (${created.role}) created; it is shown only this once\n`);
    });

  tokens
    .command('list')
    .description('list tokens: name, role, created (never the tokens themselves)')
    .action(async () => {
      const list = await withStore((store) => store.tokens.list());
      if (list.length === 0) {
        process.stdout.write('no tokens\n');
        return;
      }
      const rows = [['name', 'role', 'created', 'created by'], ...list.map((t) => [t.name, t.role, t.createdAt, t.createdBy ?? '-'])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n');
    });

  tokens
    .command('revoke <name>')
    .description('revoke a token: requests carrying it get 401 from then on')
    .action(async (name: string) => {
      await withStore((store) => store.tokens.revoke(name, commandActor('cli', 'outflow tokens revoke')));
      process.stdout.write(`token "${name}" revoked\n`);
    });
}
