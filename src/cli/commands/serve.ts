import type { Command } from 'commander';
import { UserInputError } from '../../config/errors';
import { resolveConfigPath } from '../../config/load';
import type { GlobalOptions } from '../context';
import { untilStopped } from '../wait-for-stop';

/** `outflow serve [--port 3000] [--host 127.0.0.1] [--sandbox]` (SPEC §6, §7). */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (and the web UI) and, with orchestrator: local, run due syncs and refreshes on their schedule')
    .option('--port <n>', 'port to listen on', '3000')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--sandbox', 'start the sandbox ad platforms (Google Ads, Meta, LinkedIn, Microsoft Advertising, TikTok, Snapchat) on loopback and connect them as destinations')
    .action(async (opts: { port: string; host: string; sandbox?: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserInputError([{ path: '--port', message: `expected a port number, got "${opts.port}"` }]);
      // The server pulls in Fastify and the scheduler: loaded only by this command.
      const { startServer } = await import('../../api/serve');
      const server = await startServer({ file: resolveConfigPath(program.opts<GlobalOptions>().config), port, host: opts.host, sandbox: opts.sandbox ?? false });
      process.stderr.write(`outflow serve: web UI at ${server.url}/, API at ${server.url}/api/v1 (OpenAPI: ${server.url}/api/v1/openapi.json); Ctrl-C stops\n`);
      await untilStopped(() => server.close());
    });
}
