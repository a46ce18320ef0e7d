/**
 * Compile time of a 50-condition segment (every condition kind, nested groups, a segment
 * reference), per dialect, against a baseline measured in the same run: JSON.stringify of the same
 * rule tree (a floor for "walk the tree once and print text"). Target: < 5 ms per compile.
 *   npx tsx bench/compiler.ts [iterations]
 */
import { walkConditions } from '../src/segments/rule-schema';
import type { Workspace } from '../src/config/schema';
import { baseWorkspace } from '../test/support/workspace';
import { compileMembers, dialectFor } from '../src/segments';
import { DIALECTS } from '../src/warehouse/dialect';
import { figure } from './figures';

const ITERATIONS = Number(process.argv[2] ?? 2_000);
const TARGET_MS = 5;
const AS_OF = new Date('2026-03-31T10:00:00Z');

/** Eleven conditions (a group counts as one) of every family. */
function block(i: number): unknown[] {
  return [
    { kind: 'trait', trait: 'plan', op: 'in', value: ['pro', 'team', `tier-${i}`] },
    { kind: 'trait', trait: 'email', op: 'ends_with', value: `@example${i}.com` },
    { kind: 'trait', trait: 'age', op: '>=', value: 18 + i },
    { kind: 'trait', trait: 'company.industry', op: '!=', value: 'gambling' },
    {
      kind: 'event',
      event: 'purchase',
      count: { op: '>=', value: 2 },
      window: { last: 30 + i, unit: 'day' },
      where: [{ column: 'amount', op: '>', value: 10 }],
    },
    { kind: 'event', event: 'refund', performed: false, window: { from: '2026-01-01', to: '2026-03-01' } },
    {
      kind: 'group',
      match: 'any',
      conditions: [
        { kind: 'sessions', count: { op: '>', value: 3 }, window: { last: 2, unit: 'week' } },
        { kind: 'last_seen', op: 'within_last', value: { last: 1, unit: 'month' } },
      ],
    },
    { kind: 'first_seen', op: 'not_within_last', value: { last: 7, unit: 'day' } },
    { kind: 'identified', value: true },
  ];
}

function workspace(): Workspace {
  const conditions = [...block(0), ...block(1), ...block(2), ...block(3)];
  conditions.push(
    { kind: 'segment', segment: 'base', member: true },
    { kind: 'segment', segment: 'base-2', member: false },
    { kind: 'trait', trait: 'phone', op: 'is_set' },
    { kind: 'trait', trait: 'name', op: 'contains', value: '50%_off' },
    { kind: 'trait', trait: 'signup_at', op: 'within_last', value: { last: 3, unit: 'month' } },
    { kind: 'trait', trait: 'score', op: 'not_in', value: [1, 2, 3] },
  );
  return baseWorkspace({
    schema: 'app',
    segments: [
      { id: 'base', entity: 'person', name: 'base', rules: { conditions: [{ kind: 'trait', trait: 'country', op: '=', value: 'US' }] } },
      { id: 'base-2', entity: 'person', name: 'base 2', rules: { conditions: [{ kind: 'trait', trait: 'country', op: '=', value: 'CA' }] } },
      { id: 'big', entity: 'person', name: 'big', rules: { match: 'all', conditions } },
    ],
  });
}

function meanMs(fn: () => unknown): number {
  for (let i = 0; i < Math.min(200, ITERATIONS); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / ITERATIONS;
}

const ws = workspace();
const big = ws.segments.find((s) => s.id === 'big')!;
const count = [...walkConditions(big.rules!.conditions)].length;
const baseline = meanMs(() => JSON.stringify(big.rules));
console.log(`segment "big": ${count} conditions; ${ITERATIONS} iterations each`);
console.log(`baseline JSON.stringify(rules): ${baseline.toFixed(4)} ms`);
let worst = 0;
const times: string[] = [];
for (const name of DIALECTS) {
  const dialect = dialectFor(name);
  const q = compileMembers(ws, 'big', { dialect, asOf: AS_OF });
  const ms = meanMs(() => compileMembers(ws, 'big', { dialect, asOf: AS_OF }));
  worst = Math.max(worst, ms);
  times.push(`${name} ${ms.toFixed(2)} ms (${(ms / baseline).toFixed(0)}x)`);
  console.log(
    `${name.padEnd(10)} ${ms.toFixed(3)} ms/compile  (${(ms / baseline).toFixed(0)}x baseline, ${q.sql.length} chars, ${q.params.length} params)  target < ${TARGET_MS} ms: ${ms < TARGET_MS ? 'ok' : 'MISSED'}`,
  );
}
figure({
  what: `bench/compiler.ts: compile a ${count}-condition segment, per compile (x JSON.stringify of the rules)`,
  figure: times.join(', '),
  target: `< ${TARGET_MS} ms`,
  met: worst < TARGET_MS,
});
process.exitCode = worst < TARGET_MS ? 0 : 1;
