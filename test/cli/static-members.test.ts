import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, cliFixture } from './fixture';
import { expectInvalidInput, outflowInProcess } from './support';

// `outflow segments members-add | members-remove | members-replace | populate | subtract`: a
// static segment's members change in the warehouse; bad input is exit 2 with its place.

const WORKSPACE = `version: 1
warehouse: {type: duckdb, path: ./wh.duckdb}
entities:
  - {id: person, table: main.persons, primaryKey: person_id}
segments:
  - {id: picked, entity: person, name: Picked, type: static}
  - {id: listed, entity: person, name: Listed, type: static, members: [p0]}
  - {id: vips, entity: person, name: VIPs, rules: {conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
`;

let fx: CliFixture;
let file: string;
const shown = () => path.relative(process.cwd(), file);
const outflow = (...args: string[]) => outflowInProcess(['--config', file, ...args]);
const members = async (id = 'picked') => {
  const run = await outflow('segments', 'members', id);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim().split('\n').filter(Boolean).sort();
};

beforeAll(async () => {
  fx = await cliFixture('outflow-static-');
  file = fx.write('outflow.yaml', WORKSPACE);
});
afterAll(() => fx.close());

describe('static segment members from the command line', () => {
  it('adds, removes, replaces, populates, removes by a query and subtracts, printing the counts', async () => {
    let run = await outflow('segments', 'members-add', 'picked', 'p1', 'p2', 'p3');
    expect(run).toMatchObject({ code: 0, stdout: 'picked: 0 -> 3 stored members\n' });
    expect(await members()).toEqual(['p1', 'p2', 'p3']);
    expect((await outflow('segments', 'members-remove', 'picked', 'p2')).stdout).toBe('picked: 3 -> 2 stored members\n');
    const keys = fx.write('keys.txt', 'p4\n\np5\r\n p6 \n');
    expect((await outflow('segments', 'members-add', 'picked', '--file', keys)).stdout).toBe('picked: 2 -> 5 stored members\n');
    expect(await members()).toEqual(['p1', 'p3', 'p4', 'p5', 'p6']);
    run = await outflow('segments', 'populate', 'picked', '--sql', 'select person_id from main.persons where n between 10 and 12');
    expect(run.stdout).toBe('picked: 5 -> 8 stored members\n');
    run = await outflow('segments', 'populate', 'picked', '--remove', '--sql', "select person_id from main.persons where person_id in ('p10', 'p1')");
    expect(run.stdout).toBe('picked: 8 -> 6 stored members\n');
    // vips: every third person (p0, p3, p6, p9, p12, ...).
    expect((await outflow('segments', 'subtract', 'picked', 'vips')).stdout).toBe('picked: 6 -> 3 stored members\n');
    expect(await members()).toEqual(['p11', 'p4', 'p5']);
    expect((await outflow('segments', 'size', 'picked')).stdout).toBe('3\n');
    expect((await outflow('segments', 'members-replace', 'picked', 'p7')).stdout).toBe('picked: 3 -> 1 stored members\n');
    expect((await outflow('segments', 'members-replace', 'picked')).stdout).toBe('picked: 1 -> 0 stored members\n');
    // Keys the workspace file lists stay members.
    expect((await outflow('segments', 'members-add', 'listed', 'p8')).stdout).toBe('listed: 0 -> 1 stored members (and 1 keys its definition lists)\n');
    expect(await members('listed')).toEqual(['p0', 'p8']);
  });

  it('refuses bad input with exit 2, naming where it is, and changes nothing', async () => {
    await outflow('segments', 'members-replace', 'picked', 'p1');
    expectInvalidInput(await outflow('segments', 'members-add', 'vips', 'p1'), shown(), 'segments[2].type');
    expectInvalidInput(await outflow('segments', 'members-add', 'nope', 'p1'), shown(), 'segments');
    expectInvalidInput(await outflow('segments', 'members-add', 'picked'), shown(), 'segments members-add');
    expectInvalidInput(await outflow('segments', 'members-add', 'picked', 'p1', '--file', 'x.txt'), shown(), 'segments members-add');
    expectInvalidInput(await outflow('segments', 'members-add', 'picked', '--file', path.join(fx.dir, 'missing.txt')), undefined, '--file');
    expectInvalidInput(await outflow('segments', 'members-add', 'picked', '--file', fx.write('long.txt', `p2\n${'x'.repeat(300)}\n`)), undefined, '--file line 2');
    expectInvalidInput(await outflow('segments', 'subtract', 'picked', 'nope'), shown(), 'segments');
    for (const sql of ['delete from main.canary', 'select 1 as person_id; drop table main.canary', 'with d as (delete from main.canary returning id) select id from d', 'select * from main.persons', 'attach \':memory:\' as x']) {
      const line = expectInvalidInput(await outflow('segments', 'populate', 'picked', '--sql', sql), undefined, '--sql');
      expect(line.length).toBeGreaterThan('error: --sql: '.length);
    }
    expect(await members()).toEqual(['p1']);
    expect(await fx.canary()).toBe(3);
  });
});
