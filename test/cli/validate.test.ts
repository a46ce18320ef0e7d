import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/load';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/outflow.js');
const FIXTURES = 'test/fixtures/invalid';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI, as a user would, with a clean environment for the variables under test. */
function outflow(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  if (!opts.env?.OUTFLOW_CONFIG) delete env.OUTFLOW_CONFIG;
  delete env.OUTFLOW_DEBUG;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Each malformed file, the exact path its error must name, and a fragment of the message. */
const CASES: [file: string, path: string, message: string][] = [
  ['audience-name-health.yaml', 'syncs[0].audienceName', 'audienceName "diabetes-patients" contains the health term "diabetes"'],
  ['audience-name-path.yaml', 'syncs[0].audienceName', 'letters, digits, "-" and "_"'],
  ['audience-name-spaces.yaml', 'syncs[0].audienceName', 'letters, digits, "-" and "_"'],
  ['audience-name-too-long.yaml', 'syncs[0].audienceName', 'Meta Custom Audiences takes audience names of at most 64 characters'],
  ['bad-yaml.yaml', '', 'invalid YAML'],
  ['not-a-mapping.yaml', '', 'expected a mapping'],
  ['unknown-key.yaml', 'segments[1].rulez', 'unknown key "rulez"'],
  ['wrong-type.yaml', 'segments[0].rules.conditions[0].count.value', 'expected number'],
  ['bad-enum.yaml', 'segments[0].status', 'expected one of "draft", "active", "paused", "archived"'],
  ['missing-env.yaml', 'warehouse.connectionString', 'environment variable OUTFLOW_TEST_UNSET_PASSWORD is not set'],
  ['missing-key.yaml', 'entities[0].primaryKey', 'missing'],
  ['bad-connection-string.yaml', 'warehouse.connectionString', 'a PostgreSQL URL such as'],
  ['duplicate-ids.yaml', 'segments[2].id', 'duplicate segment id "buyers"'],
  ['dangling-entity.yaml', 'segments[0].entity', 'unknown entity "account"'],
  ['dangling-sync-segment.yaml', 'syncs[0].segment', 'unknown segment "byers"'],
  ['dangling-sync-destination.yaml', 'syncs[1].destination', 'unknown destination "google-main"'],
  ['bad-cron.yaml', 'syncs[0].schedule', '5-field cron expression'],
  ['bad-id.yaml', 'segments[0].id', 'an id of lowercase letters'],
  ['bad-retention.yaml', 'segments[0].retentionDays', 'expected int'],
  ['empty-rules.yaml', 'segments[0].rules.conditions', 'at least one condition'],
  ['count-not-performed.yaml', 'segments[2].rules.conditions[0].count', '"count" cannot be used with "performed: false"'],
  ['segment-cycle.yaml', 'segments[0].rules.conditions[0].segment', 'cycle: a -> b -> c -> a'],
  [
    'deep-groups.yaml',
    'segments[0].rules.conditions[0].conditions[0].conditions[0].conditions[0].conditions[0]',
    'groups nest at most 5 deep',
  ],
  ['too-many-conditions.yaml', 'segments[0].rules.conditions', '5 conditions; at most 3 are allowed'],
  ['split-percents.yaml', 'segments[0].splits', 'the percents add up to 90; they must add up to 100'],
  ['in-without-list.yaml', 'segments[0].rules.conditions[0].value', '"in" needs a list of values'],
  ['unknown-condition-kind.yaml', 'segments[0].rules.conditions[0].kind', 'expected one of "event", "trait"'],
];

/** Lines of the form `    at fn (file:1:2)` are a stack trace, which users must never see. */
const STACK_LINE = /^\s+at /m;

describe('outflow validate on malformed workspace files', () => {
  const results = new Map<string, Run>();

  beforeAll(async () => {
    // Two at a time: each run starts Node and tsx, and the machine is shared.
    const queue = [...CASES];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift())
        results.set(c[0], await outflow(['validate', '--config', `${FIXTURES}/${c[0]}`]));
    };
    await Promise.all([worker(), worker()]);
  });

  it.each(CASES)('%s: exit 2, names the file and %s', (file, at, message) => {
    const run = results.get(file)!;
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(STACK_LINE);
    const lines = run.stderr.replace(/^error: /, '').trimEnd().split('\n');
    // file:line:col: path: message (path absent for problems with the file as a whole)
    const prefix = `${FIXTURES}/${file}:`;
    const wanted = lines.find((l) => l.startsWith(prefix) && l.includes(message));
    expect(wanted, run.stderr).toBeDefined();
    const rest = wanted!.slice(prefix.length).replace(/^( ?\d+:\d+:)? /, '');
    if (at) expect(rest.startsWith(`${at}: `), wanted).toBe(true);
    else expect(rest.startsWith(message) || rest.startsWith('invalid YAML'), wanted).toBe(true);
  });

  it('gives the line and column of the bad value', () => {
    expect(results.get('wrong-type.yaml')!.stderr).toMatch(/wrong-type\.yaml:25:37: /);
    // an unknown key is placed on the key itself, not on its parent mapping
    expect(results.get('unknown-key.yaml')!.stderr).toMatch(/unknown-key\.yaml:27:5: segments\[1\]\.rulez: /);
    expect(results.get('bad-yaml.yaml')!.stderr).toMatch(/bad-yaml\.yaml:\d+:\d+: invalid YAML/);
  });

  it('covers at least twelve malformed files', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(12);
  });
});

