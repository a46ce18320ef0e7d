import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { HISTORIES } from './histories';

const HISTORY_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const WORKFLOWS = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
const CHANGED = fileURLToPath(new URL('./changed-workflow/index.ts', import.meta.url));

const quiet = { logger: { log: () => undefined, error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined } };

function loadHistories(names?: string[]) {
  const files = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json') && (!names || names.includes(f.replace(/\.json$/, ''))));
  return files.map((f) => {
    const json: unknown = JSON.parse(readFileSync(`${HISTORY_DIR}${f}`, 'utf8'));
    return { workflowId: f, history: historyFromJSON(json) };
  });
}

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  // Replays that are meant to fail log their nondeterminism at WARN; keep the output readable.
  // (A runtime installed earlier in this process keeps its logger; only the noise differs.)
  if (Runtime._instance === undefined) Runtime.install({ logger: new DefaultLogger('ERROR') });
  // Bundling is what the worker does at start-up: it fails on Node built-ins and other
  // imports the deterministic sandbox cannot load.
  bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, ...quiet });
});

describe('workflow bundle', () => {
  it('bundles workflows/index.ts for the sandbox', () => {
    expect(bundle.code).toContain('syncRunWorkflow');
    expect(bundle.code).toContain('orchestrateSyncRun');
  });

  it('refuses a workflow that imports a Node built-in', async () => {
    const bad = fileURLToPath(new URL('./changed-workflow/uses-fs.ts', import.meta.url));
    const errors: string[] = [];
    const logger = { ...quiet.logger, error: (message: string, meta?: Record<string, unknown>) => void errors.push(message, JSON.stringify(meta ?? {})) };
    await expect(bundleWorkflowCode({ workflowsPath: bad, logger })).rejects.toThrow(/Webpack finished with errors/);
    expect(errors.join('\n')).toMatch(/node:fs/);
  });
});

describe('history replay', () => {
  it('the committed histories are exactly what histories.ts builds', () => {
    for (const [name, build] of Object.entries(HISTORIES)) {
      expect(readFileSync(`${HISTORY_DIR}${name}.json`, 'utf8'), name).toBe(build().toJSON());
    }
  });

  it('replays every history in test/fixtures/histories without nondeterminism', async () => {
    const histories = loadHistories();
    expect(histories.length).toBeGreaterThanOrEqual(Object.keys(HISTORIES).length);
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) results.push(r);
    expect(results.map((r) => [r.workflowId, r.error?.message])).toEqual(histories.map((h) => [h.workflowId, undefined]));
  });

  it('fails replay with a nondeterminism error when the activity order changes', async () => {
    const changed = await bundleWorkflowCode({ workflowsPath: CHANGED, ...quiet });
    const histories = loadHistories(['sync-run-happy-path']);
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: changed }, histories)) results.push(r);
    expect(results).toHaveLength(1);
    expect(results[0]!.error).toBeInstanceOf(DeterminismViolationError);
    expect(results[0]!.error?.message).toMatch(/Activity type of scheduled event 'evaluateAndDiff' does not match activity type of activity command 'ensureAudience'/);
  });
});
