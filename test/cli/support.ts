import { execFile } from 'node:child_process';
import path from 'node:path';
import { vi } from 'vitest';
import { main } from '../../src/cli/main';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/outflow.js');

/** Lines of the form `    at fn (file:1:2)` are a stack trace, which users must never see. */
export const STACK_LINE = /^\s+at /m;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

type Env = Record<string, string | undefined>;

/**
 * Runs `outflow <args>` in this process through `main` (the CLI's own entry), capturing stdout,
 * stderr and the exit code. Fast enough for thousands of cases; runs must not overlap.
 */
export async function outflowInProcess(args: string[], opts: { env?: Env } = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]) => (chunk: unknown, ...rest: unknown[]) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    const done = rest.find((r) => typeof r === 'function') as ((e?: Error) => void) | undefined;
    if (done) queueMicrotask(() => done());
    return true;
  };
  const saved: Env = {};
  const env: Env = { OUTFLOW_CONFIG: undefined, OUTFLOW_DEBUG: undefined, ...opts.env };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const so = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out) as typeof process.stdout.write);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err) as typeof process.stderr.write);
  try {
    const code = await main(['node', 'outflow', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.exitCode = undefined;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Runs the real `bin/outflow.js` in a child process, as a user would. */
export function outflowChild(args: string[], opts: { cwd?: string; env?: Env; timeoutMs?: number } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  delete env.OUTFLOW_CONFIG;
  delete env.OUTFLOW_DEBUG;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The exit-2 contract: nothing on stdout, no stack, every stderr line starts with `error:`, and
 * some line names `file` (as shown, relative to the working directory) and the path `at`.
 */
export function expectInvalidInput(run: Run, file: string | undefined, at: string): string {
  if (run.code !== 2) throw new Error(`expected exit 2, got ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  if (run.stdout !== '') throw new Error(`expected nothing on stdout, got ${JSON.stringify(run.stdout)}`);
  if (STACK_LINE.test(run.stderr)) throw new Error(`a stack trace reached the user:\n${run.stderr}`);
  const lines = run.stderr.trimEnd().split('\n');
  const bad = lines.find((l) => !l.startsWith('error: '));
  if (bad !== undefined) throw new Error(`a line of stderr does not start with "error: ": ${JSON.stringify(bad)}\n${run.stderr}`);
  const prefix = file === undefined ? 'error: ' : `error: ${file}:`;
  const line = lines.find((l) => l.startsWith(prefix) && (file === undefined ? l.startsWith(`error: ${at}: `) : new RegExp(`^${escape(prefix)}(\\d+:\\d+:)? ${escape(at)}: `).test(l)));
  if (!line) throw new Error(`no error line names ${file ?? '(no file)'} and ${at}:\n${run.stderr}`);
  return line;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
