import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskMessage } from '../../src/privacy/mask';
import { openWarehouse } from '../../src/warehouse';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import { outflowInProcess, type Run } from '../cli/support';
import { PG_URL, postgresReachable } from '../support/pg';

/** People shaped like the demo's: dotted names with digits, phones as people type them. */
const PEOPLE = Array.from({ length: 12 }, (_, i) => ({
  id: `p${i}`,
  email: `${['obrien.ava', 'shared', 'li.wei', 'garcia.noah'][i % 4]}${i}@example.com`,
  phone: ['(555) 201-33', '+1 555 301 44', '555-401-55', '+44 20 7946 09'][i % 4]! + String(10 + i),
  vip: i % 3 !== 0,
}));

const backends = ['duckdb', ...((await postgresReachable()) ? ['postgres'] : [])] as const;

describe.each(backends)('no identifier value in any output or state table (%s)', (name) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'outflow-pii-'));
  const tag = `pii_${Math.random().toString(16).slice(2, 8)}`;
  const data = name === 'duckdb' ? 'main' : `${tag}_data`;
  const stateSchema = `${tag}_state`;
  const config = name === 'duckdb' ? '{type: duckdb, path: ./wh.duckdb}' : `{type: postgres, connectionString: "${PG_URL}"}`;
  const open = () => openWarehouse(name === 'duckdb' ? { type: 'duckdb', path: path.join(dir, 'wh.duckdb') } : { type: 'postgres', connectionString: PG_URL }, dir);
  afterAll(async () => {
    if (name === 'postgres') {
      const w = await open();
      await w.execute(`drop schema if exists ${data} cascade`);
      await w.execute(`drop schema if exists ${stateSchema} cascade`);
      await w.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('sync runs, a dry run keyed by email, a warehouse error quoting a value, status and refresh', async () => {
    const w = name === 'duckdb' ? await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') }) : await open();
    if (name === 'postgres') await w.execute(`create schema ${data}`);
    await w.execute(`create table ${data}.persons (person_id text, email text, phone text, vip boolean)`);
    for (const p of PEOPLE)
      await w.execute(`insert into ${data}.persons values (${[1, 2, 3, 4].map((i) => w.dialect.placeholder(i - 1)).join(', ')})`, [p.id, p.email, p.phone, p.vip]);
    await w.close();
    writeFileSync(
      path.join(dir, 'outflow.yaml'),
      `version: 1
warehouse: ${config}
stateSchema: ${stateSchema}
entities:
  - {id: person, table: ${data}.persons, primaryKey: person_id, identifiers: {email: email, phone: phone}}
  - {id: contact, table: ${data}.persons, primaryKey: email, identifiers: {email: email}}
  - {id: broken, sql: "select person_id, email, phone from ${data}.persons where cast(email as integer) > 0", primaryKey: person_id, identifiers: {email: email}}
segments:
  - {id: vips, entity: person, name: VIPs, alias: vip-people, rules: {match: all, conditions: [{kind: trait, trait: vip, op: "=", value: true}]}}
  - {id: contacts, entity: contact, name: Contacts, type: everyone, alias: contact-people}
  - {id: broken, entity: broken, name: Broken, type: everyone, alias: broken-people}
destinations: [{id: out, type: file, settings: {path: ./exports, batchLimit: 3}}]
syncs:
  - {id: vip-file, segment: vips, destination: out}
  - {id: contact-file, segment: contacts, destination: out}
  - {id: broken-file, segment: broken, destination: out}
`,
    );
    const outflow = (...args: string[]) => outflowInProcess(['--config', path.join(dir, 'outflow.yaml'), ...args]);
    const runs: Run[] = [];
    const run = async (...args: string[]) => {
      const r = await outflow(...args);
      runs.push(r);
      return r;
    };

    expect((await run('sync', 'run', 'vip-file')).code).toBe(0);
    const dry = await run('sync', 'run', 'contact-file', '--dry-run');
    expect(dry.code).toBe(0);
    // The primary key is an email: the sample is masked, never the address.
    expect(dry.stdout).toMatch(/adds, first 10: [a-z]\*\*\*@e\*\*\*\.com, /);
    const broken = await run('sync', 'run', 'broken-file');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/failed: .*'\*\*\*'|failed: .*[a-z]\*\*\*@e\*\*\*\.com/);
    await run('sync', 'status', 'broken-file');
    await run('sync', 'status', 'vip-file');
    await run('segments', 'refresh', 'vips');
    const refreshBroken = await run('segments', 'refresh', 'broken');
    expect(refreshBroken.code).toBe(1);

    const leaks = (text: string) => PEOPLE.flatMap((p) => [p.email, p.phone].filter((v) => text.toLowerCase().includes(v.toLowerCase())));
    for (const r of runs) expect(leaks(r.stdout + r.stderr), r.stdout + r.stderr).toEqual([]);

    const state = await open();
    try {
      const columns = await state.query<{ table_name: string; column_name: string }>(
        `select table_name, column_name from information_schema.columns where table_schema = '${stateSchema}' and data_type in ('text', 'VARCHAR', 'character varying')`,
      );
      // Every table, snapshots included: they hold only keys and fingerprints (docs/privacy.md).
      const scanned = columns;
      expect(scanned.map((c) => c.table_name)).toEqual(expect.arrayContaining(['sync_runs', 'sync_snapshot_keys']));
      for (const { table_name: t, column_name: c } of scanned) {
        const values = await state.query<{ v: string | null }>(`select "${c}" as v from ${stateSchema}."${t}"`);
        expect(leaks(values.map((v) => v.v ?? '').join('\n')), `${t}.${c}`).toEqual([]);
      }
      const [failed] = await state.query<{ error: string }>(`select error from ${stateSchema}.sync_runs where sync_id = 'broken-file'`);
      expect(failed!.error).toBe(maskMessage(failed!.error));
    } finally {
      await state.close();
    }
  });
});
