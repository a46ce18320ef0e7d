import type { SqlWriter } from '../sql-writer';
import type { MembersNode } from '../tree';
import { inList } from './filter';

/** The state-schema table of static segments' stored members (src/state/static-members.ts writes it). */
export const STATIC_MEMBERS_TABLE = 'static_segment_members';

/**
 * A static segment: the primary key, as text, is one of its stored rows in the state schema (a
 * semi-join, `segments/in-set`) or one of the keys its definition lists (one list parameter).
 * Negated: neither (`segments/not-in-set`, an anti-join).
 */
export function staticMembersSql(w: SqlWriter, personId: string, node: MembersNode): string {
  const table = w.dialect.quoteQualified(`${node.table.schema}.${node.table.name}`);
  const set = `SELECT m.person_id AS person_key FROM ${table} AS m WHERE m.segment_id = ${w.bind(node.segmentId)}`;
  const stored = w.render(node.negated ? 'not-in-set' : 'in-set', { key: personId, set });
  if (node.members.length === 0) return stored;
  const listed = inList(w, personId, node.members);
  return node.negated ? `(NOT (${listed}) AND ${stored})` : `(${listed} OR ${stored})`;
}
