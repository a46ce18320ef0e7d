import type { IdentifierKind, Workspace } from '../../../src/config/schema';
import type { CompiledQuery } from '../../../src/warehouse/driver';
import type { SqlDialect } from '../../../src/warehouse/dialect';

/**
 * Stands in for src/segments in the crash test's child bundle: the child only evaluates an
 * `everyone` segment, and leaving the full compiler (and zod) out of the bundle halves each child's
 * start-up. The crash test exercises the sync machinery; the compiler has its own tests.
 */
export function compileMembers(
  ws: Workspace,
  segmentId: string,
  o: { dialect: SqlDialect; identifiers?: readonly IdentifierKind[] },
): CompiledQuery {
  const segment = ws.segments.find((s) => s.id === segmentId)!;
  const entity = ws.entities.find((e) => e.id === segment.entity)!;
  if (segment.type !== 'everyone' || !entity.sql) throw new Error('the crash-test compiler only knows everyone-segments over SQL entities');
  const q = (c: string) => o.dialect.quoteIdentifier(c);
  const cols = (o.identifiers ?? []).map((k) => `cast(e.${q(entity.identifiers[k]!)} as varchar) as ${q(k)}`);
  return { sql: `select cast(e.${q(entity.primaryKey)} as varchar) as person_id${cols.map((c) => `, ${c}`).join('')} from (${entity.sql}) as e`, params: [] };
}
