import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/load';
import { MAX_STATIC_MEMBERS, segmentSchema } from '../../src/config/schema';
import { compileCount } from '../../src/segments';
import { ensureSegmentState } from '../../src/state/state-sql';
import { openWarehouse } from '../../src/warehouse';

const yaml = (segments: string) => `version: 1
warehouse: {type: duckdb}
entities:
  - {id: person, table: main.persons, primaryKey: person_id, relations: [{name: list, table: main.vip_list, key: person_id, foreignKey: person_id}]}
segments:
${segments}`;

/**
 * A million members in the workspace file took 18 s and 1.85 GB for `segments size` (the YAML, the
 * store and a list parameter of every key). The limit is lower, and the error says how to load a
 * larger list: into a warehouse table, as a dynamic segment over it.
 */
describe('static segments in the workspace file', () => {
  it(`list at most ${MAX_STATIC_MEMBERS.toLocaleString('en-US')} members; the error says how to load more`, () => {
    expect(MAX_STATIC_MEMBERS).toBeLessThanOrEqual(10_000);
    const members = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);
    expect(segmentSchema.safeParse({ id: 'picked', entity: 'person', name: 'Picked', type: 'static', members: members(MAX_STATIC_MEMBERS) }).success).toBe(true);
    expect(() => parseWorkspace(yaml(`  - {id: picked, entity: person, name: Picked, type: static, members: ${JSON.stringify(members(MAX_STATIC_MEMBERS + 1))}}`))).toThrow(
      new RegExp(
        `segments\\[0\\]\\.members: ${MAX_STATIC_MEMBERS + 1} members; a static segment lists at most ${MAX_STATIC_MEMBERS} in the workspace file\\. ` +
          'For a larger list, store its members in the warehouse \\(outflow segments members-add <id> --file keys.txt, or outflow segments populate <id> --sql "select \\.\\.\\."\\), ' +
          'or load the keys \\(one row each\\) into a warehouse table and make a dynamic segment of it',
      ),
    );
  });

  it('the larger-list recipe the error gives selects exactly the listed persons', async () => {
    const { workspace } = parseWorkspace(
      yaml(`  - {id: listed, entity: person, name: Listed, rules: {match: all, conditions: [{kind: trait, trait: list.person_id, op: is_set}]}}
  - {id: picked, entity: person, name: Picked, type: static, members: [p1, p3, p7]}`),
    );
    const w = await openWarehouse(workspace.warehouse);
    try {
      await ensureSegmentState(w, workspace);
      await w.execute(`create table persons as select 'p' || i as person_id from range(10) t(i)`);
      await w.execute(`create table vip_list as select * from (values ('p1'), ('p3'), ('p7'), ('p99')) v(person_id)`);
      const count = async (id: string) => {
        const q = compileCount(workspace, id, { dialect: w.dialect, asOf: new Date() });
        return Number((await w.query<{ n: unknown }>(q.sql, q.params))[0]!.n);
      };
      expect(await count('listed')).toBe(3);
      expect(await count('listed')).toBe(await count('picked'));
    } finally {
      await w.close();
    }
  });
});
