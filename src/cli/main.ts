import { Command, CommanderError } from 'commander';
import { UserInputError } from '../config/errors';
import { registerCommands } from './commands';

/**
 * `outflow` — exit 0 on success, 2 on invalid input (file, path, problem; no stack trace),
 * 1 on any other failure (SPEC §3).
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('outflow')
    .description('Warehouse-native audiences: segments in your warehouse, mirrored to ad platforms.')
    .option('-c, --config <path>', 'workspace file (default: $OUTFLOW_CONFIG or ./outflow.yaml)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError(false);
  registerCommands(program);
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version exit 0; bad flags and arguments are invalid input
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UserInputError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.OUTFLOW_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}

const code = await main(process.argv);
process.exitCode = code;
