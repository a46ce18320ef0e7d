import type { Command } from 'commander';
import { UserInputError } from '../../config/errors';
import { DEFAULT_DEMO_DIR, DEFAULT_DEMO_PERSONS, DEFAULT_DEMO_SEED } from '../../demo/defaults';
import { parseAsOf, showProgress } from '../context';

interface DemoFlags {
  persons: string;
  dir: string;
  seed: string;
  anchor?: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate a demo warehouse and workspace file under .outflow-demo/ and print every segment size')
    .option('--persons <n>', 'number of persons to generate', String(DEFAULT_DEMO_PERSONS))
    .option('--dir <path>', 'folder for the demo warehouse and workspace file', DEFAULT_DEMO_DIR)
    .option('--seed <n>', 'random seed; the same seed gives the same data', String(DEFAULT_DEMO_SEED))
    .option('--anchor <time>', 'latest event time, ISO-8601 (default: midnight UTC today)')
    .action(async (flags: DemoFlags) => {
      // Loaded on use: the demo pulls in DuckDB, which other commands may not need.
      const { runDemo } = await import('../../demo/run-demo');
      await runDemo({
        dir: flags.dir,
        persons: positiveInteger('--persons', flags.persons, 1_000_000_000),
        seed: positiveInteger('--seed', flags.seed, Number.MAX_SAFE_INTEGER, 0),
        anchor: flags.anchor === undefined ? undefined : parseAnchor(flags.anchor),
        progress: showProgress(),
      });
    });
}

function positiveInteger(flag: string, value: string, max: number, min = 1): number {
  const n = /^\d+$/.test(value.replaceAll('_', '')) ? Number(value.replaceAll('_', '')) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UserInputError([{ path: flag, message: `expected a whole number from ${min} to ${max}, got "${value}"` }]);
  return n;
}

function parseAnchor(value: string): Date {
  try {
    return parseAsOf(value);
  } catch (err) {
    if (!(err instanceof UserInputError)) throw err;
    throw new UserInputError(err.problems.map((p) => ({ ...p, path: '--anchor' })));
  }
}
