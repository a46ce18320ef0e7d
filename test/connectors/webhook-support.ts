import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WarehouseDriver } from '../../src/warehouse/driver';

/**
 * Shared set-up of the webhook tests: persons with a company relation, a workspace syncing the VIPs
 * to webhook destinations, and the records the receiver must hold, computed from the test's own
 * rows (not from the connector).
 */

export interface HookPerson {
  id: string;
  email: string | null;
  phone: string | null;
  plan: string | null;
  score: number | null;
  companyId: string | null;
  vip: boolean;
}

export type Companies = Record<string, string | null>;

export const SIGNING_SECRET = 'whsec-test-0123456789abcdef';

export function initialHookPeople(): HookPerson[] {
  return Array.from({ length: 30 }, (_, i) => ({
    id: `p${String(i).padStart(3, '0')}`,
    email: ` Hook${i}@Example.COM`,
    phone: i % 4 === 0 ? null : `+1 (212) 555-${String(2000 + i)}`,
    // Values that need care in JSON and in the length-prefixed record text.
    plan: i === 5 ? null : i === 6 ? 'pro|"x":1' : i === 7 ? 'größe 🚀' : i % 2 === 0 ? 'pro' : 'free',
    score: i === 9 ? null : i * 10,
    companyId: i === 11 ? null : `c${i % 5}`,
    vip: i % 10 !== 9,
  }));
}

export function initialCompanies(): Companies {
  return { c0: 'retail', c1: 'saas', c2: null, c3: 'health', c4: 'finance' };
}

/** The mapping every test destination uses (a relation column, entity columns, a constant). */
export const HOOK_FIELDS = { plan: 'plan', score: 'score', industry: 'company.industry', source: { value: 'outflow' } };

/** What the receiver must hold for one member under HOOK_FIELDS (numbers arrive as text). */
export function expectedRecord(p: HookPerson, companies: Companies): Record<string, unknown> {
  return {
    industry: p.companyId === null ? null : (companies[p.companyId] ?? null),
    plan: p.plan,
    score: p.score === null ? null : String(p.score),
    source: 'outflow',
  };
}

/** The VIPs' records by id. */
export function expectedRecords(people: readonly HookPerson[], companies: Companies): Map<string, Record<string, unknown>> {
  return new Map(people.filter((p) => p.vip).map((p) => [p.id, expectedRecord(p, companies)]));
}

export async function writeHookTables(w: WarehouseDriver, people: readonly HookPerson[], companies: Companies, schema = 'main'): Promise<void> {
  const q = (name: string) => `${schema}.${name}`;
  await w.execute(`drop table if exists ${q('persons')}`);
  await w.execute(`drop table if exists ${q('companies')}`);
  await w.execute(`create table ${q('persons')} (person_id text, email text, phone text, plan text, score integer, company_id text, vip boolean)`);
  await w.execute(`create table ${q('companies')} (company_id text, industry text)`);
  for (const p of people)
    await w.execute(`insert into ${q('persons')} values ($1, $2, $3, $4, $5, $6, $7)`, [p.id, p.email, p.phone, p.plan, p.score, p.companyId, p.vip]);
  for (const [id, industry] of Object.entries(companies)) await w.execute(`insert into ${q('companies')} values ($1, $2)`, [id, industry]);
}

/**
 * A workspace file syncing the VIPs to each given webhook destination (sync `vips-<id>`, audience
 * `<id>`); `warehouse` gives the YAML of the warehouse in the new folder. The signing secret is an `${env:HOOK_SECRET}` reference, as users write it.
 */
export function writeHookWorkspace(
  destinations: { id: string; settings: Record<string, unknown> }[],
  warehouse: (dir: string) => string,
  schema = 'main',
): { dir: string; config: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'outflow-webhook-'));
  const text = [
    'version: 1',
    `warehouse: ${warehouse(dir)}`,
    `stateSchema: ${schema === 'main' ? 'outflow' : `${schema}_state`}`,
    'entities:',
    '  - id: person',
    `    sql: "select * from ${schema}.persons where vip"`,
    '    primaryKey: person_id',
    '    identifiers: { email: email, phone: phone }',
    '    relations:',
    `      - { name: company, table: ${schema}.companies, key: company_id, foreignKey: company_id }`,
    'segments:',
    '  - { id: vips, entity: person, name: VIPs, alias: aud-vips, type: everyone }',
    'destinations:',
    ...destinations.map((d) => `  - ${JSON.stringify({ id: d.id, type: 'webhook', settings: { signingSecret: '${env:HOOK_SECRET}', ...d.settings } })}`),
    'syncs:',
    ...destinations.map((d) => `  - { id: vips-${d.id}, segment: vips, destination: ${d.id}, audienceName: ${d.id}, maxRemovalShare: 1 }`),
    '',
  ].join('\n');
  const config = path.join(dir, 'outflow.yaml');
  writeFileSync(config, text);
  return { dir, config };
}
