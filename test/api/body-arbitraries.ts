import fc from 'fast-check';
import { AWKWARD_TEXT } from '../segments/arbitraries';

/**
 * Generators of request bodies for the API fuzz suite: segment bodies close to valid (so the
 * deep paths of the schema are reached) with one mutation each, and arbitrary JSON. The
 * workspace-file fuzz suite's generators cover the same shapes; once they are exported, these
 * are the ones to replace with them (`segmentBodyArb`, `mutatedBodyArb`).
 */

const HOSTILE = [
  ...AWKWARD_TEXT,
  "'; drop table segments; --",
  '${env:OUTFLOW_SECRET_KEY}',
  '{{> state/drop-table}}',
  '\u0000',
  '\u0001marker\u0001',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'a'.repeat(5000),
  '__proto__',
  'constructor',
];
export const hostileString = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));

const windowArb = fc.oneof(
  fc.record({ last: fc.integer({ min: 1, max: 400 }), unit: fc.constantFrom('minute', 'hour', 'day', 'week', 'month') }),
  fc.constant({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }),
);

const conditionArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ kind: fc.constant('trait'), trait: fc.constantFrom('vip', 'country', 'email'), op: fc.constantFrom('=', '!=', 'contains', 'is_set'), value: fc.constantFrom('US', true, 3) }),
  fc.record(
    { kind: fc.constant('event'), event: fc.constantFrom('purchase', 'page_view'), count: fc.record({ op: fc.constantFrom('>=', '<', '='), value: fc.integer({ min: 0, max: 5 }) }), window: windowArb },
    { requiredKeys: ['kind', 'event'] },
  ),
  fc.record({ kind: fc.constantFrom('first_seen', 'last_seen'), op: fc.constantFrom('within_last', 'not_within_last'), value: fc.record({ last: fc.integer({ min: 1, max: 90 }), unit: fc.constant('day') }) }),
  fc.record({ kind: fc.constant('identified'), value: fc.boolean() }),
  fc.record({ kind: fc.constant('segment'), segment: fc.constant('vips'), member: fc.boolean() }),
);

/** A valid dynamic segment body (the workspace file's shape), with a fresh id. */
export const segmentBodyArb = fc.record({
  id: fc.stringMatching(/^fz-[a-z0-9]{1,12}$/),
  entity: fc.constant('person'),
  name: fc.string({ minLength: 1, maxLength: 30 }),
  rules: fc.record({ match: fc.constantFrom('all', 'any'), conditions: fc.array(conditionArb, { minLength: 1, maxLength: 4 }) }),
});

/** Every path into a JSON value: keys and indexes from the root. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

function setAt(root: unknown, path: (string | number)[], fn: (v: unknown) => unknown): unknown {
  if (path.length === 0) return fn(root);
  const copy = (Array.isArray(root) ? [...root] : { ...(root as Record<string, unknown>) }) as Record<string | number, unknown>;
  const [head, ...rest] = path;
  copy[head!] = setAt(copy[head!], rest, fn);
  return copy;
}

const MUTATIONS: ((v: unknown) => fc.Arbitrary<unknown>)[] = [
  // wrong type
  () => fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}), hostileString),
  // an unknown key beside the value
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? fc.record({ k: hostileString }).map(({ k }) => ({ ...v, [`x_${k.slice(0, 8)}`]: 1 })) : fc.constant(v)),
  // hostile text in place of the value
  () => hostileString,
  // deep nesting
  () => fc.constant(JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown),
];

/** A valid body with one value changed: wrong type, unknown key, hostile text, deep nesting. */
export function mutatedBodyArb<T>(base: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return base.chain((body) => {
    const all = paths(body);
    return fc.tuple(fc.constantFrom(...all), fc.integer({ min: 0, max: MUTATIONS.length - 1 })).chain(([path, m]) => {
      const current = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], body);
      return MUTATIONS[m]!(current).map((replacement) => setAt(body, path, () => replacement));
    });
  });
}

/** Any JSON at all. */
export const anyJsonArb = fc.jsonValue({ maxDepth: 4 });

/** Text that is not JSON, or JSON a server must refuse to read as an object. */
export const malformedJsonArb = fc.oneof(
  fc.constantFrom('{', '{"id": }', "{'id': 'x'}", '[1,2', 'nul', '{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"x": 1}}}', '\u0000', '{"a":1}{"b":2}'),
  fc.string({ maxLength: 30 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);
