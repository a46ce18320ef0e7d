import { UserInputError } from '../config/errors';
import type { EntityConfig, IdentifierKind } from '../config/schema';
import { asSubquery, type CompiledQuery } from '../warehouse/driver';
import { eventPredicates, eventSetSql } from './build/event-set';
import { windowStart } from './build/window';
import { filterSql } from './build/filter';
import { identifiedSql } from './build/identified';
import { staticMembersSql } from './build/members';
import type { NormalizedSegment } from './normalize';
import type { SqlWriter } from './sql-writer';
import type { EventSetNode, RuleNode } from './tree';

type Events = NonNullable<EntityConfig['events']>;

/** What to print: the members (with identifier columns) or their count. */
export interface PrintOptions {
  shape: 'members' | 'count';
  identifiers?: readonly IdentifierKind[];
  /** ORDER BY the primary key (in its own type, not the text it is returned as). */
  orderByKey?: boolean;
}

const ENTITY_ALIAS = 'p';

/** Prints a normalised segment as one SELECT over the entity table (see tree.ts for the tree). */
export function printSegment(n: NormalizedSegment, w: SqlWriter, o: PrintOptions): CompiledQuery {
  const { entity } = n;
  const q = (name: string) => w.dialect.quoteIdentifier(name);
  const pk = w.column(ENTITY_ALIAS, entity.primaryKey);
  const personId = w.render('cast-text', { expr: pk });
  const columns = (o.identifiers ?? []).map((kind) => ({
    expr: w.render('cast-text', { expr: w.column(ENTITY_ALIAS, identifierColumn(n, kind)) }),
    alias: q(kind),
  }));
  // Rows whose key is null are never members; the explicit test is left out where the rules
  // already reject a null key (it would only slow the engine's semi-join down).
  const rules = printNode(n.tree, w, entity, pk, personId);
  const where = rejectsNullKey(n.tree) ? rules : `${pk} IS NOT NULL AND ${rules}`;
  const fragments: Record<string, string> = { personId, where, source: entity.table ? w.dialect.quoteQualified(entity.table) : asSubquery(entitySql(n)) };
  if (o.orderByKey) fragments.orderBy = pk;
  const structure = { personIdAlias: q('person_id'), countAlias: q('n'), columns, alias: ENTITY_ALIAS, joins: joinsFor(n.tree, entity, w) };
  return w.finish(w.render(o.shape, fragments, structure));
}

/** The column of `printFirstMatch` that says whether a person matches the list's `index`-th segment (1 or 0). */
export function priorityFlag(index: number): string {
  return `m${index}`;
}

/**
 * Prints, in one SELECT over the entity table, every person who matches at least one of `trees`
 * with a flag per tree (`m0`, `m1`, ...: 1 when they match it) and the index of the first tree
 * they match (`priority_rank`, from 0): a priority list's waterfall. Each tree is printed once, as one branch of one CASE, so the warehouse evaluates the
 * list in one pass instead of once per segment. `n` gives the entity (its tree is not used).
 */
export function printFirstMatch(n: NormalizedSegment, trees: readonly RuleNode[], w: SqlWriter, o: Pick<PrintOptions, 'identifiers'>): CompiledQuery {
  const { entity } = n;
  const q = (name: string) => w.dialect.quoteIdentifier(name);
  const pk = w.column(ENTITY_ALIAS, entity.primaryKey);
  const personId = w.render('cast-text', { expr: pk });
  const identifiers = (o.identifiers ?? []).map((kind) => ({ expr: w.render('cast-text', { expr: w.column(ENTITY_ALIAS, identifierColumn(n, kind)) }), alias: q(kind) }));
  // Ranks are the list's own positions, not user values: they are written as numbers.
  // Every event condition of the list is measured in one pass over the events, joined once.
  const events = collectEvents(trees);
  const pass = events.length > 0 ? sharedEventPass(w, entity.events!, events) : undefined;
  const branches = trees.map((tree, rank) => ({ rank: String(rank), sql: printNode(tree, w, entity, pk, personId, pass?.predicates) }));
  const fragments: Record<string, string> = {
    personId,
    pk,
    where: `${pk} IS NOT NULL`,
    ...(pass ? { eventPass: pass.sql } : {}),
    source: entity.table ? w.dialect.quoteQualified(entity.table) : asSubquery(entitySql(n)),
    ...Object.fromEntries(branches.map((b) => [`when${b.rank}`, b.sql])),
    ...Object.fromEntries(identifiers.map((c, i) => [`identifier${i}`, c.expr])),
  };
  const structure = {
    personIdAlias: q('person_id'),
    rankAlias: q('priority_rank'),
    alias: ENTITY_ALIAS,
    joins: joinsFor({ type: 'or', children: trees }, entity, w),
    branches: branches.map((b) => ({ slot: `when${b.rank}`, rank: b.rank, flag: q(priorityFlag(Number(b.rank))) })),
    identifiers: identifiers.map((c, i) => ({ slot: `identifier${i}`, alias: c.alias })),
    hasEventPass: pass !== undefined,
    eventAlias: EVENT_PASS_ALIAS,
  };
  return w.finish(w.render('first-match', fragments, structure));
}

const EVENT_PASS_ALIAS = 'ev';

/** Every event condition of the trees, each node once. */
function collectEvents(trees: readonly RuleNode[]): EventSetNode[] {
  const out = new Set<EventSetNode>();
  const visit = (node: RuleNode) => {
    if (node.type === 'and' || node.type === 'or') node.children.forEach(visit);
    else if (node.type === 'events') out.add(node);
  };
  trees.forEach(visit);
  return [...out];
}

