import { NotFoundError, type DefinitionKind, type DefinitionRepository, type StoredObject } from '../store';
import type { Actor } from '../store';

/** A definition as the API returns it: the object's own fields, then the store's. */
export type DefinitionOut<K extends DefinitionKind> = StoredObject<K>['body'] & Pick<StoredObject<K>, 'managedBy' | 'version' | 'createdAt' | 'updatedAt'>;

export function definitionOut<K extends DefinitionKind>(o: StoredObject<K>): DefinitionOut<K> {
  return { ...o.body, managedBy: o.managedBy, version: o.version, createdAt: o.createdAt, updatedAt: o.updatedAt };
}

/** The object, or a NotFoundError (404). */
export async function mustGet<K extends DefinitionKind>(repo: DefinitionRepository<K>, id: string): Promise<StoredObject<K>> {
  const found = await repo.get(id);
  if (!found) throw new NotFoundError(`no ${repo.kind} "${id}"`);
  return found;
}

/**
 * PATCH: the given fields merged into the stored object (`null` removes a field), checked whole
 * by the workspace file's schema. Without `version`, the version just read is used.
 */
export async function patchDefinition<K extends DefinitionKind>(
  repo: DefinitionRepository<K>,
  id: string,
  patch: Record<string, unknown>,
  actor: Actor,
): Promise<StoredObject<K>> {
  const current = await mustGet(repo, id);
  const { version, ...fields } = patch;
  const merged: Record<string, unknown> = { ...current.body };
  for (const [key, value] of Object.entries(fields)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return repo.update(id, merged, { version: typeof version === 'number' ? version : current.version }, actor);
}
