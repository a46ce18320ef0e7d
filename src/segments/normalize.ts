import { formatPath, UserInputError } from '../config/errors';
import type { EntityConfig, SegmentConfig, Workspace } from '../config/schema';
import type { Catalog } from './catalog';
import { checkFilterTypes, columnFamily } from './catalog';
import type { ComparisonOp, Condition, FilterOp } from './rule-schema';
import { STATIC_MEMBERS_TABLE } from './build/members';
import { type EventSetNode, FALSE, type FilterNode, type RuleNode, TRUE } from './tree';

/** A segment resolved against its workspace: its entity and its normalised rule tree. */
export interface NormalizedSegment {
  readonly segment: SegmentConfig;
  readonly entity: EntityConfig;
  /** Index of the entity in the workspace file, for error paths. */
  readonly entityIndex: number;
  readonly tree: RuleNode;
}

type Path = (string | number)[];

/** How to normalise. */
export interface NormalizeOptions {
  /**
   * False: the segment's rules alone, without its own `retentionDays` (who matches at the as-of,
   * which a refresh records); segments it references keep theirs. Default true.
   */
  ownRetention?: boolean;
}

/**
 * Referenced segments are inlined, so a chain of segments that each reference the previous one
 * twice doubles at every step; past this many conditions in total the segment is refused rather
 * than printed as a query no warehouse would plan.
 */
export const MAX_EXPANDED_CONDITIONS = 5_000;

/**
 * Turns a segment's rules into a normalised tree (see tree.ts): references to other segments
 * are inlined with their own rules, negation is pushed to the leaves, constants are folded.
 * Pure: every fact it needs (workspace, catalog) is passed in.
 */
export function normalizeSegment(ws: Workspace, segmentId: string, catalog?: Catalog, o: NormalizeOptions = {}): NormalizedSegment {
  const index = ws.segments.findIndex((s) => s.id === segmentId);
  if (index < 0) throw new UserInputError([{ path: 'segment', message: `unknown segment "${segmentId}"` }]);
  const segment = ws.segments[index]!;
  const entityIndex = ws.entities.findIndex((e) => e.id === segment.entity);
  const entity = ws.entities[entityIndex];
  if (!entity)
    throw new UserInputError([{ path: formatPath(['segments', index, 'entity']), message: `unknown entity "${segment.entity}"` }]);
  const normalizer = new Normalizer(ws, entity, catalog, index);
  const tree = o.ownRetention === false ? normalizer.rules(index, []) : normalizer.segment(index, []);
  return { segment, entity, entityIndex, tree };
}

class Normalizer {
  #conditions = 0;

  constructor(
    readonly ws: Workspace,
    readonly entity: EntityConfig,
    readonly catalog: Catalog | undefined,
    readonly rootIndex: number,
  ) {}

  /** A segment's members: its rules, or the persons its retention keeps (tree.ts RetainedNode). */
  segment(index: number, stack: readonly string[]): RuleNode {
    const s = this.ws.segments[index]!;
    const rules = this.rules(index, stack);
    if (s.retentionDays === undefined) return rules;
    return or([rules, { type: 'retained', segmentId: s.id, days: s.retentionDays, stateSchema: this.ws.stateSchema, negated: false }]);
  }

  /** Who matches a segment's rules (its type's members), without its own retention. */
  rules(index: number, stack: readonly string[]): RuleNode {
    const s = this.ws.segments[index]!;
    if (stack.includes(s.id))
      throw new UserInputError([
        { path: formatPath(['segments', index, 'rules']), message: `segment references form a cycle: ${[...stack, s.id].join(' -> ')}` },
      ]);
    if (s.entity !== this.entity.id)
      throw new UserInputError([
        { path: formatPath(['segments', index, 'entity']), message: `segment "${s.id}" is of entity "${s.entity}", not "${this.entity.id}"` },
      ]);
    switch (s.type) {
      case 'everyone':
        return TRUE;
      case 'static':
        return { type: 'members', segmentId: s.id, members: s.members ?? [], table: { schema: this.ws.stateSchema, name: STATIC_MEMBERS_TABLE }, negated: false };
      case 'dynamic': {
        if (!s.rules) throw new UserInputError([{ path: formatPath(['segments', index, 'rules']), message: 'a dynamic segment needs "rules"' }]);
        const path = ['segments', index, 'rules', 'conditions'];
        return this.group(s.rules.match, s.rules.conditions, path, [...stack, s.id]);
      }
    }
  }

