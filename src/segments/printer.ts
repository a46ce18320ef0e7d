import { UserInputError } from '../config/errors';
import type { EntityConfig, IdentifierKind } from '../config/schema';
import { asSubquery, type CompiledQuery } from '../warehouse/driver';
import { eventSetSql } from './build/event-set';
import { filterSql } from './build/filter';
import { identifiedSql } from './build/identified';
import { staticMembersSql } from './build/members';
import { retainedSql } from './build/retained';
import { type SplitSpec, splitSql } from './build/split';
import type { NormalizedSegment } from './normalize';
import type { SqlWriter } from './sql-writer';
import type { RuleNode } from './tree';

/** What to print: the members (with identifier columns) or their count. */
export interface PrintOptions {
  shape: 'members' | 'count';
  identifiers?: readonly IdentifierKind[];
  /** One more text column: a record's column values, encoded (src/destinations/record.ts). */
  record?: RecordColumns;
  /** ORDER BY the primary key (in its own type, not the text it is returned as). */
  orderByKey?: boolean;
  /** Members only: add each member's split group (`split_group`). */
  split?: SplitSpec;
}

/** The columns of a record (entity columns, or a relation's), selected as one encoded text column named `as`. */
export interface RecordColumns {
  as: string;
  columns: readonly { column: string; relation?: string }[];
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
  if (o.record) columns.push({ expr: recordSql(n, w, o.record), alias: q(o.record.as) });
  // Rows whose key is null are never members; the explicit test is left out where the rules
  // already reject a null key (it would only slow the engine's semi-join down).
  const rules = printNode(n.tree, w, entity, pk, personId);
  const where = rejectsNullKey(n.tree) ? rules : `${pk} IS NOT NULL AND ${rules}`;
  const fragments: Record<string, string> = { personId, where, source: entity.table ? w.dialect.quoteQualified(entity.table) : asSubquery(entitySql(n)) };
  if (o.orderByKey) fragments.orderBy = pk;
  const structure = { personIdAlias: q('person_id'), countAlias: q('n'), columns, alias: ENTITY_ALIAS, joins: joinsFor(n.tree, entity, w, o.record?.columns.flatMap((c) => (c.relation ? [c.relation] : []))) };
  const text = w.render(o.shape, fragments, structure);
  return w.finish(o.split && o.shape === 'members' ? splitSql(w, text, o.split, [...(o.identifiers ?? []), ...(o.record ? [o.record.as] : [])]) : text);
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
  const branches = trees.map((tree, rank) => ({ rank: String(rank), sql: printNode(tree, w, entity, pk, personId) }));
  const fragments: Record<string, string> = {
    personId,
    where: `${pk} IS NOT NULL`,
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
  };
  return w.finish(w.render('first-match', fragments, structure));
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
 * A record's column values as one text: `<length>:<value>` or `-` for null, joined by `|`
 * (decoded by decodeRecordValues). The separators are fixed literals, never user values.
 */
function recordSql(n: NormalizedSegment, w: SqlWriter, record: RecordColumns): string {
  if (record.columns.length === 0) return w.render('cast-text', { expr: "''" });
  return record.columns
    .map(({ column, relation }) => {
      const index = relation === undefined ? -1 : n.entity.relations.findIndex((r) => r.name === relation);
      if (relation !== undefined && index < 0)
        throw new UserInputError([{ path: `entities[${n.entityIndex}].relations`, message: `entity "${n.entity.id}" has no relation "${relation}"` }]);
      const value = w.render('cast-text', { expr: w.column(relation === undefined ? ENTITY_ALIAS : relationAlias(index), column) });
      return `COALESCE(${w.render('cast-text', { expr: `LENGTH(${value})` })} || ':' || ${value}, '-')`;
    })
    .join(" || '|' || ");
}

function printNode(node: RuleNode, w: SqlWriter, entity: EntityConfig, pk: string, personId: string): string {
  switch (node.type) {
    case 'const':
      return node.value ? 'TRUE' : 'FALSE';
    case 'and':
    case 'or': {
      const parts = node.children.map((c) => printNode(c, w, entity, pk, personId));
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
      return eventSetSql(w, entity.events!, pk, node);
    case 'members':
      return staticMembersSql(w, personId, node);
    case 'retained':
      return retainedSql(w, personId, node);
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
    case 'retained':
      return !node.negated;
    case 'filter':
    case 'identified':
      return false;
  }
}

/** LEFT JOINs of the relations the tree reads, so a missing related row reads as nulls. */
function joinsFor(tree: RuleNode, entity: EntityConfig, w: SqlWriter, alsoUsed: readonly string[] = []) {
  const used = new Set<string>(alsoUsed);
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
