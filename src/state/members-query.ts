import type { IdentifierKind, Workspace } from '../config/schema';
import { UserInputError } from '../config/errors';
import { compileMembers } from '../segments';
import type { Catalog } from '../segments/catalog';
import type { SqlDialect } from '../warehouse/dialect';
import type { CompiledQuery } from '../warehouse/driver';

/**
 * The SQL selecting a segment's members at `asOf`: `person_id` and one text column per
 * identifier kind, named by the kind. Its parameters are the statement's first ones.
 */
export function membersQuery(
  ws: Workspace,
  segmentId: string,
  o: { dialect: SqlDialect; asOf: Date; identifiers?: readonly IdentifierKind[]; catalog?: Catalog },
): CompiledQuery {
  if (!ws.segments.some((s) => s.id === segmentId))
    throw new UserInputError([{ path: 'segments', message: `unknown segment "${segmentId}"` }]);
  // With the warehouse's column types the compiler type-checks values and binds them typed
  // (e.g. an `in` list on a DATE column).
  return compileMembers(ws, segmentId, {
    dialect: o.dialect,
    asOf: o.asOf,
    identifiers: o.identifiers ?? [],
    ...(o.catalog ? { catalog: o.catalog } : {}),
  });
}
