import type { ComparisonOp, Condition, FilterOp, TimeUnit } from '../segments/rule-schema';

/**
 * The segment builder's state and its mapping to and from the rules of SPEC §2. The builder edits
 * a tree of `UiCondition`s (each with a stable `key` for React); saving sends `toRules(state)`,
 * opening a segment reads `fromRules(segment.rules)`. The two are inverse (test/ui/rule-model.test.ts).
 * Pure: no DOM, no React, so the property test runs in plain Node.
 */

export type Match = 'all' | 'any';
export type ColumnFamily = 'text' | 'number' | 'boolean' | 'timestamp' | 'date' | 'other';
export interface RelWindow {
  last: number;
  unit: TimeUnit;
}
/** A window as the builder shows it: a choice of "ever", "in the last N units" or "between dates". */
export type UiWindow = { type: 'ever' } | ({ type: 'last' } & RelWindow) | { type: 'between'; from: string; to: string };
export type FilterValue = string | number | boolean | (string | number | boolean)[] | RelWindow | undefined;
export interface UiFilter {
  key: string;
  column: string;
  op: FilterOp;
  value: FilterValue;
}
export interface UiCount {
  op: ComparisonOp;
  value: number;
}

export type UiCondition =
  | { key: string; kind: 'event'; event: string; performed: boolean; count: UiCount | null; window: UiWindow; where: UiFilter[] }
  | { key: string; kind: 'trait'; trait: string; op: FilterOp; value: FilterValue }
  | { key: string; kind: 'first_seen' | 'last_seen'; op: 'within_last' | 'not_within_last'; value: RelWindow }
  | { key: string; kind: 'sessions'; count: UiCount; window: UiWindow }
  | { key: string; kind: 'identified'; value: boolean }
  | { key: string; kind: 'segment'; segment: string; member: boolean }
  | UiGroup;
export interface UiGroup {
  key: string;
  kind: 'group';
  match: Match;
  conditions: UiCondition[];
}
export type ConditionKind = UiCondition['kind'];

/** The rules object of a dynamic segment (SPEC §2). */
export interface Rules {
  match?: Match;
  conditions: Condition[];
}

/** Deepest nesting of groups (SPEC §2): the top level is depth 1. */
export const MAX_DEPTH = 5;

export const CONDITION_KINDS: { kind: Exclude<ConditionKind, 'group'>; label: string }[] = [
  { kind: 'event', label: 'Performed event' },
  { kind: 'trait', label: 'Trait' },
  { kind: 'first_seen', label: 'First seen' },
  { kind: 'last_seen', label: 'Last seen' },
  { kind: 'sessions', label: 'Sessions' },
  { kind: 'identified', label: 'Identified' },
  { kind: 'segment', label: 'In segment' },
];

export const COUNT_OPS: readonly ComparisonOp[] = ['=', '!=', '>', '>=', '<', '<='];
export const TIME_UNITS: readonly TimeUnit[] = ['minute', 'hour', 'day', 'week', 'month'];
const ORDERED: FilterOp[] = ['=', '!=', '>', '>=', '<', '<='];

/** The operators that fit a column's type family (SPEC §2 typed values). */
export function opsFor(family: ColumnFamily | undefined): FilterOp[] {
  switch (family) {
    case 'text':
      return ['=', '!=', 'contains', 'not_contains', 'starts_with', 'ends_with', 'in', 'not_in', 'is_set', 'is_not_set'];
    case 'number':
      return [...ORDERED, 'in', 'not_in', 'is_set', 'is_not_set'];
    case 'boolean':
      return ['=', '!=', 'is_set', 'is_not_set'];
    case 'timestamp':
    case 'date':
      return [...ORDERED, 'within_last', 'not_within_last', 'is_set', 'is_not_set'];
    default:
      return ['=', '!=', '>', '>=', '<', '<=', 'contains', 'not_contains', 'starts_with', 'ends_with', 'in', 'not_in', 'is_set', 'is_not_set', 'within_last', 'not_within_last'];
  }
}

