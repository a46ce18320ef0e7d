import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { expectInvalidInput, outflowInProcess } from './support';

/** Exclusions and priority lists through the command line: validation with paths, the excluded count in reports. */

let dir: string;
const file = () => path.join(dir, 'outflow.yaml');
/** The file as errors name it (relative to the working directory). */
const shown = () => path.relative(process.cwd(), file());

function workspace(extra: string): string {
  return `version: 1
warehouse: {type: duckdb, path: ./wh.duckdb}
entities: [{id: person, table: main.persons, primaryKey: person_id, identifiers: {email: email}}]
segments:
  - {id: vips, entity: person, name: VIPs, alias: vip-people, rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: all, entity: person, name: All, alias: all-people, type: everyone}
  - {id: staff, entity: person, name: Staff, type: static, members: [p1, p2, p9]}
destinations: [{id: out, type: file, settings: {path: ./exports}}]
syncs:
  - {id: vip-file, segment: vips, destination: out}
  - {id: all-file, segment: all, destination: out}
${extra}`;
}

describe('exclusions and priority lists (CLI)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'outflow-lists-'));
    const w = await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') });
    await w.execute(`create table persons as select 'p' || i as person_id, 'u' || i || '@example.com' as email, i < 6 as vip from range(10) t(i)`);
    await w.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a segment in two priority lists, an unknown exclusion and a one-segment list with exit 2 and the path', async () => {
    writeFileSync(file(), workspace('priorityLists:\n  - {id: a, segments: [vips, all]}\n  - {id: b, segments: [staff, vips]}\n'));
    const twice = await outflowInProcess(['validate', '--config', file()]);
    expect(expectInvalidInput(twice, shown(), 'priorityLists[1].segments[1]')).toMatch(/segment "vips" is already in priority list "a"/);
    writeFileSync(file(), workspace('exclusions: [nobody]\n'));
    expect(expectInvalidInput(await outflowInProcess(['validate', '--config', file()]), shown(), 'exclusions[0]')).toMatch(/unknown segment "nobody"/);
    writeFileSync(file(), workspace('priorityLists: [{id: a, segments: [vips]}]\n'));
    expectInvalidInput(await outflowInProcess(['validate', '--config', file()]), shown(), 'priorityLists[0].segments');
    const split = workspace('priorityLists: [{id: a, segments: [all, vips]}]\n').replace(
      'alias: vip-people, rules:',
      'alias: vip-people, splits: [{name: test, percent: 50, syncs: [vip-file]}, {name: hold, percent: 50}], rules:',
    );
    writeFileSync(file(), split);
    expect(expectInvalidInput(await outflowInProcess(['validate', '--config', file()]), shown(), 'priorityLists[0].segments[1]')).toMatch(/split into groups/);
  });

  it('sync run reports how many members the exclusions kept out, and sync status shows it per run', async () => {
    writeFileSync(file(), workspace('exclusions: [staff]\npriorityLists: [{id: waterfall, segments: [vips, all]}]\n'));
    const vips = await outflowInProcess(['sync', 'run', 'vip-file', '--config', file()]);
    expect(vips.code, vips.stderr).toBe(0);
    // p0-p5 are VIPs; p1 and p2 are staff.
    expect(vips.stdout).toMatch(/members 4, excluded 2/);
    // The rest of everyone: p6-p9 without p9 (staff); VIPs went to the list's first segment.
    const all = await outflowInProcess(['sync', 'run', 'all-file', '--config', file()]);
    expect(all.stdout).toMatch(/members 3, excluded 1/);
    const status = await outflowInProcess(['sync', 'status', 'vip-file', '--config', file()]);
    const lines = status.stdout.split('\n');
    const column = lines[1]!.split(/\s{2,}/).indexOf('excluded');
    expect(column).toBeGreaterThan(0);
    expect(lines[2]!.split(/\s{2,}/)[column]).toBe('2');
  });
});
