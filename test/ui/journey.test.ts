import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/serve';
import { runDemo, warehouseStep, workspaceStep } from '../../src/demo/run-demo';
import { accessibilityProblems, ensureUiBuilt, launchChromium, screenshot } from './browser';

/**
 * The marketer journey of SPEC §7 in Debian's chromium, on the demo warehouse served by
 * `outflow serve --sandbox`: every element is found by its role and accessible name, and every
 * page is checked with axe-core (no serious or critical violation).
 */
const BIN = path.resolve('bin/outflow.js');
const PERSONS = 2000;

describe('web UI in a browser (SPEC §7)', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let configFile: string;
  const tokens: Record<string, string> = {};
  const a11y: string[] = [];

  beforeAll(async () => {
    ensureUiBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'outflow-ui-journey-'));
    const demo = await runDemo({ dir, persons: PERSONS, steps: [warehouseStep, workspaceStep], print: () => undefined });
    configFile = demo.configFile;
    server = await startServer({ file: configFile, port: 0, host: '127.0.0.1', sandbox: true, log: () => undefined });
    for (const role of ['viewer', 'marketer', 'admin'] as const) tokens[role] = (await server.store.tokens.create({ name: `ui-${role}`, role }, { name: 'test' })).token;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Axe on the page as it is; problems are collected and asserted at the end (one report for all pages). */
  const checkA11y = async (name: string) => {
    for (const p of await accessibilityProblems(page)) a11y.push(`${name}: ${p}`);
    await screenshot(page, name);
  };
  const signIn = async (role: string) => {
    await page.goto(server.url);
    await page.getByLabel('Token').fill(tokens[role]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Segments' }).waitFor();
  };
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  };
  const textOf = async (l: Locator) => (await l.textContent())?.trim() ?? '';
  const estimate = () => page.getByRole('status', { name: 'Estimated size' });
  /** The settled estimate: waits until the pending state is gone, then reads the number. */
  const settledEstimate = async (): Promise<number> => {
    await expect.poll(async () => (await estimate().getAttribute('aria-busy')) === 'false' && /persons$/.test(await textOf(estimate())), { timeout: 20_000 }).toBe(true);
    return Number((await textOf(estimate())).replace(/[^0-9]/g, ''));
  };

  it('a marketer builds a segment, activates it, syncs it to Meta, duplicates and archives; a viewer sees no switch', async () => {
    await page.goto(server.url);
    await checkA11y('sign-in');
    await signIn('marketer');
    await page.getByRole('table', { name: 'Segments' }).waitFor();
    await checkA11y('segments');

    // Builder: an event condition, a trait and a nested group.
    await page.getByRole('button', { name: 'New segment' }).click();
    await page.getByRole('heading', { name: 'New segment' }).waitFor();
    await page.getByRole('textbox', { name: 'Name' }).fill('Journey buyers');
    // An alias with a health term is refused before saving.
    await page.getByRole('textbox', { name: 'Ad platform alias' }).fill('diabetes-buyers');
    await page.getByText('contains the health term "diabetes"').waitFor();
    await page.getByRole('textbox', { name: 'Ad platform alias' }).fill('');

    const first = page.getByRole('region', { name: 'Condition 1' });
    await first.getByRole('combobox', { name: 'Condition type' }).selectOption('event');
    await first.getByRole('combobox', { name: 'Event' }).selectOption('purchase');
    await first.getByRole('combobox', { name: 'When' }).selectOption('last');
    await first.getByRole('spinbutton', { name: 'Last' }).fill('90');
    await first.getByRole('button', { name: 'Add filter' }).click();
    await first.getByRole('combobox', { name: 'Column' }).selectOption('amount');
    await first.getByRole('combobox', { name: 'Operator' }).selectOption('>=');
    await first.getByRole('spinbutton', { name: 'Value' }).fill('10');

    await page.getByRole('button', { name: 'Add condition' }).last().click();
    const second = page.getByRole('region', { name: 'Condition 2' });
    await second.getByRole('combobox', { name: 'Condition type' }).selectOption('trait');
    await second.getByRole('combobox', { name: 'Trait' }).selectOption('country');
    await second.getByRole('combobox', { name: 'Operator' }).selectOption('in');
    await second.getByRole('textbox', { name: 'Values' }).fill('US, GB, DE');

    await page.getByRole('button', { name: 'Add group' }).last().click();
    const group = page.getByRole('region', { name: 'Group 3' });
    await group.getByRole('radio', { name: 'Match any' }).check();
    const inGroup1 = group.getByRole('region', { name: 'Condition 1' });
    await inGroup1.getByRole('combobox', { name: 'Trait' }).selectOption('plan');
    await inGroup1.getByRole('combobox', { name: 'Operator' }).selectOption('is_set');
    await group.getByRole('button', { name: 'Add condition' }).click();
    const inGroup2 = group.getByRole('region', { name: 'Condition 2' });
    await inGroup2.getByRole('combobox', { name: 'Condition type' }).selectOption('identified');

    // After an edit the estimate shows a pending state, never the previous rules' number.
    await settledEstimate();
    await first.getByRole('spinbutton', { name: 'Last' }).fill('60');
    expect(await textOf(estimate())).toBe('Estimating…');
    await first.getByRole('spinbutton', { name: 'Last' }).fill('45');

    // The live estimate, as the server counted it, equals `outflow segments size` at the same as-of (checked below).
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/estimate') && r.status() === 200 && (r.request().postData() ?? '').includes('"last":45'));
    const shown = await settledEstimate();
    const lastAnswer = (await (await answered).json()) as { count: number; asOf: string };
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBe(lastAnswer.count);
    await checkA11y('builder');

    await page.getByRole('button', { name: 'Save and activate' }).click();
    await page.getByRole('tab', { name: 'Overview' }).waitFor();
    const segmentUrl = page.url();
    const segmentId = decodeURIComponent(segmentUrl.split('/segments/')[1]!);
    expect(segmentId).toBe('journey-buyers');
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await page.getByRole('table', { name: 'Refreshes' }).waitFor();
    await checkA11y('segment-overview');

    // Switch on the Meta sandbox: the badge goes to synced, with the match rate.
    await page.getByRole('tab', { name: 'Destinations' }).click();
    const metaSwitch = page.getByRole('switch', { name: /^Sync to Meta/ });
    await metaSwitch.check();
    const badge = page.getByRole('status', { name: /^Meta.* status$/ });
    await expect.poll(() => textOf(badge), { timeout: 90_000, interval: 250 }).toBe('synced');
    await page.getByText(/^Match rate: \d+(\.\d)?% \(\d+ accepted of \d+ sent\)$/).waitFor();
    await checkA11y('segment-destinations');

    await page.getByRole('tab', { name: 'Runs' }).click();
    const runs = page.getByRole('table', { name: 'Runs' });
    await runs.getByRole('row').filter({ hasText: 'meta' }).filter({ hasText: 'synced' }).first().waitFor();
    await checkA11y('segment-runs');
    await page.getByRole('tab', { name: 'Definition' }).click();
    await page.getByText('"kind": "group"').waitFor();

    // Duplicate, then archive the copy.
    await page.getByRole('link', { name: 'Segments' }).click();
    const row = (name: string) => page.getByRole('table', { name: 'Segments' }).getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
    await row('Journey buyers').getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('menuitem', { name: 'Duplicate' }).click();
    await row('Journey buyers (copy)').waitFor();
    expect(await textOf(row('Journey buyers (copy)').getByRole('cell').nth(1))).toBe('draft');
    await row('Journey buyers (copy)').getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('menuitem', { name: 'Archive' }).click();
    await row('Journey buyers (copy)').waitFor({ state: 'detached' });
    // Pause and activate again.
    await row('Journey buyers').getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('menuitem', { name: 'Pause' }).click();
    await expect.poll(() => textOf(row('Journey buyers').getByRole('cell').nth(1))).toBe('paused');
    await row('Journey buyers').getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('menuitem', { name: 'Activate' }).click();
    await expect.poll(() => textOf(row('Journey buyers').getByRole('cell').nth(1))).toBe('active');

    // Keyboard alone: the row menu opens with Enter and closes with Escape.
    await row('Journey buyers').getByRole('button', { name: 'Actions' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menuitem', { name: 'Duplicate' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('menuitem', { name: 'Duplicate' }).waitFor({ state: 'detached' });

    // A segment managed in outflow.yaml opens read-only, with a note.
    await page.goto(`${server.url}/segments/recent-buyers/edit`);
    await page.getByText('This segment is managed in outflow.yaml').waitFor();
    expect(await page.getByRole('button', { name: 'Save draft' }).count()).toBe(0);
    expect(await page.getByRole('textbox', { name: 'Name' }).isDisabled()).toBe(true);
    await page.getByRole('link', { name: 'Segments' }).click();

    // An API error shows at its field: a segment without a name is refused by the server at `name`.
    await page.getByRole('button', { name: 'New segment' }).click();
    await page.getByRole('button', { name: 'Save draft' }).click();
    const name = page.getByRole('textbox', { name: 'Name' });
    await expect.poll(() => name.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    const described = await Promise.all(describedBy.split(/\s+/).filter(Boolean).map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(described.join(' ')).toMatch(/at least 1|too small|expected/i);
    await signOut();

    // A viewer sees no edit control and no switch.
    await signIn('viewer');
    expect(await page.getByRole('button', { name: 'New segment' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Actions' }).count()).toBe(0);
    await page.goto(segmentUrl);
    await page.getByRole('tab', { name: 'Destinations' }).click();
    await page.getByText(/^Meta.*: on$/).waitFor();
    expect(await page.getByRole('switch').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Run now' }).count()).toBe(0);
    await checkA11y('segment-destinations-viewer');
    await signOut();

    // Admin pages.
    await signIn('admin');
    await page.getByRole('link', { name: 'Destinations' }).click();
    await page.getByRole('heading', { name: 'Destinations' }).waitFor();
    await page.getByRole('table', { name: 'Destinations' }).getByRole('row').nth(1).waitFor();
    await page.getByRole('button', { name: 'Test connection meta-sandbox' }).click();
    await page.getByText(/^healthy/).waitFor();
    await checkA11y('destinations');
    await page.getByRole('button', { name: 'Connect destination' }).click();
    await page.getByRole('dialog', { name: 'Connect destination' }).waitFor();
    await page.getByRole('combobox', { name: 'Platform' }).selectOption('meta');
    expect(await page.locator('input[type="password"]').count()).toBeGreaterThan(0);
    await checkA11y('destinations-connect');
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('table', { name: 'Runs' }).waitFor();
    await checkA11y('activity');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('table', { name: 'Audit log' }).waitFor();
    await checkA11y('audit');

    // Speed: the segments page with 200 segments, interactive (every row drawn, the search answering).
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${server.url}/api/v1/segments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.marketer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `bench-${i}`, entity: 'person', name: `Bench segment ${i}`, labels: ['bench'], rules: { conditions: [{ kind: 'identified', value: i % 2 === 0 }] } }),
      });
      expect(res.status).toBe(201);
    }
    // Timed in the page (a MutationObserver notes when the last row is drawn and when the search
    // has filtered), so Playwright's own polling of a large accessibility tree is not counted.
    const figures: string[] = [];
    for (let round = 0; round < 3; round++) {
      await page.getByRole('link', { name: 'Activity' }).click();
      await page.getByRole('table', { name: 'Runs' }).waitFor();
      await page.evaluate(`(() => {
        const t = (window.__bench = { start: performance.now() });
        new MutationObserver((_m, o) => {
          const rows = document.querySelectorAll('table[aria-label="Segments"] tbody tr').length;
          if (t.drawn === undefined && rows >= 200) t.drawn = performance.now();
          if (t.searchAt !== undefined && rows === 11) { t.filtered = performance.now(); o.disconnect(); }
        }).observe(document.body, { childList: true, subtree: true });
      })()`);
      await page.getByRole('link', { name: 'Segments' }).click();
      await expect.poll(() => page.evaluate('window.__bench.drawn !== undefined'), { interval: 50 }).toBe(true);
      await page.evaluate(`window.__bench.searchAt = performance.now()`);
      await page.getByRole('textbox', { name: 'Search' }).fill('Bench segment 17');
      await expect.poll(() => page.evaluate('window.__bench.filtered !== undefined'), { interval: 50 }).toBe(true);
      const t = (await page.evaluate('window.__bench')) as { start: number; drawn: number; searchAt: number; filtered: number };
      figures.push(`${Math.round(t.drawn - t.start)} ms to every row, search answered ${Math.round(t.filtered - t.searchAt)} ms after it was typed`);
    }
    await page.getByRole('textbox', { name: 'Search' }).fill('');
    await expect.poll(() => page.getByRole('table', { name: 'Segments' }).getByRole('row').count()).toBeGreaterThan(200);
    const rows = (await page.getByRole('table', { name: 'Segments' }).getByRole('row').count()) - 1;
    console.log(`ui bench: segments page with ${rows} segments, from the click on "Segments": ${figures.join('; ')}`);
    expect(rows).toBeGreaterThanOrEqual(200);

    // The estimate equals `outflow segments size` (the CLI opens the warehouse once the server has let go of it).
    await server.close();
    const size = execFileSync(process.execPath, [BIN, 'segments', 'size', segmentId, '--as-of', lastAnswer.asOf, '--config', configFile], { encoding: 'utf8' }).trim();
    expect(Number(size)).toBe(lastAnswer.count);

    expect(a11y).toEqual([]);
  }, 300_000);
});
