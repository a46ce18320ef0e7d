/**
 * `outflow apply` of a workspace of 200 segments and 500 syncs, on a SQLite and a PostgreSQL
 * store: the first apply into a fresh store, then a re-apply of the unchanged file (must write
 * nothing: statements are counted), the read path every command takes (fingerprint + definitions),
 * and a one-segment change. Baseline in the same run: loading (parsing and checking) the file
 * alone. Also the whole `outflow apply` command in a fresh process, against `outflow validate` of
 * the same file in a fresh process. Target: < 2 s, 0 writes.
 *   npx tsx bench/apply.ts [segments] [syncs]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadWorkspace } from '../src/config/load';
import { applyWorkspace, loadWorkspaceThroughStore, openStoreFor } from '../src/store';

const SEGMENTS = Number(process.argv[2] ?? 200);
const SYNCS = Number(process.argv[3] ?? 500);
const DESTINATIONS = 10;
const TARGET_MS = 2_000;
const PG_URL = process.env.OUTFLOW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BIN = path.resolve(import.meta.dirname, '../bin/outflow.js');
const ENV = { ...process.env, BENCH_META_TOKEN: 'bench-token' };
const actor = { name: 'apply', origin: 'bench' };

/** A workspace of `segments` segments (every fourth refers to an earlier one) and `syncs` syncs over ten destinations. */
function workspaceYaml(store: string, rename = ''): string {
  const lines = [
    'version: 1',
    'warehouse: {type: duckdb, path: ./wh.duckdb}',
    store,
    'entities:',
    '  - id: person',
    '    table: main.persons',
    '    primaryKey: person_id',
    '    identifiers: {email: email, phone: phone}',
    '    events: {table: main.events, personKey: person_id, name: event_name, timestamp: occurred_at, sessionKey: session_id}',
    '    relations: [{name: company, table: main.companies, key: company_id, foreignKey: company_id}]',
    'segments:',
  ];
  for (let i = 0; i < SEGMENTS; i++) {
    const conditions = [
      `{kind: event, event: purchase, count: {op: ">=", value: ${1 + (i % 5)}}, window: {last: ${7 + i}, unit: day}}`,
      `{kind: trait, trait: plan, op: in, value: [pro, team, tier-${i}]}`,
      `{kind: trait, trait: company.employees, op: ">", value: ${i * 10}}`,
      `{kind: group, match: any, conditions: [{kind: identified, value: true}, {kind: last_seen, op: within_last, value: {last: ${i + 1}, unit: week}}]}`,
    ];
    if (i % 4 === 3) conditions.push(`{kind: segment, segment: seg-${i - 3}}`);
    lines.push(`  - {id: seg-${i}, entity: person, name: "Segment ${i}${i === 0 ? rename : ''}", labels: [bench], rules: {match: all, conditions: [${conditions.join(', ')}]}}`);
  }
  lines.push('destinations:');
  for (let d = 0; d < DESTINATIONS; d++) {
    if (d % 3 === 0) lines.push(`  - {id: dest-${d}, type: file, settings: {path: ./exports-${d}}}`);
    else if (d % 3 === 1) lines.push(`  - {id: dest-${d}, type: meta, settings: {adAccountId: "${d}", accessToken: "\${env:BENCH_META_TOKEN}"}}`);
    else lines.push(`  - {id: dest-${d}, type: meta, settings: {adAccountId: "${d}", accessToken: "literal-secret-${d}"}}`);
  }
  lines.push('syncs:');
  for (let s = 0; s < SYNCS; s++)
    lines.push(`  - {id: sync-${s}, segment: seg-${s % SEGMENTS}, destination: dest-${Math.floor(s / SEGMENTS) * 3 + (s % 3)}, schedule: "0 ${s % 24} * * *"}`);
  return `${lines.join('\n')}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function ms(start: number): number {
  return performance.now() - start;
}

const isWrite = (sql: string) => /^\s*(insert|update|delete|create|drop|alter)\b/i.test(sql);

async function bench(backend: 'sqlite' | 'postgres'): Promise<boolean> {
  const dir = mkdtempSync(path.join(tmpdir(), 'outflow-bench-apply-'));
  const schema = `bench_apply_${Math.random().toString(36).slice(2, 8)}`;
  const storeLine = backend === 'postgres' ? `store: {type: postgres, connectionString: "${PG_URL}", schema: ${schema}}` : '';
  const file = path.join(dir, 'outflow.yaml');
  writeFileSync(file, workspaceYaml(storeLine));
  let ok: boolean;
  try {
    const parse: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      loadWorkspace(file, ENV);
      parse.push(ms(t));
    }
    const baseline = median(parse);

    const statements: string[] = [];
    const trace = (sql: string) => statements.push(sql);
    let t = performance.now();
    const loaded = loadWorkspace(file, ENV);
    const store = await openStoreFor(loaded, { env: ENV, trace });
    const first = await applyWorkspace(store, loaded, readFileSync(file, 'utf8'), { actor });
    const fresh = ms(t);
    const firstWrites = statements.filter(isWrite).length;

    const reapply: number[] = [];
    let reapplyWrites = 0;
    for (let i = 0; i < 5; i++) {
      statements.length = 0;
      t = performance.now();
      const again = loadWorkspace(file, ENV);
      const r = await applyWorkspace(store, again, readFileSync(file, 'utf8'), { actor });
      reapply.push(ms(t));
      reapplyWrites += statements.filter(isWrite).length + (r.wrote ? 1 : 0);
    }

    const read: number[] = [];
    let readWrites = 0;
    for (let i = 0; i < 5; i++) {
      statements.length = 0;
      t = performance.now();
      await loadWorkspaceThroughStore(file, { env: ENV, trace });
      read.push(ms(t));
      readWrites += statements.filter(isWrite).length;
    }

    writeFileSync(file, workspaceYaml(storeLine, ' (renamed)'));
    statements.length = 0;
    t = performance.now();
    const changed = await applyWorkspace(store, loadWorkspace(file, ENV), readFileSync(file, 'utf8'), { actor });
    const oneChange = ms(t);
    const changeWrites = statements.filter(isWrite).length;
    await store.close();

    const ratio = (x: number) => `${(x / baseline).toFixed(1)}x`;
    console.log(`${backend} store (${first.counts.create} objects: 1 entity, ${SEGMENTS} segments, ${DESTINATIONS} destinations, ${SYNCS} syncs)`);
    console.log(`  baseline: load the file alone (parse + check)      ${baseline.toFixed(0).padStart(6)} ms`);
    console.log(`  first apply into a fresh store (migrations incl.)  ${fresh.toFixed(0).padStart(6)} ms  ${ratio(fresh)}  ${firstWrites} write statements`);
    console.log(`  re-apply, file unchanged (median of 5)             ${median(reapply).toFixed(0).padStart(6)} ms  ${ratio(median(reapply))}  ${reapplyWrites} writes`);
    console.log(`  a command's read path, file unchanged (median of 5)${median(read).toFixed(0).padStart(6)} ms  ${ratio(median(read))}  ${readWrites} writes`);
    console.log(`  apply with one segment renamed                     ${oneChange.toFixed(0).padStart(6)} ms  ${ratio(oneChange)}  ${changeWrites} write statements (${changed.counts.update} updated)`);

    // The whole command in a fresh process, into a fresh store: Node, module loading, knex, migrations.
    const cliSchema = `${schema}_cli`;
    writeFileSync(file, workspaceYaml(backend === 'postgres' ? storeLine.replace(schema, cliSchema) : storeLine));
    rmSync(path.join(dir, '.outflow'), { recursive: true, force: true });
    const run = (command: string) => {
      const started = performance.now();
      execFileSync(process.execPath, [BIN, command, '--config', file], { env: ENV, stdio: 'ignore' });
      return ms(started);
    };
    const validate = run('validate');
    const cli = run('apply');
    const cliAgain = run('apply');
    console.log(`  baseline: \`outflow validate\` in a new process     ${validate.toFixed(0).padStart(6)} ms`);
    console.log(`  \`outflow apply\` in a new process, fresh store     ${cli.toFixed(0).padStart(6)} ms  ${(cli / validate).toFixed(2)}x  (target < ${TARGET_MS} ms: ${cli < TARGET_MS ? 'met' : 'NOT met'})`);
    console.log(`  \`outflow apply\` again, nothing changed            ${cliAgain.toFixed(0).padStart(6)} ms  ${(cliAgain / validate).toFixed(2)}x`);
    if (backend === 'postgres') await dropSchemas([schema, cliSchema]);
    ok = reapplyWrites === 0 && readWrites === 0;
    if (!ok) console.log('  FAILED: an unchanged file wrote to the store');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ok;
}

async function dropSchemas(schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade`);
  await client.end();
}

async function postgresUp(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let ok = await bench('sqlite');
if (await postgresUp()) ok = (await bench('postgres')) && ok;
else console.log(`postgres store: skipped (${PG_URL} is unreachable)`);
process.exitCode = ok ? 0 : 1;
