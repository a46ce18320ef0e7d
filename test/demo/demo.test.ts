import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../src/config/load';
import { runDemo } from '../../src/demo/run-demo';
import { BETA_TESTERS } from '../../src/demo/workspace';
import { warehouseProblems } from '../../src/segments/check-warehouse';
import { DuckDbDriver } from '../../src/warehouse/duckdb/driver';

const ANCHOR = new Date('2026-03-01T00:00:00Z');
const PERSONS = 2_000;

let root: string;
const dirs = { a: '', b: '', other: '' };
const output: Record<string, string[]> = { a: [], b: [], other: [] };

async function demo(name: keyof typeof dirs, seed = 7, persons = PERSONS) {
  output[name] = [];
  return runDemo({ dir: dirs[name], persons, seed, anchor: ANCHOR, print: (l) => output[name]!.push(l) });
}

async function withDb<T>(dir: string, fn: (db: DuckDbDriver) => Promise<T>): Promise<T> {
  const db = await DuckDbDriver.open({ path: path.join(dir, 'warehouse.duckdb') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** An order-independent checksum of every row of a table. */
async function checksum(dir: string, table: string): Promise<string> {
  return withDb(dir, async (db) => {
    const [row] = await db.query<{ c: string }>(`select (count(*) || ':' || sum(hash(t) % 1000000007)) as c from ${table} t`);
    return row!.c;
  });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'outflow-demo-test-'));
  for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[k] = path.join(root, k);
  await demo('a');
  await demo('b');
  await demo('other', 8);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('demo data', () => {
  it('creates the persons, companies and events tables', async () => {
    await withDb(dirs.a, async (db) => {
      const [counts] = await db.query<Record<string, number>>(
        `select (select count(*) from main.persons) as persons, (select count(distinct person_id) from main.persons) as ids,
                (select count(*) from main.companies) as companies, (select count(*) from main.events) as events`,
      );
      expect(counts).toMatchObject({ persons: PERSONS, ids: PERSONS, companies: 50 });
      expect(counts!.events).toBeGreaterThan(PERSONS * 5);
      const personColumns = (await db.columns('main.persons'))!.map((c) => c.name);
      expect(personColumns).toEqual([
        'person_id', 'email', 'phone', 'first_name', 'last_name', 'zip', 'city', 'country', 'maid', 'plan', 'device',
        'browser', 'lifetime_value', 'signup_date', 'signed_up_at', 'is_identified', 'company_id',
      ]);
      expect((await db.columns('main.events'))!.map((c) => [c.name, c.family])).toEqual([
        ['event_id', 'number'], ['person_id', 'text'], ['event_name', 'text'], ['occurred_at', 'timestamp'],
        ['session_id', 'text'], ['url', 'text'], ['amount', 'number'], ['category', 'text'],
      ]);
    });
  });

  it('is deterministic: the same seed gives the same rows, another seed other rows', async () => {
    for (const table of ['main.persons', 'main.companies', 'main.events']) {
      const [a, b, other] = await Promise.all([checksum(dirs.a, table), checksum(dirs.b, table), checksum(dirs.other, table)]);
      expect(a, table).toBe(b);
      expect(a, table).not.toBe(other);
    }
  });

  it('has identifiers as messy as real data: nulls, case, spaces, phone formats', async () => {
    await withDb(dirs.a, async (db) => {
      const [m] = await db.query<Record<string, number>>(`select
          count(*) filter (where email is null) as email_null,
          count(*) filter (where email <> lower(email)) as email_case,
          count(*) filter (where email <> trim(email)) as email_spaces,
          count(*) filter (where phone is null) as phone_null,
          count(*) filter (where phone like '(%) %-%') as phone_us_paren,
          count(*) filter (where phone like '+44 %') as phone_uk_plus,
          count(*) filter (where phone like '00%') as phone_00,
          count(*) filter (where first_name <> trim(first_name) or first_name = upper(first_name)) as first_messy,
          count(*) filter (where last_name is null) as last_null,
          count(*) filter (where zip is null) as zip_null,
          count(*) filter (where country is null) as country_null,
          count(*) filter (where country <> upper(country)) as country_lower,
          count(*) filter (where maid is null) as maid_null,
          count(*) filter (where maid = upper(maid) and maid like '%-%') as maid_upper,
          count(*) filter (where maid = lower(maid)) as maid_lower,
          count(*) filter (where company_id is null) as company_null,
          count(*) filter (where company_id not in (select company_id from main.companies)) as company_dangling
        from main.persons`);
      for (const [name, n] of Object.entries(m!)) expect(n, name).toBeGreaterThan(0);
      const [bad] = await db.query<{ n: number }>(`select count(*) as n from main.persons where country is not null and length(country) <> 2`);
      expect(bad!.n).toBe(0);
    });
  });

  it('has phone numbers that mostly parse as valid for the person\'s country', async () => {
    const rows = await withDb(dirs.a, (db) =>
      db.query<{ phone: string; country: string }>(`select phone, upper(country) as country from main.persons where phone is not null and country is not null`),
    );
    const valid = rows.filter((r) => parsePhoneNumberFromString(r.phone, r.country as CountryCode)?.isValid()).length;
    expect(rows.length).toBeGreaterThan(300);
    expect(valid / rows.length).toBeGreaterThan(0.85);
    expect(valid).toBeLessThan(rows.length); // junk such as "n/a" is there too
  });

  it('has events of every kind with their columns, none after the anchor', async () => {
    await withDb(dirs.a, async (db) => {
      const kinds = await db.query<Record<string, number | string>>(`select event_name,
          count(*) as n, count(url) as url, count(amount) as amount, count(*) filter (where amount <= 0) as bad_amount,
          count(session_id) as session
        from main.events group by 1 order by 1`);
      expect(kinds.map((k) => k.event_name)).toEqual(['add_to_cart', 'page_view', 'purchase', 'signup']);
      const by = Object.fromEntries(kinds.map((k) => [k.event_name, k]));
      expect(by.page_view!.url).toBe(by.page_view!.n);
      expect(by.purchase!.amount).toBe(by.purchase!.n);
      expect(by.purchase!.bad_amount).toBe(0);
      expect(by.add_to_cart!.url).toBe(0);
      expect(by.page_view!.session).toBeLessThan(Number(by.page_view!.n)); // some lost their session
      expect(by.signup!.session).toBe(0);
      const [span] = await db.query<{ first: Date; last: Date; orphans: number }>(
        `select min(occurred_at) as first, max(occurred_at) as last,
                (select count(*) from main.events e where not exists (select 1 from main.persons p where p.person_id = e.person_id)) as orphans
         from main.events`,
      );
      expect(span!.last.getTime()).toBeLessThanOrEqual(ANCHOR.getTime());
      expect(span!.first.getTime()).toBeGreaterThanOrEqual(ANCHOR.getTime() - 541 * 86_400_000);
      expect(span!.orphans).toBe(0);
      const [ltv] = await db.query<{ off: number }>(
        `select count(*) as off from main.persons p
         where lifetime_value <> coalesce((select sum(amount) from main.events e where e.person_id = p.person_id and event_name = 'purchase'), 0)`,
      );
      expect(ltv!.off).toBe(0);
    });
  });
});

describe('outflow demo', () => {
  it('writes a workspace file that validates, also against the warehouse', async () => {
    const loaded = loadWorkspace(path.join(dirs.a, 'outflow.yaml'));
    const kinds = new Set<string>();
    const visit = (cs: readonly { kind: string; conditions?: unknown }[]) =>
      cs.forEach((c) => {
        kinds.add(c.kind);
        if (Array.isArray(c.conditions)) visit(c.conditions as { kind: string }[]);
      });
    for (const s of loaded.workspace.segments) {
      kinds.add(`type:${s.type}`);
      if (s.rules) visit(s.rules.conditions);
    }
    expect([...kinds].sort()).toEqual(
      ['event', 'first_seen', 'group', 'identified', 'last_seen', 'segment', 'sessions', 'trait', 'type:dynamic', 'type:everyone', 'type:static'].sort(),
    );
    const problems = await withDb(dirs.a, (db) => warehouseProblems(loaded.workspace, db));
    expect(problems).toEqual([]);
  });

  it('prints the size of every segment', () => {
    const sizes = new Map(
      output.a!.filter((l) => /^ {2}\S+ +[\d,]+ {2}/.test(l)).map((l) => {
        const [id, n] = l.trim().split(/\s+/);
        return [id!, Number(n!.replaceAll(',', ''))];
      }),
    );
    expect(sizes.size).toBe(20);
    expect(sizes.get('all-persons')).toBe(PERSONS);
    expect(sizes.get('beta-testers')).toBe(BETA_TESTERS.length);
    for (const [id, n] of sizes) {
      expect(n, id).toBeGreaterThan(0);
      expect(n, id).toBeLessThanOrEqual(PERSONS);
    }
  });

  it('reuses an unchanged warehouse and rebuilds a changed one, leaving no temporary files', async () => {
    await demo('a');
    expect(output.a![0]).toMatch(/^Reusing /);
    await demo('a', 7, 1_000);
    expect(output.a![0]).toMatch(/^Generated .*1,000 persons/);
    expect(readdirSync(dirs.a).sort()).toEqual(['.outflow', 'outflow.yaml', 'warehouse.duckdb']);
    // .outflow/ holds the control-plane store the demo workspace is applied to (docs/store.md).
    expect(readdirSync(path.join(dirs.a, '.outflow'))).toEqual(['store.sqlite']);
  });

  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [path.resolve(import.meta.dirname, '../../bin/outflow.js'), 'demo', ...args],
        { cwd: root, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );

  it('runs from the command line, ends by itself and prints no progress bar when piped', async () => {
    const dir = path.join(root, 'cli');
    const run = await cli(['--persons', '300', '--dir', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Generated cli[/\\]warehouse\.duckdb: 300 persons/);
    expect(run.stdout).toMatch(/all-persons +300 {2}Everyone/);
    expect(existsSync(path.join(dir, 'outflow.yaml'))).toBe(true);
  });

  it('rejects a bad --persons with exit 2 and no stack trace', async () => {
    const run = await cli(['--persons', 'many', '--dir', path.join(root, 'bad')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: --persons: expected a whole number from 1 to 1000000000, got "many"\n');
    expect(existsSync(path.join(root, 'bad'))).toBe(false);
  });
});
