import { zodProblems } from '../config/load';
import { type Workspace, workspaceSchema } from '../config/schema';
import { DEFINITION_KINDS, type DefinitionKind, SECTION } from './definitions';

/** Bodies of every definition, by kind, as they would be after a change. */
export type DefinitionBodiesByKind = { [K in DefinitionKind]: readonly object[] };

/** Builds the bodies of each kind with `select`. */
export function bodiesOf(select: (kind: DefinitionKind) => readonly object[]): DefinitionBodiesByKind {
  return { entity: select('entity'), segment: select('segment'), destination: select('destination'), sync: select('sync') };
}

/** A problem of one object, with a path relative to its body (`rules.conditions[0].segment`). */
export interface DefinitionProblem {
  kind: DefinitionKind;
  id: string;
  path: string;
  message: string;
}

const KIND_OF_SECTION = new Map(DEFINITION_KINDS.map((k) => [SECTION[k] as string, k]));

/**
 * Checks a set of definitions the way the workspace file is checked (each object's schema, unique
 * ids, references between objects, no cycles, the condition limit), so the file and the store
 * accept the same things. Returns each problem against the object it is about.
 *
 * @example
 * checkDefinitions({ entity: [person], segment: [a, b], destination: [], sync: [] }, { maxConditions: 50 })
 * // [{ kind: 'segment', id: 'b', path: 'rules.conditions[0].segment', message: 'unknown segment "c"' }]
 */
export function checkDefinitions(bodies: DefinitionBodiesByKind, limits: Workspace['limits']): DefinitionProblem[] {
  const candidate = {
    version: 1,
    warehouse: { type: 'duckdb', path: ':memory:' },
    limits,
    entities: bodies.entity,
    segments: bodies.segment,
    destinations: bodies.destination,
    syncs: bodies.sync,
  };
  const parsed = workspaceSchema.safeParse(candidate);
  if (parsed.success) return [];
  return zodProblems(parsed.error).map((p) => {
    const m = /^(entities|segments|destinations|syncs)\[(\d+)\]\.?(.*)$/.exec(p.path);
    const kind = m ? KIND_OF_SECTION.get(m[1]!) : undefined;
    if (!m || !kind) return { kind: KIND_OF_SECTION.get(p.path.split(/[.[]/)[0]!) ?? 'entity', id: '', path: p.path, message: p.message };
    const body = bodies[kind][Number(m[2])] as { id?: unknown } | undefined;
    return { kind, id: typeof body?.id === 'string' ? body.id : `#${m[2]}`, path: m[3] ?? '', message: p.message };
  });
}

/** `segment "win-back": rules.conditions[0].segment: unknown segment "x"` */
export function describeProblem(p: DefinitionProblem): string {
  if (p.id === '') return `${p.path}: ${p.message}`;
  return `${p.kind} "${p.id}"${p.path ? `: ${p.path}` : ''}: ${p.message}`;
}
