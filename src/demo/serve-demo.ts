import { startServer } from '../api/serve';
import { commandActor } from '../store';
import type { DemoContext } from './run-demo';

/** The marketer token `outflow demo --serve` creates (again at every start: the store keeps only its hash). */
export const DEMO_MARKETER_TOKEN_NAME = 'demo-marketer';

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `outflow demo --serve`: serves the web UI and the API on the demo workspace, with the sandbox
 * ad platforms connected, and prints the URL and a marketer token to sign in with. The server's
 * own log lines go to standard error, so standard output stays the demo's report.
 */
export async function serveDemo(ctx: DemoContext, options: { port: number; host: string }): Promise<DemoServer> {
  const server = await startServer({
    file: ctx.configFile,
    port: options.port,
    host: options.host,
    sandbox: true,
    log: (event, fields = {}) => process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), event, ...fields })}\n`),
  });
  try {
    const actor = commandActor('cli', 'outflow demo --serve');
    if ((await server.store.tokens.list()).some((t) => t.name === DEMO_MARKETER_TOKEN_NAME)) await server.store.tokens.revoke(DEMO_MARKETER_TOKEN_NAME, actor);
    const { token } = await server.store.tokens.create({ name: DEMO_MARKETER_TOKEN_NAME, role: 'marketer' }, actor);
    ctx.print('');
    ctx.print(`Web UI: ${server.url}/`);
    ctx.print(`  sign in with the marketer token "${DEMO_MARKETER_TOKEN_NAME}" (shown once): ${token}`);
    ctx.print('  the sandbox Google Ads and Meta platforms are connected: switch them on in a segment’s Destinations tab');
    ctx.print('  Ctrl-C stops the server');
  } catch (err) {
    await server.close();
    throw err;
  }
  return { url: server.url, close: () => server.close() };
}
