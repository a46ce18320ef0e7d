import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { applyActor, applyIfChanged, exportWorkspace, openStoreFor } from '../../store';
import { type GlobalOptions, workspaceFrom } from '../context';

/** `outflow export [--out FILE]` (SPEC §6). */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the objects made in the UI into a copy of the workspace file (secrets as ${env:NAME} references), to move them into git')
    .option('--out <file>', 'write here instead of to standard output')
    .action(async (opts: { out?: string }) => {
      const loaded = await workspaceFrom({ ...program.opts<GlobalOptions>(), fileOnly: true });
      const store = await openStoreFor(loaded);
      let result;
      try {
        await applyIfChanged(store, loaded, { actor: applyActor('outflow export') });
        result = await exportWorkspace(await store.definitions(), readFileSync(loaded.file, 'utf8'));
      } finally {
        await store.close();
      }
      if (opts.out === undefined) process.stdout.write(result.yaml);
      else {
        // Written beside and renamed into place: an interrupted export never leaves half a file.
        const out = path.resolve(opts.out);
        writeFileSync(`${out}.tmp`, result.yaml);
        renameSync(`${out}.tmp`, out);
      }
      const where = opts.out ?? 'standard output';
      process.stderr.write(`exported ${result.exported} object${result.exported === 1 ? '' : 's'} managed in the UI to ${where}\n`);
      if (result.secretVariables.length > 0)
        process.stderr.write(`secrets are not exported; set ${result.secretVariables.join(', ')} before validating or applying it\n`);
    });
}
