import type { Command } from 'commander';
import { DEFAULT_DEMO_DIR, DEFAULT_DEMO_PERSONS, DEFAULT_DEMO_SEED } from '../../demo/defaults';
import { parsePathFlag, parseTime, parseWholeNumber } from '../args';
import { showProgress } from '../context';

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
        dir: parsePathFlag('--dir', flags.dir),
        persons: parseWholeNumber('--persons', flags.persons, { max: 1_000_000_000 }),
        seed: parseWholeNumber('--seed', flags.seed, { min: 0, max: Number.MAX_SAFE_INTEGER }),
        anchor: flags.anchor === undefined ? undefined : parseTime('--anchor', flags.anchor),
        progress: showProgress(),
      });
    });
}
