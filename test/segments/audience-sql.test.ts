import { describe, expect, it } from 'vitest';
import { type Workspace, workspaceSchema } from '../../src/config/schema';
import { dialectFor } from '../../src/segments';
import { compileAudience, compilePriorityList } from '../../src/segments/audience-source';
import { DIALECTS } from '../../src/warehouse/dialect';
import type { CompiledQuery } from '../../src/warehouse/driver';
import { baseWorkspace } from '../support/workspace';

/**
 * The SQL of sync audiences (priority list and exclusions) in every dialect: every value a bound
 * parameter, one per placeholder in reading order, also after a leading offset. DuckDB and
 * PostgreSQL run it against the reference in audience-property.test.ts.
 */

const MARKER = "zz'; DROP TABLE x; --";
const AS_OF = new Date('2024-03-31T12:00:00Z');
const base = baseWorkspace({
  schema: 'crm',
  entity: { identifiers: { email: 'email' } },
  segments: [
    { id: 'a', entity: 'person', name: 'a', rules: { conditions: [{ kind: 'event', event: MARKER, window: { last: 3, unit: 'day' } }] } },
    { id: 'b', entity: 'person', name: 'b', rules: { conditions: [{ kind: 'trait', trait: 'email', op: 'contains', value: MARKER }] } },
    { id: 'c', entity: 'person', name: 'c', rules: { match: 'any', conditions: [{ kind: 'trait', trait: 'plan', op: 'in', value: [MARKER] }, { kind: 'sessions', count: { op: '>=', value: 2 } }] } },
    { id: 'dnc', entity: 'person', name: 'dnc', type: 'static', members: [MARKER] },
  ],
});
const ws: Workspace = workspaceSchema.parse({ ...base, exclusions: ['dnc'], priorityLists: [{ id: 'l', segments: ['a', 'b', 'c'] }] });

function checkBound(q: CompiledQuery, offset: number): void {
  expect(q.sql).not.toContain('zz');
  expect(JSON.stringify(q.params)).toContain('zz');
  const numbered = [...q.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  if (numbered.length > 0) expect(numbered).toEqual(q.params.map((_, i) => i + 1 + offset));
  else expect(q.sql.match(/\?/g)?.length ?? 0).toBe(q.params.length);
}

describe.each(DIALECTS)('audience SQL on %s', (dialect) => {
  it('binds every value of a priority list evaluated in one statement', () => {
    for (const offset of [0, 2]) {
      const q = compilePriorityList(ws, 'l', { dialect: dialectFor(dialect), asOf: AS_OF, identifiers: ['email'], paramOffset: offset });
      checkBound(q, offset);
      expect(q.sql).toMatch(/CASE WHEN f\.\S+ = 1 THEN 0 WHEN f\.\S+ = 1 THEN 1 WHEN f\.\S+ = 1 THEN 2 END/);
    }
  });

  it("binds every value of a list segment's audience without its exclusions, its excluded count and the excluded persons", () => {
    const q = compileAudience(ws, { segment: 'c', ignoreExclusions: false }, { dialect: dialectFor(dialect), asOf: AS_OF, identifiers: ['email'] });
    for (const part of [q.members, q.excludedCount!, q.excludedMembers!]) checkBound(part, 0);
    expect(compileAudience(ws, { segment: 'c', ignoreExclusions: true }, { dialect: dialectFor(dialect), asOf: AS_OF }).excludedCount).toBeUndefined();
  });
});
