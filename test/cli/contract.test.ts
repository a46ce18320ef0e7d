import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { type CliFixture, baseWorkspace, cliFixture } from './fixture';
import { expectInvalidInput, outflowChild, outflowInProcess, STACK_LINE } from './support';

// SPEC §3: exit 2 for invalid input, naming the file and the path inside it; every error line
// starts with `error:`; no stack trace.

let fx: CliFixture;
let config: string;
const shown = (file: string) => path.relative(process.cwd(), file);

beforeAll(async () => {
  fx = await cliFixture();
  config = fx.write('outflow.yaml', baseWorkspace());
});
afterAll(() => fx.close());

const cli = (...args: string[]) => outflowInProcess(['--config', config, ...args]);

describe('the CLI contract', () => {
  it('prints its version', async () => {
    const run = await outflowInProcess(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('starts every line of a many-problem error with "error:"', async () => {
    const file = fx.write('two-problems.yaml', baseWorkspace('./wh.duckdb', 'limits: {maxConditions: -1}\nbogus: 1\n'));
    const run = await outflowInProcess(['--config', file, 'validate']);
    expectInvalidInput(run, shown(file), 'bogus');
    expectInvalidInput(run, shown(file), 'limits.maxConditions');
    expect(run.stderr.trimEnd().split('\n').length).toBeGreaterThanOrEqual(2);
  });

  it('--config naming a folder is invalid input naming the folder', async () => {
    const run = await outflowInProcess(['--config', fx.dir, 'validate']);
    expectInvalidInput(run, shown(fx.dir), '--config');
    expect(run.stderr).toMatch(/is a folder/);
  });

  it('a NUL byte in a path is invalid input, never a truncated path', async () => {
    const run = await outflowInProcess(['--config', `${config}\0.bak`, 'validate']);
    expectInvalidInput(run, undefined, '--config');
    const file = fx.write('nul.yaml', baseWorkspace('./wh.duckdb\\0.other'));
    const inFile = await outflowInProcess(['--config', file, 'segments', 'size', 'vips']);
    expectInvalidInput(inFile, shown(file), 'warehouse.path');
  });

  it.each([
    ['99999999999999999999'],
    ['1e20'],
    ['0'],
    ['-3'],
    ['12abc'],
  ])('sync status -n %s is invalid input naming --limit', async (n) => {
    expectInvalidInput(await cli('sync', 'status', 'vip-file', '-n', n), undefined, '--limit');
  });

  it('an --as-of that is not a real date is invalid input', async () => {
    for (const asOf of ['2026-02-30', '2026-02-29T00:00:00Z', '2025-13-01', '2026-04-31T12:00:00+02:00', '2026-01-01T24:00:00Z', '0000-01-01', '275760-09-13']) {
      const run = await cli('segments', 'sql', 'vips', '--as-of', asOf);
      expectInvalidInput(run, undefined, '--as-of');
    }
    expect((await cli('segments', 'sql', 'vips', '--as-of', '2024-02-29')).code).toBe(0);
  });

  it('numbers beyond what the warehouse can compare exactly are invalid input with their path', async () => {
    const file = fx.write(
      'huge.yaml',
      baseWorkspace('./wh.duckdb').replace('value: true}', 'value: true}, {kind: trait, trait: score, op: ">", value: 1e20}'),
    );
    const run = await outflowInProcess(['--config', file, 'segments', 'size', 'vips']);
    expectInvalidInput(run, shown(file), 'segments[0].rules.conditions[1].value');
    const count = fx.write(
      'huge-count.yaml',
      baseWorkspace('./wh.duckdb').replace('{kind: event, event: purchase}', '{kind: event, event: purchase, count: {op: ">", value: 99999999999999999999}}'),
    );
    expectInvalidInput(await outflowInProcess(['--config', count, 'validate']), shown(count), 'segments[1].rules.conditions[0].count.value');
  });

  it('times every warehouse can hold: windows and date values out of range or not ISO are invalid input', async () => {
    const window = fx.write('window.yaml', baseWorkspace().replace('{kind: event, event: purchase}', '{kind: event, event: purchase, window: {from: "0000-01-01", to: "2026-01-01"}}'));
    expectInvalidInput(await outflowInProcess(['--config', window, 'validate']), shown(window), 'segments[1].rules.conditions[0].window.from');
    const months = fx.write('months.yaml', baseWorkspace().replace('{kind: event, event: purchase}', '{kind: event, event: purchase, window: {last: 99999, unit: month}}'));
    expectInvalidInput(await outflowInProcess(['--config', months, 'validate']), shown(months), 'segments[1].rules.conditions[0].window.last');
    const dated = fx.write('dated.yaml', baseWorkspace().replace('{kind: event, event: purchase}', '{kind: event, event: purchase, where: [{column: occurred_at, op: ">", value: "March 7, 2026"}]}'));
    expectInvalidInput(await outflowInProcess(['--config', dated, 'segments', 'size', 'buyers']), shown(dated), 'segments[1].rules.conditions[0].where[0].value');
  });

  it('a YAML file whose aliases expand without bound (billion laughs) is invalid input', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = fx.write('laughs.yaml', `${baseWorkspace()}${levels.join('\n')}\n`);
    const run = await outflowInProcess(['--config', file, 'validate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/aliases/);
    expectInvalidInput(run, shown(file), 'b[0]');
  });

  it.each([
    ['61 * * * *', 'minute', '61'],
    ['0 24 * * *', 'hour', '24'],
    ['0 6 32 * *', 'day of month', '32'],
    ['0 6 * 13 *', 'month', '13'],
    ['0 6 * * 8', 'day of week', '8'],
    ['*/0 6 * * *', 'minute', '*/0'],
  ])('a cron schedule %j is told which field is wrong (%s)', async (cron, field, value) => {
    const file = fx.write('cron.yaml', baseWorkspace().replace('destination: out}', `destination: out, schedule: "${cron}"}`));
    const line = expectInvalidInput(await outflowInProcess(['--config', file, 'validate']), shown(file), 'syncs[0].schedule');
    expect(line).toContain(`${field} field`);
    expect(line).toContain(JSON.stringify(value));
  });

  it('a cron schedule whose fields are each fine but never match a date is told so', async () => {
    const file = fx.write('cron.yaml', baseWorkspace().replace('destination: out}', 'destination: out, schedule: "0 0 30 2 *"}'));
    const line = expectInvalidInput(await outflowInProcess(['--config', file, 'validate']), shown(file), 'syncs[0].schedule');
    expect(line).toMatch(/never|day of month/);
  });

  it('a DuckDB path that does not exist is invalid input naming warehouse.path, and no database is created', async () => {
    const file = fx.write('typo.yaml', baseWorkspace('./wh.duckbd'));
    for (const args of [['segments', 'size', 'vips'], ['validate', '--check-warehouse'], ['sync', 'status', 'vip-file'], ['segments', 'members', 'vips']]) {
      const run = await outflowInProcess(['--config', file, ...args]);
      const line = expectInvalidInput(run, shown(file), 'warehouse.path');
      expect(line).toContain(path.join(fx.dir, 'wh.duckbd'));
    }
    expect(existsSync(path.join(fx.dir, 'wh.duckbd'))).toBe(false);
  });

  it('a warehouse path that is a folder, or a file that is not a DuckDB database, is invalid input', async () => {
    for (const target of ['.', './outflow.yaml']) {
      const file = fx.write('not-db.yaml', baseWorkspace(target));
      expectInvalidInput(await outflowInProcess(['--config', file, 'segments', 'size', 'vips']), shown(file), 'warehouse.path');
    }
  });

  it('a PostgreSQL warehouse that cannot be reached: exit 1, stdout empty (no driver log), one error line, no stack', async () => {
    // A folder of its own: workspace files in one folder share its store (.outflow/store.sqlite),
    // and this one's entity is not the one the other files' segments need.
    const file = fx.write(
      'pg-down/outflow.yaml',
      'version: 1\nwarehouse: {type: postgres, connectionString: "postgres://postgres@127.0.0.1:1/test"}\n' +
        'entities: [{id: person, table: persons, primaryKey: id}]\nsegments: [{id: all, entity: person, name: All, type: everyone}]\n',
    );
    // A real process: the driver's logger writes through console.log, which vitest intercepts.
    for (const args of [['segments', 'size', 'all'], ['validate', '--check-warehouse']]) {
      const run = await outflowChild(['--config', file, ...args]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: PostgreSQL: cannot connect: .*ECONNREFUSED/);
      expect(run.stderr).not.toMatch(STACK_LINE);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('commands that use no destination do not need its secrets; validate names a missing one', async () => {
    const file = fx.write(
      'secret.yaml',
      baseWorkspace().replace('destinations: [{id: out, type: file, settings: {path: ./exports}}]', 'destinations: [{id: out, type: file, settings: {path: "${env:OUTFLOW_TEST_UNSET_DIR}"}}]'),
    );
    const status = await outflowInProcess(['--config', file, 'sync', 'status', 'vip-file']);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toContain('no runs yet');
    expect(await outflowInProcess(['--config', file, 'segments', 'size', 'vips'])).toMatchObject({ code: 0, stdout: '7\n' });
    const line = expectInvalidInput(await outflowInProcess(['--config', file, 'validate']), shown(file), 'destinations[0].settings.path');
    expect(line).toMatch(/:\d+:\d+: destinations\[0\]\.settings\.path: environment variable OUTFLOW_TEST_UNSET_DIR is not set/);
    expectInvalidInput(await outflowInProcess(['--config', file, 'sync', 'run', 'vip-file', '--dry-run']), shown(file), 'destinations[0].settings.path');
  });

  it('errors of a destination\'s settings and of --check-warehouse carry line:col', async () => {
    const file = fx.write(
      'lines.yaml',
      baseWorkspace()
        .replace('settings: {path: ./exports}', 'settings: {path: ./exports, batchSize: "many"}'),
    );
    const settings = expectInvalidInput(await outflowInProcess(['--config', file, 'validate']), shown(file), 'destinations[0].settings.batchSize');
    expect(settings).toMatch(/^error: [^:]+:13:\d+: /);
    const columns = fx.write('columns.yaml', baseWorkspace().replace('trait: vip, op', 'trait: vipp, op'));
    const column = expectInvalidInput(await outflowInProcess(['--config', columns, 'validate', '--check-warehouse']), shown(columns), 'segments[0].rules.conditions[0].trait');
    expect(column).toMatch(/^error: [^:]+:10:\d+: .*no column "vipp"/);
    // the same at run time, in every command that evaluates the segment
    for (const args of [['segments', 'size', 'vips'], ['segments', 'members', 'vips'], ['segments', 'refresh', 'vips'], ['sync', 'run', 'vip-file']])
      expect(expectInvalidInput(await outflowInProcess(['--config', columns, ...args]), shown(columns), 'segments[0].rules.conditions[0].trait')).toMatch(/:10:\d+: /);
  });

  it('a real process: exit 2, no stack, nothing on stdout', async () => {
    const run = await outflowChild(['--config', fx.dir, 'validate']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: /);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });
});
