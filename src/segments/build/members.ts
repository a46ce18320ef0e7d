import type { SqlWriter } from '../sql-writer';
import { inList } from './filter';

/** A static segment: the primary key, as text, is one of the stored members (one list parameter). */
export function staticMembersSql(w: SqlWriter, personId: string, members: readonly string[], negated: boolean): string {
  const test = inList(w, personId, members);
  return negated ? `NOT (${test})` : test;
}
