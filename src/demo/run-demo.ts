import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserInputError } from '../config/errors';
import type { LoadedWorkspace } from '../config/load';
import { loadWorkspaceThroughStore } from '../store/load';
import { compileCount, dialectFor } from '../segments';
import { buildCatalog, warehouseProblems } from '../segments/check-warehouse';
import { ensureSegmentState } from '../state/state-sql';
import { StaticMembers } from '../state/static-members';
import { openWarehouse } from '../warehouse';
import { DuckDbDriver } from '../warehouse/duckdb/driver';
import { GENERATOR_VERSION, generateDemoData, readDemoInfo, type DemoInfo } from './generate';
import { stepProgress } from './progress';
import { BIG_TICKET_SQL, demoWorkspaceYaml } from './workspace';

import {
  DEFAULT_DEMO_DIR,
  DEFAULT_DEMO_PERSONS,
  DEFAULT_DEMO_SEED,
  DEMO_CONFIG_FILE,
  DEMO_WAREHOUSE_FILE,
} from './defaults';

const GENERATION_MEMORY = '4GB';

/** What every demo step reads, and what earlier steps leave for later ones. */
export interface DemoContext {
  /** Absolute path of the demo folder. */
  dir: string;
  persons: number;
  seed: number;
  /** Data are generated up to this instant; segment sizes are reported as of it. */
  anchor: Date;
  /** Draw progress bars (interactive terminal, not CI). */
  progress: boolean;
  /** Writes one line of the demo's report (stdout). */
  print: (line: string) => void;
  /** Absolute path of the demo's DuckDB file. */
  warehouseFile: string;
  /** Absolute path of the demo's workspace file. */
  configFile: string;
  /** Set by the `workspace` step. */
  workspace?: LoadedWorkspace;
}

/**
 * One stage of `outflow demo`. Steps run in order; later features append theirs to
 * `DEMO_STEPS` (e.g. syncing the demo segments to sandbox ad platforms).
 */
export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<void>;
}