const VALID = (segments: number, warehousePath = './warehouse.duckdb') => `version: 1
warehouse:
  type: duckdb
  path: "${warehousePath}"
entities:
  - id: person
    table: main.persons
    primaryKey: person_id
segments:
${Array.from({ length: segments }, (_, i) => `  - { id: s${i}, entity: person, name: "S${i}", type: everyone }`).join('\n')}
`;

describe('finding and reading the workspace file', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'outflow-validate-'));
    writeFileSync(path.join(dir, 'outflow.yaml'), VALID(1));
    writeFileSync(path.join(dir, 'from-env.yaml'), VALID(2));
    writeFileSync(path.join(dir, 'from-flag.yaml'), VALID(3));
    writeFileSync(path.join(dir, 'with-env.yaml'), VALID(1, '${env:OUTFLOW_TEST_WAREHOUSE}'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a valid file with exit 0', async () => {
    const run = await outflow(['validate', '--config', path.join(dir, 'outflow.yaml')]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('valid (1 entities, 1 segments');
  });

  it('uses --config, else $OUTFLOW_CONFIG, else ./outflow.yaml', async () => {
    const [local, fromEnv, fromFlag] = await Promise.all([
      outflow(['validate'], { cwd: dir }),
      outflow(['validate'], { cwd: dir, env: { OUTFLOW_CONFIG: 'from-env.yaml' } }),
      outflow(['validate', '--config', 'from-flag.yaml'], { cwd: dir, env: { OUTFLOW_CONFIG: 'from-env.yaml' } }),
    ]);
    expect(local.stdout).toContain(`${path.join(dir, 'outflow.yaml')}: valid (1 entities, 1 segments`);
    expect(fromEnv.stdout).toContain(`${path.join(dir, 'from-env.yaml')}: valid (1 entities, 2 segments`);
    expect(fromFlag.stdout).toContain(`${path.join(dir, 'from-flag.yaml')}: valid (1 entities, 3 segments`);
  });

  it('reports a missing workspace file with exit 2', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'outflow-empty-'));
    try {
      const run = await outflow(['validate'], { cwd: empty });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('outflow.yaml: workspace file not found');
      expect(run.stderr).not.toMatch(STACK_LINE);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('interpolates ${env:NAME} and names a missing variable', async () => {
    const [set, unset] = await Promise.all([
      outflow(['validate', '--config', 'with-env.yaml'], { cwd: dir, env: { OUTFLOW_TEST_WAREHOUSE: './w.duckdb' } }),
      outflow(['validate', '--config', 'with-env.yaml'], { cwd: dir }),
    ]);
    expect(set.code).toBe(0);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('with-env.yaml:4:9: warehouse.path: environment variable OUTFLOW_TEST_WAREHOUSE is not set');

    const { workspace } = parseWorkspace(
      'version: 1\nwarehouse: {type: postgres, connectionString: "postgres://u:${env:PW}@${env:HOST}/db"}\n' +
        'entities: [{id: person, table: persons, primaryKey: id}]\n',
      'outflow.yaml',
      { PW: 's3cr$t', HOST: 'db.internal' },
    );
    expect(workspace.warehouse).toEqual({ type: 'postgres', connectionString: 'postgres://u:s3cr$t@db.internal/db' });
  });
});
