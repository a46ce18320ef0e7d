import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../src/config/load';

describe('workspace file', () => {
  it('accepts a minimal workspace and fills defaults', () => {
    const { workspace } = parseWorkspace(
      'version: 1\nwarehouse: {type: duckdb}\nentities: [{id: person, table: persons, primaryKey: id}]\n',
    );
    expect(workspace.stateSchema).toBe('outflow');
    expect(workspace.entities[0]!.kind).toBe('person');
  });
});
