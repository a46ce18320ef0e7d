import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { loadFixture } from './compiler-fixture';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/outflow.js');

const WORKSPACE = `
version: 1
warehouse: { type: duckdb, path: ./wh.duckdb }
entities:
  - id: person
    table: shop.persons
    primaryKey: person_id
    identifiers: { email: email, phone: phone }
    events: { table: shop.events, personKey: person_id, name: event_name, timestamp: occurred_at, sessionKey: session_id }
  - id: row
    table: shop.many
    primaryKey: id
segments:
  - id: buyers
    entity: person
    name: Recent buyers
    alias: aud-buyers
    rules:
      conditions:
        - { kind: event, event: purchase, window: { last: 1, unit: month } }
        - { kind: trait, trait: name, op: not_contains, value: "it's 100%" }
  - id: picked
    entity: person
    name: Picked by hand
    type: static
    status: draft
    members: ["1", "3"]
  - id: bad-type
    entity: person
    name: Compares a number column with text
    rules:
      conditions:
        - { kind: trait, trait: age, op: ">", value: "thirty" }
  - id: many
    entity: row
    name: Many rows
    type: everyone
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('outflow segments (CLI)', () => {
  let dir: string;
  const run = (...args: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CI: 'true' } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'outflow-seg-cli-'));
    const wh = await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') });
    await loadFixture(wh, 'shop');
    await wh.execute('CREATE TABLE shop.many AS SELECT range AS id FROM range(200000)');
    await wh.close();
    writeFileSync(path.join(dir, 'outflow.yaml'), WORKSPACE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists segments with type, status, entity and alias', async () => {
    const r = await run('segments', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.split(/\s+/).join(' '))).toEqual([
      'id type status entity alias',
      'buyers dynamic active person aud-buyers',
      'picked static draft person -',
      'bad-type dynamic active person -',
      'many everyone active row -',
      '',
    ]);
  });

  it('prints SQL with placeholders and the parameters beside it, never inlined', async () => {
    const r = await run('segments', 'sql', 'buyers', '--as-of', '2024-03-31T12:00:00Z');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"shop"."events"');
    expect(r.stdout).toMatch(/= \$1/);
    const [sql, comment] = r.stdout.split(';\n');
    expect(sql).not.toContain('purchase');
    expect(sql).not.toContain('100%');
    expect(comment).toContain('1: "purchase"');
    expect(comment).toContain('2024-03-31T12:00:00.000Z');
    expect(comment).toContain(`"%it's 100\\\\%%"`);

    const bq = await run('segments', 'sql', 'buyers', '--dialect', 'bigquery');
    expect(bq.code).toBe(0);
    expect(bq.stdout).toContain('`shop`.`events`');
    expect(bq.stdout).toContain('= ?');
  });

  it('prints the size as one integer, counted at --as-of', async () => {
    const r = await run('segments', 'size', 'buyers', '--as-of', '2024-03-31T12:00:00Z');
    expect(r).toMatchObject({ code: 0, stdout: '3\n' });
    const later = await run('segments', 'size', 'buyers', '--as-of', '2024-05-01T00:00:00Z');
    expect(later).toMatchObject({ code: 0, stdout: '1\n' });
  });

  it('streams members as ids, csv or json', async () => {
    const asOf = ['--as-of', '2024-03-31T12:00:00Z'];
    // One at a time: a DuckDB file admits one process.
    const ids = await run('segments', 'members', 'buyers', ...asOf);
    const csv = await run('segments', 'members', 'buyers', ...asOf, '--format', 'csv');
    const json = await run('segments', 'members', 'picked', '--format', 'json');
    expect(ids.code).toBe(0);
    expect(ids.stdout.trim().split('\n').sort()).toEqual(['1', '2', '4']);
    expect(csv.stdout.split('\n')[0]).toBe('person_id');
    expect(csv.stdout.trim().split('\n').slice(1).sort()).toEqual(['1', '2', '4']);
    expect((JSON.parse(json.stdout) as string[]).sort()).toEqual(['1', '3']);
  });

  it('stops quietly when the reader closes the pipe early (| head)', async () => {
    const child = spawn(process.execPath, [BIN, 'segments', 'members', 'many'], { cwd: dir, env: { ...process.env, CI: 'true' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('exits 2 when a value does not fit the column type the warehouse reports', async () => {
    const r = await run('segments', 'size', 'bad-type');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('segments[2].rules.conditions[0].value');
    expect(r.stderr).toContain('INTEGER');
  });

  it('exits 2 on an unknown segment, dialect, format or --as-of', async () => {
    const cases = [
      ['segments', 'size', 'nope'],
      ['segments', 'members', 'nope', '--format', 'json'],
      ['segments', 'sql', 'buyers', '--dialect', 'oracle'],
      ['segments', 'members', 'buyers', '--format', 'xml', '--as-of', 'yesterday'],
    ];
    // None of these gets as far as opening the warehouse, so they can run side by side.
    const results = await Promise.all(cases.map((args) => run(...args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expect(r.stderr, cases[i]!.join(' ')).not.toMatch(/\n\s+at /);
    });
    expect(results[0]!.stderr).toContain('no segment "nope"');
  });
});
