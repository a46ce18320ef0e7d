import { createHash } from 'node:crypto';
import type { Workspace } from '../config/schema';
import { canonicalJson } from './definitions';

/**
 * Bumped when what apply stores for the same file changes (a new default, another encoding), so
 * every store re-applies its file once after an upgrade.
 */
const DEFINITIONS_FORMAT = 'outflow-definitions-1';

/**
 * The fingerprint of a workspace file's definitions as apply would store them: the file's text
 * (destination settings are stored as written, `${env:NAME}` references unresolved) and the
 * checked definitions (which carry the values of any other references). Equal fingerprints mean
 * apply would change nothing, so a command whose file has not changed writes nothing.
 */
export function definitionsFingerprint(text: string, workspace: Workspace): string {
  const definitions = {
    entities: workspace.entities,
    segments: workspace.segments,
    syncs: workspace.syncs,
    destinations: workspace.destinations.map((d) => ({ id: d.id, type: d.type })),
  };
  return createHash('sha256').update(DEFINITIONS_FORMAT).update('\0').update(text).update('\0').update(canonicalJson(definitions)).digest('hex');
}
