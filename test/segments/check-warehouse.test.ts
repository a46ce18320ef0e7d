import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';

// `outflow validate --check-warehouse` against a small DuckDB file, through the real CLI.

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'outflow-check-'));
  const db = await DuckDbDriver.open({ path: path.join(dir, 'wh.duckdb') });
  await db.execute(`create schema app`);
  await db.execute(`create table app.persons (person_id varchar, email varchar, age integer, plan varchar,
    signup_at timestamp, is_identified boolean, company_id integer)`);
  await db.execute(`create table app.events (person_id varchar, event_name varchar, occurred_at timestamptz,
    session_id varchar, amount double, url varchar)`);
  await db.execute(`create table app.companies (id integer, industry varchar, employees integer)`);
  await db.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENTITY = `
  - id: person
    table: app.persons
    primaryKey: person_id
    identifiers: {email: email}
    identifiedColumn: is_identified
    events: {table: app.events, personKey: person_id, name: event_name, timestamp: occurred_at, sessionKey: session_id}
    relations: [{name: company, table: app.companies, key: id, foreignKey: company_id}]
`;

function run(yaml: string) {
  const file = path.join(dir, `ws-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `version: 1\nwarehouse: {type: duckdb, path: wh.duckdb}\n${yaml}`);
  return spawnSync(process.execPath, ['bin/outflow.js', '--config', file, 'validate', '--check-warehouse'], {
    encoding: 'utf8',
  });
}

describe('validate --check-warehouse', () => {
  it('passes a workspace whose tables, columns and value types fit', () => {
    const result = run(`entities:${ENTITY}
segments:
  - id: ok
    entity: person
    name: ok
    rules:
      conditions:
        - {kind: trait, trait: age, op: '>=', value: 18}
        - {kind: trait, trait: plan, op: contains, value: pro}
        - {kind: trait, trait: signup_at, op: within_last, value: {last: 30, unit: day}}
        - {kind: trait, trait: company.industry, op: in, value: [saas, retail]}
        - {kind: trait, trait: company.employees, op: '<', value: 50}
        - {kind: event, event: purchase, where: [{column: amount, op: '>', value: 10}, {column: url, op: starts_with, value: /p}]}
        - {kind: sessions, count: {op: '>=', value: 2}}
`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('names the path of every unknown table or column and every type mismatch, and exits 2', () => {
    const result = run(`entities:${ENTITY}
  - id: visitor
    sql: select person_id as vid, age from app.persons
    primaryKey: vid
    identifiers: {email: mail}
  - id: ghost
    table: app.nowhere
    primaryKey: id
    events: {table: app.events, personKey: person_id, name: event_name, timestamp: url}
segments:
  - id: fine
    entity: person
    name: fine
    rules: {conditions: [{kind: trait, trait: age, op: '=', value: 3}]}
  - id: bad
    entity: person
    name: bad
    rules:
      conditions:
        - {kind: trait, trait: age, op: '=', value: 'thirty'}
        - {kind: trait, trait: plan, op: '>', value: 3}
        - {kind: trait, trait: plan, op: within_last, value: {last: 3, unit: day}}
        - {kind: trait, trait: age, op: contains, value: '1'}
        - {kind: trait, trait: shoe_size, op: is_set}
        - kind: group
          match: any
          conditions:
            - {kind: trait, trait: company.employees, op: in, value: [1, 'many']}
            - {kind: event, event: purchase, where: [{column: amount, op: '=', value: 'ten'}, {column: colour, op: is_set}]}
  - id: by-sql
    entity: visitor
    name: by sql
    rules: {conditions: [{kind: trait, trait: age, op: starts_with, value: '4'}]}
`);
    expect(result.status).toBe(2);
    const expected = [
      'entities[2].table', // app.nowhere does not exist
      'entities[1].identifiers.email', // column "mail" not returned by the sql entity
      'entities[2].events.timestamp', // a text column used as the timestamp
      'segments[1].rules.conditions[0].value',
      'segments[1].rules.conditions[1].value',
      'segments[1].rules.conditions[2].op',
      'segments[1].rules.conditions[3].op',
      'segments[1].rules.conditions[4].trait',
      'segments[1].rules.conditions[5].conditions[0].value',
      'segments[1].rules.conditions[5].conditions[1].where[0].value',
      'segments[1].rules.conditions[5].conditions[1].where[1].column',
      'segments[2].rules.conditions[0].op',
    ];
    for (const p of expected) expect(result.stderr, p).toContain(`${p}:`);
    expect(result.stderr).not.toContain('segments[0]');
    expect(result.stderr).toContain('"thirty"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
