import type { Command } from 'commander';
import { DEFAULT_DEMO_DIR, DEFAULT_DEMO_PERSONS, DEFAULT_DEMO_SEED } from '../../demo/defaults';
import { parsePathFlag, parseTime, parseWholeNumber } from '../args';
import { showProgress } from '../context';
import { untilStopped } from '../wait-for-stop';

interface DemoFlags {
  persons: string;
  dir: string;
  seed: string;
  anchor?: string;
  serve?: boolean;
  port: string;
  host: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate a demo warehouse and workspace file under .outflow-demo/ and print every segment size')
    .option('--persons <n>', 'number of persons to generate', String(DEFAULT_DEMO_PERSONS))
    .option('--dir <path>', 'folder for the demo warehouse and workspace file', DEFAULT_DEMO_DIR)
    .option('--seed <n>', 'random seed; the same seed gives the same data', String(DEFAULT_DEMO_SEED))
    .option('--anchor <time>', 'latest event time, ISO-8601 (default: midnight UTC today)')
    .option('--serve', 'then serve the web UI and API on the demo, with the sandbox ad platforms connected, until Ctrl-C')
    .option('--port <n>', 'with --serve: port to listen on', '3000')
    .option('--host <address>', 'with --serve: address to listen on', '127.0.0.1')
    .action(async (flags: DemoFlags) => {
      const port = parseWholeNumber('--port', flags.port, { min: 0, max: 65535 });
      // Loaded on use: the demo pulls in DuckDB, which other commands may not need.
      const { DEMO_STEPS, runDemo, serveHintStep } = await import('../../demo/run-demo');
      const ctx = await runDemo({
        // With --serve, the server replaces the hint on how to start one.
        steps: flags.serve ? DEMO_STEPS.filter((s) => s !== serveHintStep) : DEMO_STEPS,
        dir: parsePathFlag('--dir', flags.dir),
        persons: parseWholeNumber('--persons', flags.persons, { max: 1_000_000_000 }),
        seed: parseWholeNumber('--seed', flags.seed, { min: 0, max: Number.MAX_SAFE_INTEGER }),
        anchor: flags.anchor === undefined ? undefined : parseTime('--anchor', flags.anchor),
        progress: showProgress(),
      });
      if (!flags.serve) return;
      const { serveDemo } = await import('../../demo/serve-demo');
      const server = await serveDemo(ctx, { port, host: flags.host });
      await untilStopped(() => server.close());
    });
}