  group(match: 'all' | 'any', conditions: readonly Condition[], path: Path, stack: readonly string[]): RuleNode {
    const children = conditions.map((c, i) => this.condition(c, [...path, i], stack));
    return match === 'all' ? and(children) : or(children);
  }

  condition(c: Condition, path: Path, stack: readonly string[]): RuleNode {
    if (++this.#conditions > MAX_EXPANDED_CONDITIONS)
      throw new UserInputError([
        {
          path: formatPath(['segments', this.rootIndex, 'rules']),
          message: `with the segments it references, this segment has more than ${MAX_EXPANDED_CONDITIONS} conditions`,
        },
      ]);
    const at = formatPath(path);
    switch (c.kind) {
      case 'group':
        return this.group(c.match, c.conditions, [...path, 'conditions'], stack);
      case 'identified':
        return { type: 'identified', value: c.value };
      case 'trait':
        return this.trait(c.trait, c.op, c.value, path);
      case 'segment': {
        const target = this.ws.segments.findIndex((s) => s.id === c.segment);
        if (target < 0) throw new UserInputError([{ path: `${at}.segment`, message: `unknown segment "${c.segment}"` }]);
        const node = this.segment(target, stack);
        return c.member ? node : negate(node);
      }
      case 'event': {
        this.requireEvents(c.kind, path);
        const events = this.entity.events!.table;
        const where = (c.where ?? []).map((f, i) => {
          this.checkTypes(events, f.column, f.op, f.value, [...path, 'where', i], 'column');
          return { ...f, family: columnFamily(this.catalog, events, f.column) };
        });
        const base = { type: 'events', event: c.event, window: c.window, where, sessionsOnly: false, path: at } as const;
        if (!c.performed) return { ...base, negated: true };
        if (!c.count) return { ...base, negated: false };
        return threshold('count', c.count.op, c.count.value, base);
      }
      case 'sessions': {
        this.requireEvents(c.kind, path);
        if (!this.entity.events!.sessionKey)
          throw new UserInputError([{ path: `${at}.kind`, message: `"sessions" needs events.sessionKey on entity "${this.entity.id}"` }]);
        const base = { type: 'events', window: c.window, where: [], sessionsOnly: true, path: at } as const;
        return threshold('sessions', c.count.op, c.count.value, base);
      }
      case 'first_seen':
      case 'last_seen': {
        this.requireEvents(c.kind, path);
        const op = c.op === 'within_last' ? '>=' : '<';
        return {
          type: 'events',
          where: [],
          sessionsOnly: false,
          measure: { kind: c.kind, op, since: c.value },
          negated: false,
          path: at,
        };
      }
    }
  }

  trait(trait: string, op: FilterOp, value: FilterNode['value'], path: Path): RuleNode {
    const dot = trait.indexOf('.');
    const at = formatPath(path);
    if (dot < 0) {
      const table = this.entity.table;
      if (table) this.checkTypes(table, trait, op, value, path, 'trait');
      const family = table ? columnFamily(this.catalog, table, trait) : undefined;
      return { type: 'filter', source: { kind: 'entity' }, column: trait, op, value, family, negated: false, path: at };
    }
    const name = trait.slice(0, dot);
    const column = trait.slice(dot + 1);
    const relation = this.entity.relations.find((r) => r.name === name);
    if (!relation)
      throw new UserInputError([{ path: `${at}.trait`, message: `unknown relation "${name}" on entity "${this.entity.id}"` }]);
    this.checkTypes(relation.table, column, op, value, path, 'trait');
    const family = columnFamily(this.catalog, relation.table, column);
    return { type: 'filter', source: { kind: 'relation', relation: name }, column, op, value, family, negated: false, path: at };
  }

  requireEvents(kind: string, path: Path): void {
    if (!this.entity.events)
      throw new UserInputError([{ path: `${formatPath(path)}.kind`, message: `"${kind}" needs "events" on entity "${this.entity.id}"` }]);
  }

  checkTypes(table: string, column: string, op: FilterOp, value: FilterNode['value'], path: Path, columnField: string): void {
    if (!this.catalog) return;
    const problem = checkFilterTypes(this.catalog, table, column, op, value);
    if (!problem) return;
    const field = problem.field === 'column' ? columnField : problem.field;
    throw new UserInputError([{ path: `${formatPath(path)}.${field}`, message: problem.message }]);
  }
}

/** Whether `n op value` holds. */
function compare(n: number, op: ComparisonOp, value: number): boolean {
  switch (op) {
    case '=':
      return n === value;
    case '!=':
      return n !== value;
    case '>':
      return n > value;
    case '>=':
      return n >= value;
    case '<':
      return n < value;
    case '<=':
      return n <= value;
  }
}

const COMPLEMENT_COMPARISON: Record<ComparisonOp, ComparisonOp> = {
  '=': '!=',
  '!=': '=',
  '>': '<=',
  '>=': '<',
  '<': '>=',
  '<=': '>',
};

/** Which counts n >= 1 satisfy `n op value`: none, all, or some (then a HAVING clause is needed). */
function overPositive(op: ComparisonOp, value: number): 'none' | 'all' | 'some' {
  switch (op) {
    case '>':
      return value < 1 ? 'all' : 'some';
    case '>=':
      return value <= 1 ? 'all' : 'some';
    case '<':
      return value <= 1 ? 'none' : 'some';
    case '<=':
    case '=':
      return value < 1 ? 'none' : 'some';
    case '!=':
      return value < 1 ? 'all' : 'some';
  }
}

/**
 * `n op value` over a person's matching events, where persons with no events have n = 0. A set
 * of person keys can only hold persons with n >= 1, so when n = 0 passes the test the node is
 * "not in the set of persons whose n fails it" (NOT EXISTS form), never an inner join.
 */
function threshold(
  kind: 'count' | 'sessions',
  op: ComparisonOp,
  value: number,
  base: Omit<EventSetNode, 'measure' | 'negated'>,
): RuleNode {
  const zeroPasses = compare(0, op, value);
  const testOp = zeroPasses ? COMPLEMENT_COMPARISON[op] : op;
  const coverage = overPositive(testOp, value);
  if (coverage === 'none') return zeroPasses ? TRUE : FALSE;
  const measure = coverage === 'all' ? undefined : { kind, op: testOp, value };
  return { ...base, measure, negated: zeroPasses };
}

const COMPLEMENT_FILTER: Partial<Record<FilterOp, FilterOp>> = {
  '=': '!=',
  '!=': '=',
  contains: 'not_contains',
  not_contains: 'contains',
  in: 'not_in',
  not_in: 'in',
  is_set: 'is_not_set',
  is_not_set: 'is_set',
};

/** The complement of a tree (De Morgan at groups, flipped leaves). */
export function negate(node: RuleNode): RuleNode {
  switch (node.type) {
    case 'const':
      return node.value ? FALSE : TRUE;
    case 'and':
      return or(node.children.map(negate));
    case 'or':
      return and(node.children.map(negate));
    case 'identified':
      return { ...node, value: !node.value };
    case 'filter': {
      // SPEC null rules make `=`/`!=` (and the other pairs) exact complements, so a negated
      // leaf stays a plain operator wherever one exists.
      const flipped = node.negated ? undefined : COMPLEMENT_FILTER[node.op];
      return flipped ? { ...node, op: flipped } : { ...node, negated: !node.negated };
    }
    case 'events':
    case 'members':
    case 'retained':
      return { ...node, negated: !node.negated };
  }
}

/** The conjunction of trees, flattened and with constants folded. */
export function and(children: readonly RuleNode[]): RuleNode {
  const out: RuleNode[] = [];
  for (const c of children) {
    if (c.type === 'const') {
      if (!c.value) return FALSE;
    } else if (c.type === 'and') out.push(...c.children);
    else out.push(c);
  }
  if (out.length === 0) return TRUE;
  return out.length === 1 ? out[0]! : { type: 'and', children: out };
}

/** The disjunction of trees, flattened and with constants folded. */
export function or(children: readonly RuleNode[]): RuleNode {
  const out: RuleNode[] = [];
  for (const c of children) {
    if (c.type === 'const') {
      if (c.value) return TRUE;
    } else if (c.type === 'or') out.push(...c.children);
    else out.push(c);
  }
  if (out.length === 0) return FALSE;
  return out.length === 1 ? out[0]! : { type: 'or', children: out };
}
