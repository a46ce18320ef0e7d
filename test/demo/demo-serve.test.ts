import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** `outflow demo --serve`: builds the demo, serves the UI and API with the sandboxes, prints URL and token, stops on Ctrl-C. */
describe('outflow demo --serve', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'outflow-demo-serve-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the web UI URL and a marketer token that works, and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [path.resolve('bin/outflow.js'), 'demo', '--serve', '--persons', '500', '--dir', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 150_000;
      while (!/Ctrl-C stops the server/.test(stdout)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no URL printed:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const url = /Web UI: (http:\/\/\S+)\//.exec(stdout)![1]!;
      const token = /\(shown once\): (oft_\S+)/.exec(stdout)![1]!;
      expect(stdout).not.toMatch(/npx outflow serve/);
      const page = await fetch(`${url}/segments`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const me = (await (await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as { role: string };
      expect(me.role).toBe('marketer');
      const destinations = (await (await fetch(`${url}/api/v1/destinations`, { headers: { authorization: `Bearer ${token}` } })).json()) as { type: string }[];
      expect(destinations.map((d) => d.type).sort()).toEqual(expect.arrayContaining(['google_ads', 'meta']));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 200_000);
});
