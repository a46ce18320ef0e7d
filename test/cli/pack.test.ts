import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { ROOT, STACK_LINE } from './support';

// The package `npm pack` makes installs and runs outside the checkout: the bundled CLI, the SQL
// templates, the bin. It installs from the cache `npm ci` filled where it can (npm-shrinkwrap.json
// pins every dependency) and asks the registry only for what the cache lacks (package metadata a
// fresh machine's `npm ci` never fetched).

const run = promisify(execFile);
let work: string;
let prefix: string;
let outflow: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'outflow-pack-'));
  // Pack a copy of the package (its node_modules linked) so the checkout's own dist/ is left alone
  // while other tests run the CLI.
  const copy = path.join(work, 'package');
  mkdirSync(copy);
  for (const entry of [...pkg.files.filter((f) => !f.startsWith('dist/') && f !== 'npm-shrinkwrap.json'), 'package.json', 'package-lock.json', 'README.md'])
    cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  await run('npm', ['pack', '--pack-destination', work], { cwd: copy, env: { ...process.env, npm_config_loglevel: 'error' } });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  prefix = path.join(work, 'prefix');
  // Install scripts are skipped: the one that matters, better-sqlite3's, downloads a prebuilt
  // addon where the internet is reachable and otherwise compiles SQLite from source (over a minute
  // of CPU). The test hands the install the addon this checkout's `npm ci` built, for the
  // same version and Node ABI: what the download would have brought.
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(work, tarball)], {
    env: { ...process.env, npm_config_loglevel: 'error' },
    timeout: 240_000,
  });
  const addon = 'better-sqlite3/build/Release/better_sqlite3.node';
  cpSync(path.join(ROOT, 'node_modules', addon), path.join(prefix, 'lib/node_modules/outflow/node_modules', addon));
  outflow = path.join(prefix, 'bin/outflow');
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package, installed into a prefix', () => {
  it('holds the bundle, the templates and the pinned dependency tree, and no tests', () => {
    const installed = path.join(prefix, 'lib/node_modules/outflow');
    for (const f of ['dist/cli/main.mjs', 'dist/cli/encode-worker.mjs', 'sql-templates/_base/segments/members.sql.hbs', 'npm-shrinkwrap.json', 'bin/outflow.js'])
      expect(existsSync(path.join(installed, f)), f).toBe(true);
    expect(existsSync(path.join(installed, 'test'))).toBe(false);
    expect(existsSync(path.join(installed, 'bench'))).toBe(false);
  });

  it('runs from another folder: --version, demo, validate, and exit 2 with no stack for a bad file', async () => {
    const folder = path.join(work, 'elsewhere');
    mkdirSync(folder);
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
    delete env.OUTFLOW_CONFIG;
    expect((await run(outflow, ['--version'], { cwd: folder, env })).stdout).toBe(`${pkg.version}\n`);
    const demo = await run(outflow, ['demo', '--persons', '2000'], { cwd: folder, env, timeout: 180_000 });
    expect(demo.stdout).toMatch(/recent-buyers/);
    const valid = await run(outflow, ['validate', '--check-warehouse'], { cwd: path.join(folder, '.outflow-demo'), env });
    expect(valid.stdout).toMatch(/outflow\.yaml: valid \(1 entities, 20 segments/);
    const size = await run(outflow, ['segments', 'size', 'recent-buyers', '--config', '.outflow-demo/outflow.yaml'], { cwd: folder, env });
    expect(size.stdout).toMatch(/^\d+\n$/);
    const bad = await run(outflow, ['validate', '--config', folder], { cwd: folder, env }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: /);
    expect(bad.stderr).not.toMatch(STACK_LINE);
  }, 240_000);
});
