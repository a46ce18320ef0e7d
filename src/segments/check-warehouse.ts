import { formatPath, type Problem, UserInputError } from '../config/errors';
import { type EntityConfig, segmentReferences, type Workspace } from '../config/schema';
import { distance } from 'fastest-levenshtein';
import type { ColumnInfo, WarehouseDriver } from '../warehouse/driver';
import { ensureSegmentState } from '../state/state-sql';
import { renderSql } from '../warehouse/templates';
import { type Catalog, checkFilterTypes, findColumn as findIn, noColumn } from './catalog';
import { checkEntitySql, entitySource } from './load-catalog';
import type { Condition } from './rule-schema';
import { columnFields, type RecordSpec } from '../destinations/record';

type Path = (string | number)[];

/** Which entities and segments (by index) a check covers; all of them when absent. */
export interface Scope {
  entities: ReadonlySet<number>;
  segments: ReadonlySet<number>;
}

/** The segments `ids` with every segment they reference, and their entities. */
export function scopeOf(ws: Workspace, ids: readonly string[]): Scope {
  const segments = new Set<number>();
  const visit = (id: string) => {
    const i = ws.segments.findIndex((s) => s.id === id);
    if (i < 0 || segments.has(i)) return;
    segments.add(i);
    for (const ref of segmentReferences(ws.segments[i]!)) visit(ref);
  };
  ids.forEach(visit);
  const entityIds = new Set([...segments].map((i) => ws.segments[i]!.entity));
  return { segments, entities: new Set(ws.entities.flatMap((e, i) => (entityIds.has(e.id) ? [i] : []))) };
}

/**
 * Introspects every table the workspace names (entity tables and `sql:` entities, events tables,
 * relation tables). Tables that do not exist are left out of the catalog and reported as problems.
 */
export async function buildCatalog(ws: Workspace, warehouse: WarehouseDriver, scope?: Scope): Promise<{ catalog: Catalog; problems: Problem[] }> {
  const catalog: Catalog = new Map();
  const problems: Problem[] = [];
  const table = async (name: string, at: Path) => {
    if (catalog.has(name)) return;
    const cols = await warehouse.columns(name);
    if (cols) catalog.set(name, cols);
    else problems.push({ path: formatPath(at), message: `table ${name} does not exist in the warehouse` });
  };
  for (const [i, entity] of ws.entities.entries()) {
    if (scope && !scope.entities.has(i)) continue;
    if (entity.table) await table(entity.table, ['entities', i, 'table']);
    else if (entity.sql) {
      try {
        catalog.set(entitySource(entity), await checkEntitySql(warehouse, entity, i));
      } catch (err) {
        if (!(err instanceof UserInputError)) throw err;
        problems.push(...err.problems);
      }
    }
    if (entity.events) await table(entity.events.table, ['entities', i, 'events', 'table']);
    for (const [j, r] of entity.relations.entries()) await table(r.table, ['entities', i, 'relations', j, 'table']);
  }
  return { catalog, problems };
}

/** Every column the entity definitions name exists, and the ones with a role have a fitting type. */
function entityProblems(ws: Workspace, catalog: Catalog, ignoreCase: boolean, scope?: Scope): Problem[] {
  const findColumn = (columns: readonly ColumnInfo[], name: string) => findIn(columns, name, ignoreCase);
  const problems: Problem[] = [];
  const need = (table: string, column: string | undefined, at: Path, families?: readonly ColumnInfo['family'][]) => {
    const columns = catalog.get(table);
    if (column === undefined || !columns) return;
    const info = findColumn(columns, column);
    if (!info) problems.push({ path: formatPath(at), message: noColumn(columns, table, column) });
    else if (families && info.family !== 'other' && !families.includes(info.family))
      problems.push({ path: formatPath(at), message: `column "${column}" of ${table} is ${info.dataType}; expected ${families.join(' or ')}` });
  };
  // Keys that are joined must be comparable: PostgreSQL, for one, has no text = bigint operator.
  const joinable = (leftTable: string, left: string, rightTable: string, right: string, at: Path) => {
    const l = findColumn(catalog.get(leftTable) ?? [], left);
    const r = findColumn(catalog.get(rightTable) ?? [], right);
    const families = new Set([l?.family, r?.family]);
    if (l && r && l.family !== r.family && !families.has('other'))
      problems.push({
        path: formatPath(at),
        message: `column "${right}" of ${rightTable} is ${r.dataType} but is joined with "${left}" of ${leftTable}, which is ${l.dataType}`,
      });
  };
  ws.entities.forEach((e, i) => {
    if (scope && !scope.entities.has(i)) return;
    const source = entitySource(e);
    need(source, e.primaryKey, ['entities', i, 'primaryKey']);
    for (const [kind, column] of Object.entries(e.identifiers)) need(source, column, ['entities', i, 'identifiers', kind]);
    need(source, e.identifiedColumn, ['entities', i, 'identifiedColumn'], ['boolean']);
    if (e.events) {
      const ev = e.events;
      need(ev.table, ev.personKey, ['entities', i, 'events', 'personKey']);
      need(ev.table, ev.name, ['entities', i, 'events', 'name'], ['text']);
      need(ev.table, ev.timestamp, ['entities', i, 'events', 'timestamp'], ['timestamp', 'date']);
      need(ev.table, ev.sessionKey, ['entities', i, 'events', 'sessionKey']);
    }
    e.relations.forEach((r, j) => {
      need(source, r.foreignKey, ['entities', i, 'relations', j, 'foreignKey']);
      need(r.table, r.key, ['entities', i, 'relations', j, 'key']);
      joinable(source, r.foreignKey, r.table, r.key, ['entities', i, 'relations', j, 'foreignKey']);
    });
    if (e.events) joinable(source, e.primaryKey, e.events.table, e.events.personKey, ['entities', i, 'events', 'personKey']);
  });
  return problems;
}

