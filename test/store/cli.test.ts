import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_DEFINITIONS, StoreFixture } from './support';

const BIN = path.resolve(import.meta.dirname, '../../bin/outflow.js');
const STACK_LINE = /^\s+at /m;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI, as a user runs it. */
function outflow(fx: StoreFixture, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CI: 'true', ...env };
  delete childEnv.OUTFLOW_CONFIG;
  delete childEnv.OUTFLOW_DEBUG;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: fx.dir, env: childEnv }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

let fx: StoreFixture;
afterEach(() => fx.cleanup());

describe('outflow apply', () => {
  it('prints one line per object, applies, and prints "= unchanged" for an unchanged file', async () => {
    fx = new StoreFixture('sqlite');
    fx.write(BASE_DEFINITIONS);
    const first = await outflow(fx, ['apply']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(
      [
        '+ created   entity person',
        '+ created   segment vips',
        '+ created   segment big-co',
        '+ created   destination out',
        '+ created   sync vip-file',
        'apply: 5 created, 0 updated, 0 unchanged, 0 deleted',
        '',
      ].join('\n'),
    );
    fx.write(BASE_DEFINITIONS.replace('name: VIPs', 'name: Very important').replace(/ {2}- \{id: big-co.*\n/, ''));
    const dry = await outflow(fx, ['apply', '--dry-run', '--prune']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('~ updated   segment vips (name)\n');
    expect(dry.stdout).toContain('- deleted   segment big-co\n');
    expect(dry.stdout).toMatch(/dry run: would apply 0 created, 1 updated, 3 unchanged, 1 deleted; nothing was written\n$/);
    const kept = await outflow(fx, ['apply']);
    expect(kept.stdout).toContain('= unchanged segment big-co (no longer in outflow.yaml; --prune deletes it)\n');
    expect(kept.stdout).toContain('~ updated   segment vips (name)\n');
    const again = await outflow(fx, ['apply']);
    expect(again.stdout.split('\n').filter((l) => /^[+~-]/.test(l))).toEqual([]);
    expect(again.stdout).toContain('apply: 0 created, 0 updated, 5 unchanged, 0 deleted\n');
  });

  it('exits 2 naming the file and the path for a bad file, with no stack trace', async () => {
    fx = new StoreFixture('sqlite');
    fx.write(BASE_DEFINITIONS.replace('alias: vip-people', 'alias: vip-people, status: on'));
    const commands = [['apply'], ['segments', 'list']];
    for (const [i, r] of (await Promise.all(commands.map((args) => outflow(fx, args)))).entries()) {
      expect(r.code, commands[i]!.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: outflow\.yaml:\d+:\d+: segments\[0\]\.status: expected one of "draft", "active", "paused", "archived"/);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
    expect(existsSync(path.join(fx.dir, '.outflow'))).toBe(false);
  });

  it('is what every command does first when the file changed; validate only checks the file', async () => {
    fx = new StoreFixture('sqlite');
    fx.write(BASE_DEFINITIONS);
    expect((await outflow(fx, ['validate'])).code).toBe(0);
    expect(existsSync(path.join(fx.dir, '.outflow'))).toBe(false);

    expect((await outflow(fx, ['segments', 'list'])).stdout).toMatch(/^vips .*\nbig-co /m);
    const store = await fx.store();
    await store.segments.create({ id: 'from-ui', entity: 'person', name: 'From the UI', type: 'everyone' }, { name: 'marketing-bot' });
    fx.write(BASE_DEFINITIONS.replace('destinations:', '  - {id: added, entity: person, name: Added, type: everyone}\ndestinations:'));
    const list = await outflow(fx, ['segments', 'list']);
    expect(list.stdout.split('\n').slice(1, -1).map((l) => l.split(' ')[0])).toEqual(['vips', 'big-co', 'added', 'from-ui']);
    const [entry] = await store.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ actor: 'apply', action: 'create', objectId: 'added', origin: expect.stringMatching(/^outflow, OS user /) });
    const sql = await outflow(fx, ['segments', 'sql', 'from-ui']);
    expect(sql).toMatchObject({ code: 0 });
  });
});

describe('a new store opened by several commands at once', () => {
  it('is migrated and applied once; every command succeeds', async () => {
    fx = new StoreFixture('sqlite');
    fx.write(BASE_DEFINITIONS);
    const runs = await Promise.all([1, 2, 3].map(() => outflow(fx, ['segments', 'list'])));
    expect(runs.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
      [0, ''],
    ]);
    const audit = await (await fx.store()).audit.list({ limit: 100 });
    expect(audit.map((e) => `${e.action} ${e.objectType} ${e.objectId}`).sort()).toEqual(
      ['create destination out', 'create entity person', 'create segment big-co', 'create segment vips', 'create sync vip-file'].sort(),
    );
  });
});

describe('outflow tokens', () => {
  it('creates a token printed once, lists without it, revokes; bad input exits 2', async () => {
    fx = new StoreFixture('sqlite');
    fx.write(BASE_DEFINITIONS);
    const created = await outflow(fx, ['tokens', 'create', '--name', 'ci', '--role', 'marketer']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(created.stdout).toMatch(/^oft_[A-Za-z0-9_-]{43}\n$/);
    expect(created.stderr).toBe('token "ci" (marketer) created; it is shown only this once\n');
    const list = await outflow(fx, ['tokens', 'list']);
    expect(list.stdout).toMatch(/^name +role +created +created by\nci +marketer +\d{4}-\d\d-\d\dT[\d:.]+Z +cli\n$/);
    expect(list.stdout).not.toContain(token);
    expect(await (await fx.store()).authorize(token)).toEqual({ name: 'ci', role: 'marketer' });

    const cases: [string[], RegExp][] = [
      [['tokens', 'create', '--name', 'ci', '--role', 'admin'], /^error: --name: a token named "ci" exists/],
      [['tokens', 'create', '--name', 'x', '--role', 'root'], /^error: option '--role <role>' argument 'root' is invalid\. Allowed choices are viewer, marketer, data, admin\./],
      [['tokens', 'create', '--role', 'data'], /^error: required option '--name <name>' not specified/],
      [['tokens', 'create', '--name', 'bad name!', '--role', 'data'], /^error: --name: expected 1-64 letters/],
      [['tokens', 'revoke', 'nope'], /^error: <name>: no token named "nope"/],
    ];
    const runs = await Promise.all(cases.map(([args]) => outflow(fx, args)));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
    expect(await outflow(fx, ['tokens', 'revoke', 'ci'])).toMatchObject({ code: 0, stdout: 'token "ci" revoked\n' });
    expect(await (await fx.store()).authorize(token)).toBeUndefined();
  });
});

describe('outflow export', () => {
  it('writes the UI objects into the workspace file, secrets as references; validate and apply accept it', async () => {
    fx = new StoreFixture('sqlite');
    fx.write(BASE_DEFINITIONS);
    expect((await outflow(fx, ['apply'])).code).toBe(0);
    const token = `EAAB${randomBytes(16).toString('hex')}`;
    const store = await fx.store();
    const actor = { name: 'marketing-bot' };
    await store.destinations.create({ id: 'meta-ui', type: 'meta', settings: { adAccountId: '42', accessToken: token } }, actor);
    await store.segments.create(
      { id: 'ui-buyers', entity: 'person', name: 'Bought twice', rules: { match: 'all', conditions: [{ kind: 'segment', segment: 'vips' }] } },
      actor,
    );
    await store.syncs.create({ id: 'ui-buyers-meta', segment: 'ui-buyers', destination: 'meta-ui', schedule: '0 7 * * *' }, actor);

    const exported = await outflow(fx, ['export', '--out', 'exported.yaml']);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toBe(
      'exported 3 objects managed in the UI to exported.yaml\n' +
        'secrets are not exported; set OUTFLOW_META_UI_ACCESS_TOKEN before validating or applying it\n',
    );
    const text = readFileSync(path.join(fx.dir, 'exported.yaml'), 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain('accessToken: ${env:OUTFLOW_META_UI_ACCESS_TOKEN}');
    expect((await outflow(fx, ['export'])).stdout).toBe(text);

    const missing = await outflow(fx, ['validate', '--config', 'exported.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('environment variable OUTFLOW_META_UI_ACCESS_TOKEN is not set');
    const env = { OUTFLOW_META_UI_ACCESS_TOKEN: token };
    expect(await outflow(fx, ['validate', '--config', 'exported.yaml'], env)).toMatchObject({ code: 0, stdout: expect.stringContaining('valid (1 entities, 3 segments, 2 destinations, 2 syncs)') });

    // Applied, the exported file takes the objects over: from now on git owns them.
    const applied = await outflow(fx, ['apply', '--config', 'exported.yaml'], env);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('~ updated   segment ui-buyers (now managed in exported.yaml)\n');
    expect(applied.stdout).toContain('~ updated   destination meta-ui (settings, now managed in exported.yaml)\n');
    const withVariable = await fx.store({ env: { ...process.env, ...env } });
    const ws = await withVariable.workspace(fx.load({ ...process.env, ...env }, path.join(fx.dir, 'exported.yaml')).workspace);
    expect(ws.destinations.find((d) => d.id === 'meta-ui')!.settings.accessToken).toBe(token);
    expect((await store.syncs.get('ui-buyers-meta'))!.managedBy).toBe('file');
    expect(await outflow(fx, ['export', '--config', 'exported.yaml'], env)).toMatchObject({ stderr: 'exported 0 objects managed in the UI to standard output\n' });
  });
});