/** What shape of value an operator takes. */
export function valueShape(op: FilterOp): 'none' | 'list' | 'window' | 'scalar' {
  if (op === 'is_set' || op === 'is_not_set') return 'none';
  if (op === 'in' || op === 'not_in') return 'list';
  if (op === 'within_last' || op === 'not_within_last') return 'window';
  return 'scalar';
}

/** A value that fits `op` for a column of `family`, keeping what it can of the previous value. */
export function coerceValue(op: FilterOp, family: ColumnFamily | undefined, previous: FilterValue): FilterValue {
  const shape = valueShape(op);
  if (shape === 'none') return undefined;
  if (shape === 'window') return previous && typeof previous === 'object' && !Array.isArray(previous) ? previous : { last: 30, unit: 'day' };
  if (shape === 'list') {
    if (Array.isArray(previous)) return previous;
    return previous === undefined || typeof previous === 'object' ? [] : [previous];
  }
  if (Array.isArray(previous)) return previous[0] ?? emptyScalar(family);
  if (previous === undefined || typeof previous === 'object') return emptyScalar(family);
  return previous;
}

function emptyScalar(family: ColumnFamily | undefined): string | number | boolean {
  if (family === 'number') return 0;
  if (family === 'boolean') return true;
  return '';
}

let counter = 0;
/** A key unique in this page's life (React list keys; never sent). */
export function newKey(): string {
  counter += 1;
  return `c${counter}`;
}

/** A fresh condition of `kind`, with defaults the user then edits. */
export function newCondition(kind: ConditionKind, defaults: { event?: string; trait?: string; segment?: string } = {}): UiCondition {
  const key = newKey();
  switch (kind) {
    case 'event':
      return { key, kind, event: defaults.event ?? '', performed: true, count: null, window: { type: 'ever' }, where: [] };
    case 'trait':
      return { key, kind, trait: defaults.trait ?? '', op: 'is_set', value: undefined };
    case 'first_seen':
    case 'last_seen':
      return { key, kind, op: 'within_last', value: { last: 30, unit: 'day' } };
    case 'sessions':
      return { key, kind, count: { op: '>=', value: 1 }, window: { type: 'ever' } };
    case 'identified':
      return { key, kind, value: true };
    case 'segment':
      return { key, kind, segment: defaults.segment ?? '', member: true };
    case 'group':
      return { key, kind, match: 'all', conditions: [] };
  }
}

export function newGroup(match: Match = 'all', conditions: UiCondition[] = []): UiGroup {
  return { key: newKey(), kind: 'group', match, conditions };
}

// ---------- UI state -> SPEC §2 ----------

export function toRules(root: UiGroup): Rules {
  return { match: root.match, conditions: root.conditions.map(toCondition) };
}

function windowOut(w: UiWindow): { window?: { last: number; unit: TimeUnit } | { from: string; to: string } } {
  if (w.type === 'last') return { window: { last: w.last, unit: w.unit } };
  if (w.type === 'between') return { window: { from: w.from, to: w.to } };
  return {};
}

function filterValueOut(v: FilterValue): { value?: Exclude<FilterValue, undefined> } {
  if (v === undefined) return {};
  if (Array.isArray(v)) return { value: [...v] };
  if (typeof v === 'object') return { value: { last: v.last, unit: v.unit } };
  return { value: v };
}

export function toCondition(c: UiCondition): Condition {
  switch (c.kind) {
    case 'event':
      return {
        kind: 'event',
        event: c.event,
        performed: c.performed,
        ...(c.performed && c.count ? { count: { op: c.count.op, value: c.count.value } } : {}),
        ...windowOut(c.window),
        ...(c.where.length > 0 ? { where: c.where.map((f) => ({ column: f.column, op: f.op, ...filterValueOut(f.value) })) } : {}),
      };
    case 'trait':
      return { kind: 'trait', trait: c.trait, op: c.op, ...filterValueOut(c.value) };
    case 'first_seen':
    case 'last_seen':
      return { kind: c.kind, op: c.op, value: { last: c.value.last, unit: c.value.unit } };
    case 'sessions':
      return { kind: 'sessions', count: { op: c.count.op, value: c.count.value }, ...windowOut(c.window) };
    case 'identified':
      return { kind: 'identified', value: c.value };
    case 'segment':
      return { kind: 'segment', segment: c.segment, member: c.member };
    case 'group':
      return { kind: 'group', match: c.match, conditions: c.conditions.map(toCondition) };
  }
}

