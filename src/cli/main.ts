import { Command, CommanderError } from 'commander';
import { UserInputError } from '../config/errors';
import { placeProblems, resolveConfigPath } from '../config/load';
import { commandOf, registerCommands } from './commands';
import type { GlobalOptions } from './context';
import { VERSION } from './version';
import { maskMessage } from '../privacy/mask';

/**
 * `outflow` — exit 0 on success, 2 on invalid input (file, path, problem; no stack trace),
 * 1 on any other failure (SPEC §3). Nothing but the command's answer goes to stdout; every line
 * of an error starts with `error:`.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('outflow')
    .description('Warehouse-native audiences: segments in your warehouse, mirrored to ad platforms.')
    .version(VERSION, '-V, --version', 'print the version of Outflow')
    .option('-c, --config <path>', 'workspace file (default: $OUTFLOW_CONFIG or ./outflow.yaml)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(errorLines(s.replace(/^error: /, ''))) })
    .showHelpAfterError(false);
  const command = commandOf(argv.slice(2));
  if (command === undefined && !argv.slice(2).some((a) => /^(-h|--help|-V|--version)$/.test(a)))
    return reportError(new UserInputError('no command given (outflow --help lists them)'));
  try {
    await registerCommands(program, command);
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    return reportError(err instanceof UserInputError ? inWorkspaceFile(err, program.opts<GlobalOptions>()) : err);
  }
}

/**
 * Input errors found after the workspace file was loaded (a connector's settings, the warehouse's
 * columns, a path checked when opening the warehouse) name the file, the path inside it and its
 * line and column, like errors found while loading it.
 */
function inWorkspaceFile(err: UserInputError, opts: GlobalOptions): UserInputError {
  if (opts.config?.includes('\u0000')) return err;
  return new UserInputError(placeProblems(resolveConfigPath(opts.config), err.problems));
}

/** Prints `err` on stderr (every line starting with `error:`) and returns the exit status. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version exit 0; bad flags and arguments are invalid input (commander printed them)
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UserInputError) {
    process.stderr.write(errorLines(err.message));
    return 2;
  }
  // A warehouse's message may quote the value it failed on: never print it.
  const message = maskMessage(err instanceof Error ? err.message : String(err));
  process.stderr.write(errorLines(message));
  if (process.env.OUTFLOW_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}

/** `error: ` before every line of `message`, so a script can grep for them. */
export function errorLines(message: string): string {
  const lines = message.trimEnd().split(/\r?\n/).filter((l) => l.trim() !== '');
  return `${(lines.length > 0 ? lines : ['unknown error']).map((l) => `error: ${l}`).join('\n')}\n`;
}

/**
 * Runs the CLI as the `outflow` executable: reports errors that escape a command (an unhandled
 * rejection in a library, say) in the same format rather than with Node's stack trace.
 */
export async function run(argv: string[] = process.argv): Promise<void> {
  const fatal = (err: unknown) => {
    process.exitCode = reportError(err);
    // A library's stray error after the command finished: do not wait for its sockets.
    setImmediate(() => process.exit());
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.exitCode = await main(argv);
}
