import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Condition } from '../../src/segments/rule-schema';
import { rulesSchema } from '../../src/segments/rule-schema';
import { fromRules, newCondition, pathsByKey, toRules, updateNode, withoutKeys, type Rules, type UiCondition, type UiGroup } from '../../src/ui/rule-model';

/** Random valid SPEC §2 rule trees, groups nested up to depth 5. */
const units = fc.constantFrom('minute', 'hour', 'day', 'week', 'month' as const);
const relWindow = fc.record({ last: fc.integer({ min: 1, max: 500 }), unit: units });
const absWindow = fc
  .tuple(fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2030-01-01') }), fc.integer({ min: 1, max: 1e10 }))
  .map(([from, span]) => ({ from: new Date(from).toISOString(), to: new Date(from + span).toISOString() }));
const window = fc.option(fc.oneof(relWindow, absWindow), { nil: undefined });
const count = fc.record({ op: fc.constantFrom('=', '!=', '>', '>=', '<', '<=' as const), value: fc.integer({ min: 0, max: 1000 }) });
const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/);
const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer({ min: -1e6, max: 1e6 }), fc.boolean());
const filter = fc.oneof(
  fc.record({ column: name, op: fc.constantFrom('=', '!=', '>', '>=', '<', '<=' as const), value: scalar }),
  fc.record({ column: name, op: fc.constantFrom('contains', 'not_contains', 'starts_with', 'ends_with' as const), value: fc.string({ maxLength: 20 }) }),
  fc.record({ column: name, op: fc.constantFrom('in', 'not_in' as const), value: fc.array(scalar, { minLength: 1, maxLength: 4 }) }),
  fc.record({ column: name, op: fc.constantFrom('is_set', 'is_not_set' as const) }),
  fc.record({ column: name, op: fc.constantFrom('within_last', 'not_within_last' as const), value: relWindow }),
);
const strip = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc
    .record({ event: fc.string({ minLength: 1, maxLength: 20 }), performed: fc.boolean(), count: fc.option(count, { nil: undefined }), window, where: fc.option(fc.array(filter, { minLength: 1, maxLength: 3 }), { nil: undefined }) })
    .map((e) => strip({ kind: 'event' as const, ...e, count: e.performed ? e.count : undefined })),
  filter.map(({ column, ...f }) => ({ kind: 'trait' as const, trait: column, ...f })),
  fc.record({ kind: fc.constantFrom('first_seen', 'last_seen' as const), op: fc.constantFrom('within_last', 'not_within_last' as const), value: relWindow }),
  fc.record({ count, window }).map((s) => strip({ kind: 'sessions' as const, ...s })),
  fc.boolean().map((value) => ({ kind: 'identified' as const, value })),
  fc.record({ segment: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/), member: fc.boolean() }).map((s) => ({ kind: 'segment' as const, ...s })),
);
const tree = fc.letrec<{ cond: Condition; group: Condition }>((tie) => ({
  cond: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('group')),
  group: fc.record({ kind: fc.constant('group' as const), match: fc.constantFrom('all', 'any' as const), conditions: fc.array(tie('cond'), { minLength: 1, maxLength: 3 }) }),
}));
/** Depth of group nesting below the top level (the top level is depth 1). */
const depth = (c: Condition): number => (c.kind === 'group' ? 1 + Math.max(0, ...c.conditions.map(depth)) : 0);
const rules: fc.Arbitrary<Rules> = fc
  .record({ match: fc.constantFrom('all', 'any' as const), conditions: fc.array(tree.cond, { minLength: 1, maxLength: 4 }) })
  .filter((r) => Math.max(0, ...r.conditions.map(depth)) <= 4);

describe('builder rule model', () => {
  it('SPEC §2 JSON -> UI state -> JSON gives back the same rules, and the schema accepts them', () => {
    fc.assert(
      fc.property(rules, (r) => {
        expect(rulesSchema.safeParse(r).success).toBe(true);
        const back = toRules(fromRules(r));
        expect(back).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('UI state -> JSON -> UI state is the same tree (React keys aside)', () => {
    fc.assert(
      fc.property(rules, (r) => {
        const state = fromRules(r);
        expect(withoutKeys(fromRules(toRules(state)))).toEqual(withoutKeys(state));
      }),
      { numRuns: 300 },
    );
  });

  it('an event condition turned to "did not" drops its count, as the schema requires', () => {
    const root: UiGroup = fromRules({ conditions: [{ kind: 'event', event: 'purchase', performed: true, count: { op: '>=', value: 2 } }] });
    const key = root.conditions[0]!.key;
    const edited = updateNode(root, key, (c) => (c.kind === 'event' ? { ...c, performed: false } : c));
    const out = toRules(edited);
    expect(out.conditions[0]).toEqual({ kind: 'event', event: 'purchase', performed: false });
    expect(rulesSchema.safeParse(out).success).toBe(true);
  });

  it('paths by key point where the API reports errors', () => {
    const root = fromRules({ conditions: [{ kind: 'identified', value: true }, { kind: 'group', match: 'any', conditions: [{ kind: 'event', event: 'x', performed: true, where: [{ column: 'a', op: 'is_set' }] }] }] });
    const inner = (root.conditions[1] as UiGroup).conditions[0] as Extract<UiCondition, { kind: 'event' }>;
    const paths = pathsByKey(root);
    expect(paths.get(inner.key)).toBe('rules.conditions[1].conditions[0]');
    expect(paths.get(inner.where[0]!.key)).toBe('rules.conditions[1].conditions[0].where[0]');
    expect(newCondition('sessions').kind).toBe('sessions');
  });
});
