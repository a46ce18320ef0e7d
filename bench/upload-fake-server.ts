/**
 * The Meta contract fake in its own process for bench/upload.ts, so the platform side does not
 * share the uploader's core. Prints `{"url": ...}` on stdout once listening; stops on SIGTERM.
 *   tsx bench/upload-fake-server.ts <latencyMs> <accessToken>
 */
import { MetaFake } from '../src/sandbox/meta';

const fake = new MetaFake({ accessToken: process.argv[3] ?? 'bench-token' });
fake.latencyMs = Number(process.argv[2] ?? 50);
fake.logRequests = false;
await fake.start();
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
process.on('message', (m) => {
  if (m === 'count') {
    // CPU first: counting folds the audiences' change logs, which is not upload work.
    const cpu = process.cpuUsage();
    let members = 0;
    for (const a of fake.audiences.values()) members += a.members.size;
    process.send?.({ members, uploads: fake.uploads.length, cpuMicros: cpu.user + cpu.system });
  }
});
process.on('SIGTERM', () => {
  void fake.stop().then(() => process.exit(0));
});
