import type { IdentifierKind, Workspace } from '../config/schema';
import { UserInputError } from '../config/errors';
import type { CompiledQuery } from '../warehouse/driver';
import type { SqlDialect } from '../warehouse/dialect';

/**
 * The SQL selecting a segment's members at `asOf`: `person_id` and one text column per
 * identifier kind, named by the kind.
 */
export function membersQuery(
  ws: Workspace,
  segmentId: string,
  o: { dialect: SqlDialect; asOf: Date; identifiers?: readonly IdentifierKind[] },
): CompiledQuery {
  const segment = ws.segments.find((s) => s.id === segmentId);
  if (!segment) throw new UserInputError([{ path: 'segments', message: `unknown segment "${segmentId}"` }]);
  const entity = ws.entities.find((e) => e.id === segment.entity)!;
  const q = (c: string) => o.dialect.quoteIdentifier(c);
  const cols = [`cast(${q(entity.primaryKey)} as varchar) as person_id`];
  for (const kind of o.identifiers ?? []) {
    const column = entity.identifiers[kind];
    cols.push(`${column ? `cast(${q(column)} as varchar)` : 'cast(null as varchar)'} as ${q(kind)}`);
  }
  const from = entity.table ? o.dialect.quoteQualified(entity.table) : `(${entity.sql})`;
  if (segment.type === 'everyone') return { sql: `select ${cols.join(', ')} from ${from} as e`, params: [] };
  if (segment.type === 'static') {
    const members = segment.members ?? [];
    if (members.length === 0) return { sql: `select ${cols.join(', ')} from ${from} as e where false`, params: [] };
    const ph = members.map((_, i) => o.dialect.placeholder(i));
    return { sql: `select ${cols.join(', ')} from ${from} as e where cast(${q(entity.primaryKey)} as varchar) in (${ph.join(', ')})`, params: members };
  }
  throw new Error('dynamic segments need the segment compiler');
}