/** Trait and `where` comparisons of every segment against the column types. */
function segmentProblems(ws: Workspace, catalog: Catalog, ignoreCase: boolean, scope?: Scope): Problem[] {
  const problems: Problem[] = [];
  const visit = (entity: EntityConfig, conditions: readonly Condition[], at: Path) => {
    conditions.forEach((c, k) => {
      const here = [...at, k];
      if (c.kind === 'group') visit(entity, c.conditions, [...here, 'conditions']);
      else if (c.kind === 'trait') {
        const dot = c.trait.indexOf('.');
        const relation = dot < 0 ? undefined : entity.relations.find((r) => r.name === c.trait.slice(0, dot));
        const table = relation ? relation.table : entitySource(entity);
        const column = relation ? c.trait.slice(dot + 1) : c.trait;
        const problem = checkFilterTypes(catalog, table, column, c.op, c.value, ignoreCase);
        if (problem)
          problems.push({ path: formatPath([...here, problem.field === 'column' ? 'trait' : problem.field]), message: problem.message });
      } else if (c.kind === 'event' && entity.events) {
        const events = entity.events.table;
        c.where?.forEach((f, m) => {
          const problem = checkFilterTypes(catalog, events, f.column, f.op, f.value, ignoreCase);
          if (problem) problems.push({ path: formatPath([...here, 'where', m, problem.field]), message: problem.message });
        });
      }
    });
  };
  ws.segments.forEach((s, i) => {
    if (scope && !scope.segments.has(i)) return;
    const entity = ws.entities.find((e) => e.id === s.entity);
    if (entity && s.rules) visit(entity, s.rules.conditions, ['segments', i, 'rules', 'conditions']);
  });
  return problems;
}

/** How many of the most frequent event names a misspelled name is compared with. */
const SUGGESTION_POOL = 1000;

/**
 * Event names the segments use that never occur in their events table, with the closest name
 * that does: a misspelled name would otherwise match nothing and silently change the segment.
 * Two bounded queries per events table (names bound as parameters): which used names occur, and,
 * only when some do not, the most frequent names to suggest from. An empty table is not checked.
 */
