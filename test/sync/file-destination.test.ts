import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConnector } from '../../src/destinations/registry';
import { batchFile } from '../../connectors/file/writer';
import { DestinationError } from '../../src/destinations/contract';
import { sha256Hex } from '../../src/identity/hash';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fileDestination(settings: Record<string, unknown>) {
  const base = mkdtempSync(path.join(tmpdir(), 'outflow-file-'));
  dirs.push(base);
  const connector = (await loadConnector('file'))!;
  return { base, dest: connector.create(connector.settingsSchema.parse(settings), { baseDir: base }) };
}

describe('file destination', () => {
  it('is registered, resolves its folder from the workspace and takes a batch limit', async () => {
    const connector = await loadConnector('file');
    expect(connector?.type).toBe('file');
    expect(connector?.secretSettings).toEqual([]);
    expect(connector?.settingsSchema.safeParse({ path: 'x', typo: 1 }).success).toBe(false);
    const { base, dest } = await fileDestination({ path: 'exports', batchLimit: 500 });
    expect(dest.batchLimit).toBe(500);
    // testConnection creates the export folder (relative to the workspace) and checks it is writable.
    expect(existsSync(path.join(base, 'exports'))).toBe(false);
    await dest.testConnection();
    expect(statSync(path.join(base, 'exports')).isDirectory()).toBe(true);
  });

  it('keys every value as SHA-256 of its normalised form: no raw identifier in its files or a snapshot', async () => {
    const { dest } = await fileDestination({ path: 'exports' });
    const prepared = await dest.prepareKeys([
      { personId: 'p1', identifiers: { email: ' A@Example.com ', phone: null } },
      { personId: 'p2', identifiers: { email: 'a@example.com', phone: '+1 212 555 0100' } },
      { personId: 'p3', identifiers: { email: null } },
      { personId: 'p4', identifiers: { email: 'not an email' } },
    ]);
    expect(prepared.map((p) => p.personId)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(prepared[0]!.keys).toEqual({ email: sha256Hex('a@example.com') });
    expect(prepared[1]!.keys).toEqual({ email: sha256Hex('a@example.com'), phone: sha256Hex('+12125550100') });
    expect(prepared[2]).toEqual({ personId: 'p3', keys: {}, rejected: 'no usable identifier' });
    expect(prepared[3]).toEqual({ personId: 'p4', keys: {}, rejected: 'no usable identifier (email: not an email address)' });
    expect(JSON.stringify(prepared)).not.toMatch(/example\.com|212/);
  });

  it('writes one JSONL file per batch, named by batch id, and rejects rows without identifiers', async () => {
    const { base, dest } = await fileDestination({ path: 'exports' });
    const audience = await dest.createAudience({ name: 'amber-falcon-river' });
    const [p1] = await dest.prepareKeys([{ personId: 'p1', identifiers: { email: 'a@example.com', phone: null } }]);
    const results = await dest.addMembers(
      audience,
      [
        { personId: 'p1', identifiers: p1!.keys },
        { personId: 'p2', identifiers: { email: null } },
      ],
      { batchId: 'run-1/add/7' },
    );
    expect(results).toEqual([
      { personId: 'p1', ok: true },
      { personId: 'p2', ok: false, reason: 'no identifier value' },
    ]);
    await dest.removeMembers(audience, [{ personId: 'p9', identifiers: { email: 'z@example.com' } }], { batchId: 'run-1/remove/0' });
    const folder = path.join(base, 'exports', 'amber-falcon-river', 'run-1');
    expect(readdirSync(folder).sort()).toEqual(['add-000007.jsonl', 'remove-000000.jsonl']);
    expect(readFileSync(path.join(folder, 'add-000007.jsonl'), 'utf8')).toBe(`{"op":"add","personId":"p1","identifiers":{"email":"${sha256Hex('a@example.com')}"}}\n`);
  });

  it('is idempotent per batch id: a retried batch leaves the file as first written', async () => {
    const { base, dest } = await fileDestination({ path: 'out' });
    const audience = await dest.createAudience({ name: 'aud' });
    await dest.addMembers(audience, [{ personId: 'p1', identifiers: { email: 'a@example.com' } }], { batchId: 'r/add/0' });
    await dest.addMembers(audience, [{ personId: 'p1', identifiers: { email: 'a@example.com' } }], { batchId: 'r/add/0' });
    const folder = path.join(base, 'out', 'aud', 'r');
    expect(readdirSync(folder)).toEqual(['add-000000.jsonl']);
    expect(readFileSync(path.join(folder, 'add-000000.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('refuses names that could leave its folder, as invalid payloads', async () => {
    const { dest } = await fileDestination({ path: 'out' });
    await expect(dest.createAudience({ name: '../etc' })).rejects.toMatchObject({ kind: 'invalid_payload' });
    expect(() => batchFile('../../x/add/1')).toThrow(DestinationError);
    const audience = await dest.createAudience({ name: 'ok' });
    await expect(dest.addMembers(audience, [], { batchId: 'a/../../b/add/1' })).rejects.toMatchObject({ kind: 'invalid_payload' });
  });
});