/**
 * One grouped pass over the events that measures every event condition at once: per person, for
 * each condition, the matching events' count (or distinct sessions, or first / last timestamp),
 * as a column `c<i>` of a subquery LEFT JOINed as `ev`. `predicates` gives each condition as a
 * test of its column, two-valued (a person without events reads 0 or null), so a negated one is
 * its exact complement, as the NOT IN form is.
 */
function sharedEventPass(w: SqlWriter, events: Events, nodes: readonly EventSetNode[]): { sql: string; predicates: Map<RuleNode, string> } {
  const q = (name: string) => w.dialect.quoteIdentifier(name);
  const predicates = new Map<RuleNode, string>();
  const columns = nodes.map((node, i) => {
    const test = eventPredicates(w, events, node).join(' AND ');
    const m = node.measure;
    const column = `${EVENT_PASS_ALIAS}.${q(`c${i}`)}`;
    let expr: string;
    let holds: string;
    if (m?.kind === 'first_seen' || m?.kind === 'last_seen') {
      expr = `${m.kind === 'first_seen' ? 'MIN' : 'MAX'}(CASE WHEN ${test} THEN ${w.column('e', events.timestamp)} END)`;
      holds = `(${column} IS NOT NULL AND ${column} ${m.op} ${windowStart(w, m.since)})`;
    } else {
      expr = m?.kind === 'sessions' ? `COUNT(DISTINCT CASE WHEN ${test} THEN ${w.column('e', events.sessionKey!)} END)` : `SUM(CASE WHEN ${test} THEN 1 ELSE 0 END)`;
      const n = `COALESCE(${column}, 0)`;
      holds = m && 'value' in m ? `(${n} >= 1 AND ${n} ${m.op} ${w.bind(m.value)})` : `${n} >= 1`;
    }
    predicates.set(node, node.negated ? `NOT ${holds}` : holds);
    return { slot: `c${i}`, expr, alias: q(`c${i}`) };
  });
  const fragments = {
    table: w.dialect.quoteQualified(events.table),
    personKey: w.column('e', events.personKey),
    notAfter: `${w.column('e', events.timestamp)} <= ${w.asOfParam()}`,
    ...Object.fromEntries(columns.map((c) => [c.slot, c.expr])),
  };
  const sql = w.render('event-pass', fragments, { columns: columns.map(({ slot, alias }) => ({ slot, alias })), personKeyAlias: q('person_key') });
  return { sql, predicates };
}

/**
 * An entity's own SQL; control characters have no place in it (the printer uses them as markers).
 * Commands check it is one read-only SELECT against the warehouse (`loadCatalog`) before running it.
 */
function entitySql(n: NormalizedSegment): string {
  const sql = n.entity.sql!;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f]/.test(sql))
    throw new UserInputError([{ path: `entities[${n.entityIndex}].sql`, message: 'control characters are not allowed in SQL text' }]);
  return sql;
}

function identifierColumn(n: NormalizedSegment, kind: IdentifierKind): string {
  const column = n.entity.identifiers[kind];
  if (column === undefined)
    throw new UserInputError([
      { path: `entities[${n.entityIndex}].identifiers.${kind}`, message: `entity "${n.entity.id}" maps no "${kind}" column` },
    ]);
  return column;
}

const relationAlias = (index: number) => `r${index}`;

/**
 * `shared`: event conditions already measured in one pass over the events (`sharedEventPass`), as
 * the predicate on that pass's columns; others print their own subquery.
 */
function printNode(node: RuleNode, w: SqlWriter, entity: EntityConfig, pk: string, personId: string, shared?: ReadonlyMap<RuleNode, string>): string {
  switch (node.type) {
    case 'const':
      return node.value ? 'TRUE' : 'FALSE';
    case 'and':
    case 'or': {
      const parts = node.children.map((c) => printNode(c, w, entity, pk, personId, shared));
      return `(${parts.join(node.type === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'filter': {
      const { source } = node;
      const alias = source.kind === 'entity' ? ENTITY_ALIAS : relationAlias(entity.relations.findIndex((r) => r.name === source.relation));
      return filterSql(w, w.column(alias, node.column), node, node.negated);
    }
    case 'identified':
      return identifiedSql(w, entity, node.value);
    case 'events':
      return shared?.get(node) ?? eventSetSql(w, entity.events!, pk, node);
    case 'members':
      return staticMembersSql(w, personId, node.members, node.negated);
  }
}

/**
 * True when the rules can only hold for a non-null primary key: membership of the key in a set
 * or list is never true for a null key; not being in one can be (`NOT IN` an empty set, a
 * dialect's list test that reads a null as false), and so can filters on other columns.
 * Negation sits only at the leaves, so AND needs one such child and OR needs all of them.
 */
function rejectsNullKey(node: RuleNode): boolean {
  switch (node.type) {
    case 'const':
      return !node.value;
    case 'and':
      return node.children.some(rejectsNullKey);
    case 'or':
      return node.children.every(rejectsNullKey);
    case 'events':
    case 'members':
      return !node.negated;
    case 'filter':
    case 'identified':
      return false;
  }
}

/** LEFT JOINs of the relations the tree reads, so a missing related row reads as nulls. */
function joinsFor(tree: RuleNode, entity: EntityConfig, w: SqlWriter) {
  const used = new Set<string>();
  const visit = (node: RuleNode) => {
    if (node.type === 'and' || node.type === 'or') node.children.forEach(visit);
    else if (node.type === 'filter' && node.source.kind === 'relation') used.add(node.source.relation);
  };
  visit(tree);
  return entity.relations.flatMap((r, i) =>
    used.has(r.name)
      ? [{ table: w.dialect.quoteQualified(r.table), alias: relationAlias(i), key: w.dialect.quoteIdentifier(r.key), foreignKey: w.dialect.quoteIdentifier(r.foreignKey) }]
      : [],
  );
}