async function eventNameProblems(ws: Workspace, warehouse: WarehouseDriver, catalog: Catalog, scope?: Scope): Promise<Problem[]> {
  const problems: Problem[] = [];
  const { dialect } = warehouse;
  for (const entity of ws.entities) {
    const events = entity.events;
    if (!events || !catalog.get(events.table)?.some((c) => c.name.toLowerCase() === events.name.toLowerCase())) continue;
    const used = new Map<string, Path[]>();
    ws.segments.forEach((s, i) => {
      if ((scope && !scope.segments.has(i)) || s.entity !== entity.id || !s.rules) return;
      const visit = (conditions: readonly Condition[], at: Path) =>
        conditions.forEach((c, k) => {
          if (c.kind === 'group') visit(c.conditions, [...at, k, 'conditions']);
          else if (c.kind === 'event') used.set(c.event, [...(used.get(c.event) ?? []), [...at, k, 'event']]);
        });
      visit(s.rules.conditions, ['segments', i, 'rules', 'conditions']);
    });
    if (used.size === 0) continue;
    const names = [...used.keys()];
    const context = { table: dialect.quoteQualified(events.table), column: dialect.quoteIdentifier(events.name), alias: dialect.quoteIdentifier('name') };
    const present = await warehouse.query<{ name: unknown }>(
      renderSql(dialect.name, 'check/event-names-present', { ...context, placeholders: names.map((_, i) => dialect.placeholder(i)) }),
      names,
    );
    const found = new Set(present.map((r) => String(r.name)));
    const missing = names.filter((n) => !found.has(n));
    if (missing.length === 0) continue;
    const frequent = (await warehouse.query<{ name: unknown }>(renderSql(dialect.name, 'check/event-names-frequent', { ...context, limit: SUGGESTION_POOL }))).map((r) =>
      String(r.name),
    );
    // An empty events table (events not yet loaded) has nothing to check against.
    if (frequent.length === 0) continue;
    for (const name of missing) {
      const near = closestName(name, frequent);
      const message = `no events named ${JSON.stringify(name)} in ${events.table}${near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`}`;
      for (const at of used.get(name)!) problems.push({ path: formatPath(at), message });
    }
  }
  return problems;
}

/** The candidate closest to `name` (ignoring case), when it is close enough to be a slip. */
function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (!best || d < best.d) best = { name: c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/**
 * Every problem `validate --check-warehouse` reports, in file order; with `scope`, for those
 * entities and segments only; with `records` (the registry's recordMappings), the columns record
 * destinations map too.
 */
export async function warehouseProblems(ws: Workspace, warehouse: WarehouseDriver, scope?: Scope, records: readonly RecordColumnsOf[] = []): Promise<Problem[]> {
  const { catalog, problems } = await checkedCatalog(ws, warehouse, scope);
  const ignoreCase = warehouse.dialect.identifiersIgnoreCase;
  return [...problems, ...recordProblems(ws, catalog, ignoreCase, records), ...(await eventNameProblems(ws, warehouse, catalog, scope))];
}

/** A record destination fed from `entities[entityIndex]` (src/destinations/registry.ts recordMappings). */
export interface RecordColumnsOf {
  destinationIndex: number;
  entityIndex: number;
  spec: RecordSpec;
}

/** Every column a record destination maps exists in its entity's source or relation table. */
function recordProblems(ws: Workspace, catalog: Catalog, ignoreCase: boolean, records: readonly RecordColumnsOf[]): Problem[] {
  const problems: Problem[] = [];
  for (const { destinationIndex, entityIndex, spec } of records) {
    const entity = ws.entities[entityIndex]!;
    for (const field of columnFields(spec)) {
      const relation = field.relation === undefined ? undefined : entity.relations.find((r) => r.name === field.relation);
      const table = relation ? relation.table : entitySource(entity);
      const columns = catalog.get(table);
      if (columns && !findIn(columns, field.column, ignoreCase))
        problems.push({ path: formatPath(['destinations', destinationIndex, 'settings', 'fields', field.name]), message: noColumn(columns, table, field.column) });
    }
  }
  return problems;
}

async function checkedCatalog(ws: Workspace, warehouse: WarehouseDriver, scope?: Scope): Promise<{ catalog: Catalog; problems: Problem[] }> {
  const { catalog, problems } = await buildCatalog(ws, warehouse, scope);
  const ignoreCase = warehouse.dialect.identifiersIgnoreCase;
  return { catalog, problems: [...problems, ...entityProblems(ws, catalog, ignoreCase, scope), ...segmentProblems(ws, catalog, ignoreCase, scope)] };
}

/**
 * What `validate --check-warehouse` checks, for what a command is about to run: segments `ids`
 * and the segments they reference, their entity's tables, columns and `sql:` (one read-only
 * SELECT), and every comparison's types. Run before a command evaluates anything, so a wrong
 * column is an input error naming the file and path, in every command, rather than a failure
 * midway; with `records`, the columns those record destinations map too. Returns the catalog to
 * compile with.
 */
export async function preflight(ws: Workspace, warehouse: WarehouseDriver, ids: readonly string[], records: readonly RecordColumnsOf[] = []): Promise<Catalog> {
  const scope = scopeOf(ws, ids);
  await ensureSegmentState(warehouse, { segments: ws.segments.filter((_, i) => scope.segments.has(i)), stateSchema: ws.stateSchema });
  const checked = await checkedCatalog(ws, warehouse, scope);
  const { catalog } = checked;
  const problems = [...checked.problems, ...recordProblems(ws, catalog, warehouse.dialect.identifiersIgnoreCase, records)];
  if (problems.length > 0) throw new UserInputError(problems);
  return catalog;
}
