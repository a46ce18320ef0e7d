import type { CompiledQuery, WarehouseDriver } from '../../src/warehouse/driver';

/** One node of PostgreSQL's `EXPLAIN (FORMAT JSON)` plan. */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Join Type'?: string;
  'Subplan Name'?: string;
  'Parent Relationship'?: string;
  'Index Name'?: string;
  'Total Cost'?: number;
  Plans?: PlanNode[];
}

/** A statement's plan as PostgreSQL would run it: its shape, one node per line, and what is wrong with it. */
export interface PlanShape {
  /** `Hash Anti Join`, `  Seq Scan on segment_membership`, ... indented by depth. */
  lines: string[];
  totalCost: number;
  /** Shapes that grow with the product of two tables: a plain (non-hashed) SubPlan, a nested loop over a sequential scan. */
  problems: string[];
}

/**
 * EXPLAINs `q` on PostgreSQL (without running it) and describes the plan. `setup` statements
 * (e.g. `set local work_mem = '64kB'`) run first in the same transaction.
 */
export async function explainPostgres(w: WarehouseDriver, q: CompiledQuery, setup: readonly string[] = []): Promise<PlanShape> {
  const rows = await w.transaction(async (tx) => {
    for (const s of setup) await tx.execute(s);
    return tx.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${q.sql}`, q.params);
  });
  const doc = rows[0]!['QUERY PLAN'];
  const parsed = (typeof doc === 'string' ? JSON.parse(doc) : doc) as { Plan: PlanNode }[];
  return describePlan(parsed[0]!.Plan);
}

export function describePlan(root: PlanNode): PlanShape {
  const lines: string[] = [];
  const problems: string[] = [];
  const visit = (n: PlanNode, depth: number) => {
    const on = n['Relation Name'] ? ` on ${n['Relation Name']}` : '';
    const via = n['Index Name'] ? ` using ${n['Index Name']}` : '';
    const sub = n['Subplan Name'] ? ` [${n['Subplan Name']}]` : '';
    lines.push(`${'  '.repeat(depth)}${n['Node Type']}${n['Join Type'] && !n['Node Type'].includes(n['Join Type']) ? ` (${n['Join Type']})` : ''}${on}${via}${sub}`);
    // An InitPlan runs once; a SubPlan that is not hashed runs once per outer row.
    if (n['Subplan Name']?.startsWith('SubPlan')) problems.push(`plain ${n['Subplan Name']}: runs once per outer row`);
    if (n['Node Type'] === 'Nested Loop' && (n.Plans ?? []).some((c) => c['Node Type'] === 'Seq Scan' && c['Parent Relationship'] === 'Inner'))
      problems.push('nested loop over a sequential scan');
    for (const c of n.Plans ?? []) visit(c, depth + 1);
  };
  visit(root, 0);
  return { lines, totalCost: root['Total Cost'] ?? 0, problems };
}

/** One node of DuckDB's `EXPLAIN (FORMAT JSON)` physical plan. */
interface DuckDbNode {
  name: string;
  children?: DuckDbNode[];
  extra_info?: Record<string, unknown>;
}

/** Whether a DuckDB plan node yields one row: an aggregate without groups, or only such below projections and cross products. */
function oneRow(n: DuckDbNode): boolean {
  if (n.name === 'UNGROUPED_AGGREGATE') return true;
  return (n.name === 'PROJECTION' || n.name === 'CROSS_PRODUCT') && (n.children ?? []).length > 0 && (n.children ?? []).every(oneRow);
}

/** As explainPostgres, on DuckDB: its physical plan's operators; a nested-loop or blockwise join or a cross product is a problem. */
export async function explainDuckDb(w: WarehouseDriver, q: CompiledQuery): Promise<PlanShape> {
  const rows = await w.query<{ explain_value: string }>(`explain (format json) ${q.sql}`, q.params);
  const roots = JSON.parse(rows[0]!.explain_value) as DuckDbNode[];
  const lines: string[] = [];
  const problems: string[] = [];
  const visit = (n: DuckDbNode, depth: number) => {
    const info = n.extra_info ?? {};
    const join = typeof info['Join Type'] === 'string' ? ` (${info['Join Type']})` : '';
    const table = typeof info.Table === 'string' ? ` on ${info.Table.split('.').pop()}` : '';
    lines.push(`${'  '.repeat(depth)}${n.name}${join}${table}`);
    // A cross product of single-row results (scalar subqueries side by side) is one row, not a problem.
    if (/NESTED_LOOP|BLOCKWISE_NL/.test(n.name) || (n.name === 'CROSS_PRODUCT' && !(n.children ?? []).every(oneRow)))
      problems.push(`${n.name}: compares every row with every row`);
    for (const c of n.children ?? []) visit(c, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  return { lines, totalCost: 0, problems };
}
