import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerCommands } from '../../src/cli/commands';
import { UserInputError } from '../../src/config/errors';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/outflow.js');
let dir: string;

/** Runs the CLI's commands in this process (as src/cli/main.ts wires them) and captures output and exit code. */
async function outflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  process.exitCode = undefined;
  let code: number;
  try {
    const program = new Command('outflow').option('-c, --config <path>').exitOverride();
    await registerCommands(program);
    await program.parseAsync(['node', 'outflow', '--config', path.join(dir, 'outflow.yaml'), ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    err.push((e as Error).message);
    code = e instanceof UserInputError || e instanceof CommanderError ? 2 : 1;
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.exitCode = undefined;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('outflow sync / segments refresh (CLI)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'outflow-cli-'));
    const w = await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') });
    await w.execute(`create table persons as select 'p' || i as person_id, 'u' || i || '@example.com' as email, i < 8 as vip from range(10) t(i)`);
    await w.close();
    writeFileSync(
      path.join(dir, 'outflow.yaml'),
      `version: 1
warehouse: {type: duckdb, path: ./wh.duckdb}
entities: [{id: person, table: main.persons, primaryKey: person_id, identifiers: {email: email}}]
segments:
  - {id: vips, entity: person, name: VIPs, alias: vip-people, rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: old, entity: person, name: Old, type: everyone, status: archived}
  - {id: resting, entity: person, name: Resting, type: everyone, status: paused, alias: resting-people}
destinations: [{id: out, type: file, settings: {path: ./exports, batchLimit: 3}}]
syncs:
  - {id: vip-file, segment: vips, destination: out}
  - {id: old-file, segment: old, destination: out}
  - {id: resting-file, segment: resting, destination: out}
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a sync and prints a summary; dry runs send nothing; too many removals stop with exit 3', async () => {
    const dry = await outflow('sync', 'run', 'vip-file', '--dry-run');
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toMatch(/dry run .*\n {2}would add 8, would remove 0 \(segment has 8 members\); nothing was sent\n {2}adds, first 8: p0, p1,/);
    const first = await outflow('sync', 'run', 'vip-file');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(
      /sync vip-file: synced .*\n {2}planned 8 \(add 8, remove 0\), sent 8 \(added 8, removed 0\), accepted 8, rejected 0, deferred 0, batches 3, members 8, \d/,
    );
    expect(readdirSync(path.join(dir, 'exports', 'vip-people'))).toHaveLength(1);

    const w = await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') });
    await w.execute(`update persons set vip = false where person_id in ('p0', 'p1', 'p2', 'p3', 'p4')`);
    await w.close();
    const stopped = await outflow('sync', 'run', 'vip-file');
    expect(stopped.code).toBe(3);
    expect(stopped.stdout).toMatch(/needs confirmation[\s\S]*stopped: this run would remove 5 of 8 members/);
    // A run that stopped says what it planned and that it sent nothing, never "removed 5".
    expect(stopped.stdout).toMatch(/\n {2}planned 5 \(add 0, remove 5\), sent 0 \(added 0, removed 0\), accepted 0, rejected 0, deferred 5,/);
    const confirmed = await outflow('sync', 'run', 'vip-file', '--confirm-removals');
    expect(confirmed).toMatchObject({ code: 0 });
    expect(confirmed.stdout).toMatch(/sent 5 \(added 0, removed 5\), accepted 5/);

    const status = await outflow('sync', 'status', 'vip-file');
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n').filter((l) => /^\d{8}T/.test(l)).map((l) => l.split(/\s+/)[1])).toEqual([
      'synced',
      'needs_confirmation',
      'synced',
      'dry_run',
    ]);
    // sync status: planned, sent, accepted, rejected, deferred per run.
    expect(status.stdout.split('\n')[1]!.split(/\s+/).slice(4, 9)).toEqual(['planned', 'sent', 'accepted', 'rejected', 'deferred']);
    const rowOf = (s: string) => status.stdout.split('\n').find((l) => l.split(/\s+/)[1] === s)!.split(/\s+/).slice(4, 9);
    expect(rowOf('needs_confirmation')).toEqual(['5', '0', '0', '0', '5']);
    expect(rowOf('dry_run')).toEqual(['8', '0', '0', '0', '8']);
    expect(await outflow('sync', 'run', 'nope')).toMatchObject({ code: 2, stderr: expect.stringMatching(/syncs: no sync "nope" \(known: vip-file, old-file, resting-file\)/) });
  });

  it('sync reset forgets the snapshot of the current audience; --full re-sends every member; an unknown sync is exit 2', async () => {
    const reset = await outflow('sync', 'reset', 'vip-file');
    expect(reset).toMatchObject({ code: 0, stdout: 'sync vip-file: forgot the snapshot of audience "vip-people" on out (3 members); the next run sends every member\n' });
    const after = await outflow('sync', 'run', 'vip-file');
    expect(after).toMatchObject({ code: 0, stdout: expect.stringMatching(/sent 3 \(added 3, removed 0\), accepted 3, rejected 0/) });
    const full = await outflow('sync', 'run', 'vip-file', '--full');
    expect(full).toMatchObject({ code: 0, stdout: expect.stringMatching(/sent 3 \(added 3, removed 0\), accepted 3, rejected 0/), stderr: "note: full: every member's keys are sent again\n" });
    expect(await outflow('sync', 'run', 'vip-file')).toMatchObject({ code: 0, stdout: expect.stringMatching(/sent 0 \(added 0, removed 0\), accepted 0, rejected 0, deferred 0, batches 0/) });
    expect(await outflow('sync', 'reset', 'nope')).toMatchObject({ code: 2, stderr: expect.stringMatching(/syncs: no sync "nope"/) });
  });

  it('refreshes a segment into the membership tables', async () => {
    const refreshed = await outflow('segments', 'refresh', 'vips', '--as-of', '2026-01-01');
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toBe('vips: 3 members (+3 -0) as of 2026-01-01T00:00:00.000Z\n');
    expect(await outflow('segments', 'refresh', 'nope')).toMatchObject({ code: 2 });
  });

  it('--all: every due sync and every active segment; with an id it is a usage error', async () => {
    expect(await outflow('sync', 'run', 'vip-file', '--all')).toMatchObject({ code: 2, stderr: expect.stringMatching(/give a sync id or --all, not both/) });
    expect(await outflow('sync', 'run')).toMatchObject({ code: 2, stderr: expect.stringMatching(/give a sync id, or --all/) });
    expect(await outflow('sync', 'run', '--all', '--dry-run')).toMatchObject({ code: 2 });
    expect(await outflow('segments', 'refresh', 'vips', '--all')).toMatchObject({ code: 2, stderr: expect.stringMatching(/give a segment id or --all, not both/) });
    const all = await outflow('sync', 'run', '--all');
    // The paused and archived segments' syncs are not due: only vip-file runs.
    expect(all).toMatchObject({ code: 0, stderr: '' });
    expect(all.stdout).toMatch(/^sync vip-file: synced .*\n[\s\S]*all: 1 syncs as of .*: 1 synced, 0 need confirmation, 0 failed; 1 segment evaluations for 1 segments\n$/);
    const refreshed = await outflow('segments', 'refresh', '--all', '--as-of', '2026-01-02');
    expect(refreshed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^vips: \d+ members .* as of 2026-01-02T00:00:00.000Z\n$/) });
  });

  it('refuses to refresh or sync an archived segment (exit 2, naming its status); runs a paused one when asked, and says so', async () => {
    const archived = /outflow\.yaml: segments\[1\]\.status: segment "old" is archived: archived segments are neither refreshed nor synced \(set its status to active or paused to run it\)/;
    expect(await outflow('segments', 'refresh', 'old')).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(archived) });
    expect(await outflow('sync', 'run', 'old-file')).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(archived) });
    expect(await outflow('sync', 'run', 'old-file', '--via', 'temporal')).toMatchObject({ code: 2, stderr: expect.stringMatching(archived) });

    const refreshed = await outflow('segments', 'refresh', 'resting', '--as-of', '2026-01-01');
    expect(refreshed).toMatchObject({ code: 0, stdout: 'resting: 10 members (+10 -0) as of 2026-01-01T00:00:00.000Z\n' });
    expect(refreshed.stderr).toBe('note: segment "resting" is paused: refreshed because you asked; scheduled refreshes skip it\n');
    const synced = await outflow('sync', 'run', 'resting-file');
    expect(synced).toMatchObject({ code: 0, stdout: expect.stringMatching(/sync resting-file: synced .*\n {2}planned 10 .*added 10,/) });
    expect(synced.stderr).toBe('note: segment "resting" is paused: synced because you asked; scheduled runs skip it\n');
  });

  it('a second process on the same DuckDB file is told plainly why it cannot run', async () => {
    const w = await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') });
    try {
      const blocked = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, [BIN, '--config', path.join(dir, 'outflow.yaml'), 'sync', 'run', 'vip-file'], (err, _out, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      );
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toMatch(/Conflicting lock[\s\S]*DuckDB lets one process open a database file at a time/);
    } finally {
      await w.close();
    }
  });
});
