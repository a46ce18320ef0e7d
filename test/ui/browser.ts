import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Browser tests drive Debian's chromium (`.ci/run` installs it), never a downloaded browser. */
export const CHROMIUM = process.env.OUTFLOW_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Builds dist/ui when it is missing or older than a file of src/ui (the server serves that build). */
export function ensureUiBuilt(): void {
  const index = path.join(ROOT, 'dist/ui/index.html');
  const newest = (dir: string): number =>
    Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs)));
  if (existsSync(index) && statSync(index).mtimeMs >= newest(path.join(ROOT, 'src/ui'))) return;
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-ui.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

/** Serious and critical accessibility violations on the page as it is now (axe-core), as readable lines. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

/** With OUTFLOW_SCREENSHOTS=1 (npm run screenshots), saves the page to docs/ui/<name>.png for docs/ui.md. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.OUTFLOW_SCREENSHOTS) return;
  const dir = path.join(ROOT, 'docs/ui');
  mkdirSync(dir, { recursive: true });
  // From the top: the header is fixed, and a full-page capture draws it where the page is scrolled to.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}
