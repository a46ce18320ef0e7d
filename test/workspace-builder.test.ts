import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../src/config/load';
import { invalidWorkspaceFiles } from './support/invalid-workspaces';
import { BASE_FILE_OPTIONS, baseWorkspace, baseWorkspaceYaml } from './support/workspace';

describe('the base workspace builder', () => {
  it('builds the same workspace as a file and as an object', () => {
    const segments = 'segments:\n  - { id: buyers, entity: person, name: buyers, rules: { conditions: [{ kind: event, event: purchase }] } }\n';
    expect(parseWorkspace(baseWorkspaceYaml() + segments).workspace).toEqual(
      baseWorkspace({ ...BASE_FILE_OPTIONS, segments: [{ id: 'buyers', rules: { conditions: [{ kind: 'event', event: 'purchase' }] } }] }),
    );
  });

  it('the committed invalid-config fixtures are exactly what invalid-workspaces.ts builds', () => {
    for (const [name, text] of invalidWorkspaceFiles()) expect(readFileSync(new URL(`./fixtures/invalid/${name}`, import.meta.url), 'utf8'), name).toBe(text);
  });
});