/** Builds the demo warehouse, or keeps the one already there when it was built from the same inputs. */
export const warehouseStep: DemoStep = {
  name: 'warehouse',
  async run(ctx) {
    const wanted: DemoInfo = { generatorVersion: GENERATOR_VERSION, seed: ctx.seed, persons: ctx.persons, anchor: ctx.anchor };
    const shown = shownPath(ctx.warehouseFile);
    const existing = await existingDemo(ctx.warehouseFile);
    if (existing && sameDemo(existing, wanted)) {
      ctx.print(`Reusing ${shown} (${fmt(ctx.persons)} persons, seed ${ctx.seed}, data up to ${iso(ctx.anchor)}).`);
      return;
    }
    // Build next to the target and rename it into place, so an interrupted run never leaves
    // a half-written warehouse behind and a finished one replaces the old file in one step.
    // (Not "<file>.tmp": DuckDB spills to a folder of that name next to an open database.)
    const tmp = `${ctx.warehouseFile}.building`;
    removeDuckDbFile(tmp);
    const started = Date.now();
    const bar = stepProgress(ctx.progress, 'Generating demo data');
    // A bounded memory budget: DuckDB spills to disk beyond it, so ten million persons fit on a
    // laptop next to everything else it runs.
    const wh = await DuckDbDriver.open({ path: tmp, settings: { memory_limit: GENERATION_MEMORY } });
    try {
      const summary = await generateDemoData(wh, {
        persons: ctx.persons,
        seed: ctx.seed,
        anchor: ctx.anchor,
        onStep: (s) => bar.update(s.index, s.total, s.name),
      });
      await wh.execute('checkpoint');
      bar.stop();
      ctx.print(
        `Generated ${shown}: ${fmt(summary.persons)} persons, ${fmt(summary.companies)} companies, ` +
          `${fmt(summary.events)} events up to ${iso(ctx.anchor)} (seed ${ctx.seed}) in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
      );
    } finally {
      bar.stop();
      await wh.close();
    }
    removeDuckDbFile(ctx.warehouseFile);
    renameSync(tmp, ctx.warehouseFile);
  },
};

/** Writes the demo workspace file and checks it the way `outflow validate` does. */
export const workspaceStep: DemoStep = {
  name: 'workspace',
  async run(ctx) {
    const tmp = `${ctx.configFile}.tmp`;
    writeFileSync(tmp, demoWorkspaceYaml(`./${path.relative(ctx.dir, ctx.warehouseFile)}`));
    renameSync(tmp, ctx.configFile);
    ctx.workspace = await loadWorkspaceThroughStore(ctx.configFile);
    ctx.print(`Wrote ${shownPath(ctx.configFile)}: ${ctx.workspace.workspace.segments.length} segments, valid.`);
  },
};

/**
 * Checks the demo workspace against the warehouse (as `validate --check-warehouse` does) and
 * prints each segment's size, counted in the warehouse, as of the data's anchor.
 */
export const segmentSizesStep: DemoStep = {
  name: 'segment sizes',
  async run(ctx) {
    const loaded = ctx.workspace ?? (await loadWorkspaceThroughStore(ctx.configFile));
    const { workspace } = loaded;
    const wh = await openWarehouse(workspace.warehouse, loaded.dir);
    try {
      const problems = await warehouseProblems(workspace, wh);
      if (problems.length > 0) throw new UserInputError(problems.map((p) => ({ file: shownPath(loaded.file), ...p })));
      // Static members and retention's last matches live in the state schema.
      await ensureSegmentState(wh, workspace);
      const { catalog } = await buildCatalog(workspace, wh);
      // A static segment's members live in the warehouse: fill the demo's from a query.
      const members = await StaticMembers.open(wh, workspace);
      const filled = await members.replace('big-ticket', []).then(() => members.populate('big-ticket', BIG_TICKET_SQL, 'big-ticket'));
      ctx.print(`Populated the static segment big-ticket from a query: ${fmt(filled.after)} members.`);
      const dialect = dialectFor('duckdb');
      ctx.print(`Segment sizes as of ${iso(ctx.anchor)}:`);
      const width = Math.max(...workspace.segments.map((s) => s.id.length));
      const digits = fmt(ctx.persons).length;
      for (const segment of workspace.segments) {
        const q = compileCount(workspace, segment.id, { dialect, asOf: ctx.anchor, catalog });
        const [row] = await wh.query<{ n: number }>(q.sql, q.params);
        ctx.print(`  ${segment.id.padEnd(width)}  ${fmt(Number(row?.n ?? 0)).padStart(digits)}  ${segment.name}`);
      }
      const config = shownPath(ctx.configFile);
      ctx.print('Explore:');
      ctx.print(`  npx outflow segments members recent-buyers --config ${config} --as-of ${iso(ctx.anchor)}`);
      ctx.print(`  npx outflow segments sql win-back --config ${config}`);
    } finally {
      await wh.close();
    }
  },
};

/** Segments the demo syncs to the sandbox ad platforms: one dynamic by purchases, one by a negation. */
export const SANDBOX_SEGMENTS = ['recent-buyers', 'cart-abandoners'] as const;

/**
 * Starts the six sandbox ad platforms on loopback and mirrors two segments to each with
 * one-click defaults, printing adds, removes and match rates. A second round shows that an
 * unchanged segment sends nothing.
 */
export const sandboxSyncStep: DemoStep = {
  name: 'sandbox sync',
  async run(ctx) {
    const loaded = ctx.workspace ?? (await loadWorkspaceThroughStore(ctx.configFile));
    const { syncSegmentsToSandbox } = await import('./sandbox');
    ctx.print('Mirroring segments to sandbox ad platforms (run 1, then run 2 with nothing changed):');
    await syncSegmentsToSandbox({ loaded, segmentIds: SANDBOX_SEGMENTS, print: ctx.print, asOf: ctx.anchor.toISOString(), rounds: 2 });
  },
};

/** Creates a token and prints how to serve the API on the demo workspace (loaded on use: the store's write side). */
export const serveHintStep: DemoStep = {
  name: 'server',
  async run(ctx) {
    const { serverStep } = await import('./server-step');
    await serverStep.run(ctx);
  },
};

/** The demo, in order. Append a step to extend it. */
export const DEMO_STEPS: DemoStep[] = [warehouseStep, workspaceStep, segmentSizesStep, sandboxSyncStep, serveHintStep];

export interface DemoOptions {
  dir?: string;
  persons?: number;
  seed?: number;
  anchor?: Date;
  progress?: boolean;
  print?: (line: string) => void;
  steps?: readonly DemoStep[];
}

/** Runs the demo steps in `dir` (default `.outflow-demo` in the working directory). */
export async function runDemo(options: DemoOptions = {}): Promise<DemoContext> {
  const dir = path.resolve(options.dir ?? DEFAULT_DEMO_DIR);
  mkdirSync(dir, { recursive: true });
  const ctx: DemoContext = {
    dir,
    persons: options.persons ?? DEFAULT_DEMO_PERSONS,
    seed: options.seed ?? DEFAULT_DEMO_SEED,
    anchor: options.anchor ?? startOfUtcDay(new Date()),
    progress: options.progress ?? false,
    print: options.print ?? ((line) => process.stdout.write(`${line}\n`)),
    warehouseFile: path.join(dir, DEMO_WAREHOUSE_FILE),
    configFile: path.join(dir, DEMO_CONFIG_FILE),
  };
  for (const step of options.steps ?? DEMO_STEPS) await step.run(ctx);
  return ctx;
}

/**
 * The default anchor: midnight UTC today. Re-runs on the same day reuse the warehouse; the next
 * day's run regenerates it, so "last 7 days" segments stay populated as the calendar moves.
 */
export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

async function existingDemo(file: string): Promise<DemoInfo | undefined> {
  if (!existsSync(file)) return undefined;
  const wh = await DuckDbDriver.open({ path: file });
  try {
    return await readDemoInfo(wh);
  } finally {
    await wh.close();
  }
}

function sameDemo(a: DemoInfo, b: DemoInfo): boolean {
  return (
    a.generatorVersion === b.generatorVersion &&
    a.seed === b.seed &&
    a.persons === b.persons &&
    a.anchor.getTime() === b.anchor.getTime()
  );
}

function removeDuckDbFile(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.wal`, { force: true });
}

function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
