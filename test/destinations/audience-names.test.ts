import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/load';
import { DestinationError } from '../../src/destinations/contract';
import { destinationFactory } from '../../src/destinations/registry';

const dir = mkdtempSync(path.join(tmpdir(), 'outflow-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Nothing listens on port 9: a request that got through would fail with a connection error instead.
const { workspace } = parseWorkspace(`version: 1
warehouse: {type: duckdb}
entities: [{id: person, table: persons, primaryKey: id}]
destinations:
  - {id: meta-main, type: meta, settings: {adAccountId: "1", accessToken: t, apiBaseUrl: "http://127.0.0.1:9"}}
  - {id: out, type: file, settings: {path: ./out}}
`);

describe("the destination's own rule for audience names, at run time", () => {
  const destinations = destinationFactory(workspace, dir);

  it('refuses a name the platform would refuse before asking the platform', async () => {
    const meta = await destinations(workspace.destinations[0]!);
    const err = await meta.createAudience({ name: `a${'b'.repeat(64)}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect(err).toMatchObject({ kind: 'invalid_payload', message: expect.stringMatching(/^Meta Custom Audiences takes audience names of at most 64 characters; "ab+" has 65$/) });
    // Everything else is the connector's own.
    expect(meta.batchLimit).toBeGreaterThan(0);
    expect(meta.acceptedIdentifiers).toContain('email');
  });

  it('passes a name within the rule on to the destination', async () => {
    const file = await destinations(workspace.destinations[1]!);
    await expect(file.createAudience({ name: `a${'b'.repeat(99)}` })).resolves.toMatchObject({ name: `a${'b'.repeat(99)}` });
    expect(existsSync(path.join(dir, 'out', `a${'b'.repeat(99)}`))).toBe(true);
  });
});
