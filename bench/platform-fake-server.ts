/**
 * One sandbox platform's contract fake in its own process for bench/upload-platforms.ts, so the
 * platform side does not share the uploader's core. Prints `{"url", "settings"}` on stdout once
 * listening; stops on SIGTERM.
 *   tsx bench/platform-fake-server.ts <type> <latencyMs>
 */
import { SANDBOX_PLATFORMS, type SandboxDestinationType } from '../src/sandbox';

const fake = SANDBOX_PLATFORMS[process.argv[2] as SandboxDestinationType]();
fake.latencyMs = Number(process.argv[3] ?? 50);
fake.logRequests = false;
await fake.start();
process.stdout.write(`${JSON.stringify({ url: fake.url, settings: fake.settings() })}\n`);
process.on('SIGTERM', () => {
  void fake.stop().then(() => process.exit(0));
});
