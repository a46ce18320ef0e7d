import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';
import type { WarehouseDriver } from '../../src/warehouse/driver';

/** Shared set-up of the end-to-end tests: a DuckDB persons table, a workspace file, the CLI. */

export interface Person {
  id: string;
  email: string | null;
  phone: string | null;
  vip: boolean;
}

const REPO = path.resolve(import.meta.dirname, '../..');
export const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** 30 people, most VIPs; mixed-case emails, formatted phones, some missing or broken values. */
export function initialPeople(): Person[] {
  return Array.from({ length: 30 }, (_, i) => ({
    id: `p${String(i).padStart(3, '0')}`,
    email: i === 7 ? 'not-an-email' : i === 8 ? null : ` User${i}@Example.COM`,
    phone: i % 3 === 0 ? null : i === 8 ? '12' : `+1 (212) 555-${String(1000 + i)}`,
    vip: i % 10 !== 9,
  }));
}

/** Meta's tuple for a person, computed independently of the connector. */
export function metaTuple(p: Person): string | undefined {
  const cells: string[] = [];
  const email = p.email?.trim().toLowerCase();
  if (email && email.includes('@') && email.includes('.')) cells.push(`EMAIL=${sha(email)}`);
  const digits = p.phone?.replace(/\D/g, '');
  if (digits && digits.length >= 11) cells.push(`PHONE=${sha(digits)}`);
  return cells.length > 0 ? cells.sort().join('|') : undefined;
}

/** Google's tuple for a person: phone hashed in E.164 with its plus. */
export function googleTuple(p: Person): string | undefined {
  const cells: string[] = [];
  const email = p.email?.trim().toLowerCase();
  if (email && email.includes('@') && email.includes('.')) cells.push(`email:${sha(email)}`);
  const digits = p.phone?.replace(/\D/g, '');
  if (digits && digits.length >= 11) cells.push(`phone:${sha(`+${digits}`)}`);
  return cells.length > 0 ? cells.sort().join(',') : undefined;
}

export function expectedAudience(people: readonly Person[], tuple: (p: Person) => string | undefined): Set<string> {
  const out = new Set<string>();
  for (const p of people) {
    const t = p.vip ? tuple(p) : undefined;
    if (t) out.add(t);
  }
  return out;
}

export async function writePeople(w: WarehouseDriver, people: readonly Person[]): Promise<void> {
  await w.execute('create or replace table main.persons (person_id text, email text, phone text, vip boolean)');
  for (const p of people)
    await w.execute('insert into main.persons values ($1, $2, $3, $4)', [p.id, p.email, p.phone, p.vip]);
}

export interface Workdir {
  dir: string;
  config: string;
  dbPath: string;
}

/**
 * A workspace with one segment (the VIPs) synced to each given destination. Secret
 * settings are `${env:...}` references, as users write them.
 */
export function writeWorkspace(destinations: { id: string; type: string; settings: Record<string, unknown> }[], o: { dbPath?: string } = {}): Workdir {
  const dir = mkdtempSync(path.join(tmpdir(), 'outflow-e2e-'));
  const dbPath = o.dbPath ?? path.join(dir, 'warehouse.duckdb');
  const text = [
    'version: 1',
    `warehouse: { type: duckdb, path: ${JSON.stringify(dbPath)} }`,
    'entities:',
    '  - id: person',
    // Until dynamic segments compile everywhere, the VIP filter sits in the entity's SQL.
    '    sql: "select * from main.persons where vip"',
    '    primaryKey: person_id',
    '    identifiers: { email: email, phone: phone }',
    'segments:',
    '  - id: vips',
    '    entity: person',
    '    name: VIP customers with a health flag',
    '    alias: aud-vips',
    '    type: everyone',
    'destinations:',
    // The test audiences are far below the platforms' minimum sizes (tested in test/sync/min-audience.test.ts).
    ...destinations.map((d) => `  - ${JSON.stringify({ minAudienceSize: 0, ...d })}`),
    'syncs:',
    ...destinations.map((d) => `  - { id: vips-${d.id}, segment: vips, destination: ${d.id} }`),
    '',
  ].join('\n');
  const config = path.join(dir, 'outflow.yaml');
  writeFileSync(config, text);
  return { dir, config, dbPath };
}

export async function withDuckDb<T>(dbPath: string, fn: (w: WarehouseDriver) => Promise<T>): Promise<T> {
  // DuckDbDriver.open creates the file on first use; openWarehouse (a workspace's warehouse) never does.
  const w = await DuckDbDriver.open({ path: dbPath });
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `outflow <args>` as users do, with `env` added to this process's environment. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/outflow.js'), ...args], {
      cwd: REPO,
      env: { ...process.env, ...env, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