// ---------- SPEC §2 -> UI state ----------

export function fromRules(rules: Rules | undefined): UiGroup {
  return newGroup(rules?.match ?? 'all', (rules?.conditions ?? []).map(fromCondition));
}

function windowIn(w: { last: number; unit: TimeUnit } | { from: string; to: string } | undefined): UiWindow {
  if (!w) return { type: 'ever' };
  if ('last' in w) return { type: 'last', last: w.last, unit: w.unit };
  return { type: 'between', from: w.from, to: w.to };
}

function filterValueIn(v: unknown): FilterValue {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return [...(v as (string | number | boolean)[])];
  if (typeof v === 'object' && v !== null) {
    const w = v as RelWindow;
    return { last: w.last, unit: w.unit };
  }
  return v as string | number | boolean;
}

export function fromCondition(c: Condition): UiCondition {
  const key = newKey();
  switch (c.kind) {
    case 'event':
      return {
        key,
        kind: 'event',
        event: c.event,
        performed: c.performed !== false,
        count: c.count ? { op: c.count.op, value: c.count.value } : null,
        window: windowIn(c.window),
        where: (c.where ?? []).map((f) => ({ key: newKey(), column: f.column, op: f.op, value: filterValueIn(f.value) })),
      };
    case 'trait':
      return { key, kind: 'trait', trait: c.trait, op: c.op, value: filterValueIn(c.value) };
    case 'first_seen':
    case 'last_seen':
      return { key, kind: c.kind, op: c.op, value: { last: c.value.last, unit: c.value.unit } };
    case 'sessions':
      return { key, kind: 'sessions', count: { op: c.count.op, value: c.count.value }, window: windowIn(c.window) };
    case 'identified':
      return { key, kind: 'identified', value: c.value };
    case 'segment':
      return { key, kind: 'segment', segment: c.segment, member: c.member !== false };
    case 'group':
      return { key, kind: 'group', match: c.match, conditions: c.conditions.map(fromCondition) };
  }
}

// ---------- tree edits (immutable) ----------

/** `root` with the node at `key` replaced by `fn(node)` (or removed when `fn` returns null). */
export function updateNode(root: UiGroup, key: string, fn: (c: UiCondition) => UiCondition | null): UiGroup {
  const walk = (g: UiGroup): UiGroup => ({
    ...g,
    conditions: g.conditions.flatMap((c) => {
      if (c.key === key) {
        const next = fn(c);
        return next ? [next] : [];
      }
      return c.kind === 'group' ? [walk(c)] : [c];
    }),
  });
  if (root.key === key) {
    const next = fn(root);
    return next && next.kind === 'group' ? next : root;
  }
  return walk(root);
}

/** Conditions in the whole tree (SPEC §2 limit: 50 per segment), groups included. */
export function countConditions(g: UiGroup): number {
  return g.conditions.reduce((n, c) => n + 1 + (c.kind === 'group' ? countConditions(c) : 0), 0);
}

/** `segment.rules.conditions[0].where[1].value`-style path of every node by key, for error placement. */
export function pathsByKey(root: UiGroup, prefix = 'rules'): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (g: UiGroup, at: string) => {
    out.set(g.key, at);
    g.conditions.forEach((c, i) => {
      const p = `${at}.conditions[${i}]`;
      if (c.kind === 'group') walk(c, p);
      else {
        out.set(c.key, p);
        if (c.kind === 'event') c.where.forEach((f, j) => out.set(f.key, `${p}.where[${j}]`));
      }
    });
  };
  walk(root, prefix);
  return out;
}

/** The state without its React keys (what the round trip compares). */
export function withoutKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'key').map(([k, v]) => [k, withoutKeys(v)]));
  return value;
}
