import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { loadWorkspace } from '../../src/config/load';
import { decodeRecordValues } from '../../src/destinations/record';
import { recordMappings, validateDestinations } from '../../src/destinations/registry';
import { warehouseProblems } from '../../src/segments/check-warehouse';
import { openWarehouse } from '../../src/warehouse';
import { runCli, withDuckDb } from './e2e-support';
import { HOOK_FIELDS, initialCompanies, initialHookPeople, SIGNING_SECRET, writeHookTables, writeHookWorkspace } from './webhook-support';

/**
 * `outflow validate` on webhook field mappings: the mapping's shape (exit 2 with the path), the
 * relations against each sync's entity, the columns against the warehouse (`--check-warehouse`),
 * and the warning when a destination receives unhashed personal data.
 */

const env = { HOOK_SECRET: SIGNING_SECRET };
const hook = (fields: Record<string, unknown>) => ({ url: 'https://hooks.example.com/outflow', mode: 'upsert', fields });
let dbPath = '';
const workspaceWith = (fields: Record<string, unknown>) =>
  writeHookWorkspace([{ id: 'hook', settings: hook(fields) }], (dir) => `{ type: duckdb, path: ${JSON.stringify((dbPath = path.join(dir, 'warehouse.duckdb')))} }`);

async function problemsOf(config: string): Promise<string[]> {
  try {
    await validateDestinations(loadWorkspace(config, { ...process.env, ...env }));
    return [];
  } catch (err) {
    if (!(err instanceof UserInputError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('outflow validate with a webhook destination', () => {
  let good: { dir: string; config: string };
  beforeAll(async () => {
    good = workspaceWith(HOOK_FIELDS);
    await withDuckDb(dbPath, (w) => writeHookTables(w, initialHookPeople(), initialCompanies()));
  });

  it('a malformed mapping exits 2 naming the field, without a stack trace', async () => {
    const work = workspaceWith({ plan: 'plan', industry: 'company..industry' });
    const r = await runCli(['--config', work.config, 'validate'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('destinations[0].settings.fields.industry');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await problemsOf(workspaceWith({ plan: { value: [1] } }).config)).toEqual([expect.stringMatching(/^destinations\[0\]\.settings\.fields\.plan: /)]);
    expect(await problemsOf(workspaceWith({}).config)).toEqual([expect.stringMatching(/^destinations\[0\]\.settings\.fields: map at least one field/)]);
    expect(await problemsOf(workspaceWith({ 'bad name!': 'plan' }).config)).toHaveLength(1);
  }, 30_000);

  it('a relation the sync\'s entity does not have is an error at the field', async () => {
    expect(await problemsOf(workspaceWith({ industry: 'employer.industry' }).config)).toEqual([
      'destinations[0].settings.fields.industry: entity "person" (synced here by a sync) has no relation "employer" (relations: company)',
    ]);
    expect(await problemsOf(good.config)).toEqual([]);
  });

  it('--check-warehouse and sync run: every mapped column exists, in the entity or its relation\'s table', async () => {
    const bad = workspaceWith({ plan: 'plan', tier: 'tier', industry: 'company.sector' });
    await withDuckDb(dbPath, (w) => writeHookTables(w, initialHookPeople(), initialCompanies()));
    const loaded = loadWorkspace(bad.config, { ...process.env, ...env });
    const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
    try {
      const problems = await warehouseProblems(loaded.workspace, warehouse, undefined, await recordMappings(loaded.workspace));
      expect(problems.map((p) => p.path)).toEqual(['destinations[0].settings.fields.industry', 'destinations[0].settings.fields.tier']);
      expect(problems[0]!.message).toMatch(/sector/);
    } finally {
      await warehouse.close();
    }
    // `sync run` checks the same before it records a run: exit 2 with the path, nothing sent.
    const run = await runCli(['--config', bad.config, 'sync', 'run', 'vips-hook'], env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('destinations[0].settings.fields.tier');
  });

  it('mapping personal data: exit 0 with a warning that the destination receives it unhashed', async () => {
    const work = workspaceWith({ ...HOOK_FIELDS, email: 'email', mobile: 'phone' });
    await withDuckDb(dbPath, (w) => writeHookTables(w, initialHookPeople(), initialCompanies()));
    const r = await runCli(['--config', work.config, 'validate', '--check-warehouse'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: ');
    expect(r.stderr).toContain('destinations[0].settings.fields.email: destination "hook" receives unhashed personal data: the email identifier of entity "person"');
    expect(r.stderr).toContain('destinations[0].settings.fields.mobile: destination "hook" receives unhashed personal data: the phone identifier');
    expect(r.stdout).toContain('valid');
    // Without personal data mapped, no warning.
    const { warnings } = await validateDestinations(loadWorkspace(good.config, { ...process.env, ...env }));
    expect(warnings).toEqual([]);
  }, 30_000);
});

describe('record text', () => {
  /** The documented encoding, written here from the docs: `<length>:<value>` or `-`, joined by `|`. */
  const encode = (values: readonly (string | null)[]) => values.map((v) => (v === null ? '-' : `${Array.from(v).length}:${v}`)).join('|');

  it('decodes every list of values, whatever characters they hold', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { minLength: 1, maxLength: 8 }), (values) => {
        expect(decodeRecordValues(encode(values), values.length)).toEqual(values);
      }),
    );
  });

  it('refuses text that is not exactly that many values', () => {
    expect(() => decodeRecordValues('3:abc|-', 1)).toThrow(/left over/);
    expect(() => decodeRecordValues('5:abc', 1)).toThrow(/past the end/);
    expect(() => decodeRecordValues('abc', 1)).toThrow(/length/);
  });
});
