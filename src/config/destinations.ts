import path from 'node:path';
import { loadConnector } from '../../connectors';
import type { ConnectorDefinition } from '../../connectors/types';
import type { DestinationConfig } from './schema';
import type { LoadedWorkspace } from './load';
import { unsetVariables, zodProblems } from './load';
import { type Problem, UserInputError } from './errors';

/**
 * Loads the connector of `destinations[index]` and parses its settings with the connector's own
 * schema; problems point at `destinations[index].type` or `destinations[index].settings.<key>`.
 */
export async function connectorFor(
  dest: DestinationConfig,
  index: number,
): Promise<{ connector?: ConnectorDefinition; settings?: Record<string, unknown>; problems: Problem[] }> {
  const at = `destinations[${index}]`;
  const connector = await loadConnector(dest.type);
  if (!connector) return { problems: [{ path: `${at}.type`, message: `no connector for "${dest.type}" in this version of Outflow` }] };
  const unset = unsetVariables(dest.settings, `${at}.settings`);
  if (unset.length > 0) return { connector, problems: unset };
  const parsed = connector.settingsSchema.safeParse(dest.settings);
  if (!parsed.success)
    return {
      connector,
      problems: zodProblems(parsed.error).map((p) => ({
        path: `${at}.settings${p.path ? `.${p.path}` : ''}`.replace('.settings.[', '.settings['),
        message: p.message,
      })),
    };
  return { connector, settings: parsed.data, problems: [] };
}

/**
 * Checks what the workspace schema alone cannot: each destination's settings against its
 * connector's own schema, and each sync's identifiers against what the destination accepts and
 * the entity maps. Async because connectors load lazily.
 */
export async function validateDestinations(loaded: LoadedWorkspace): Promise<void> {
  const { workspace } = loaded;
  const file = path.relative(process.cwd(), loaded.file) || loaded.file;
  const problems: Problem[] = [];
  const accepted = new Map<string, readonly string[]>();

  for (const [i, dest] of workspace.destinations.entries()) {
    const checked = await connectorFor(dest, i);
    problems.push(...checked.problems.map((p) => ({ file, ...p })));
    if (checked.connector) accepted.set(dest.id, checked.connector.identifiers);
  }

  for (const [i, sync] of workspace.syncs.entries()) {
    const kinds = accepted.get(sync.destination);
    const segment = workspace.segments.find((s) => s.id === sync.segment);
    const entity = workspace.entities.find((e) => e.id === segment?.entity);
    if (!kinds || !entity || !sync.identifiers) continue;
    sync.identifiers.forEach((kind, j) => {
      if (!kinds.includes(kind))
        problems.push({ file, path: `syncs[${i}].identifiers[${j}]`, message: `destination "${sync.destination}" does not accept ${kind} (it accepts ${kinds.join(', ')})` });
      else if (!entity.identifiers[kind])
        problems.push({ file, path: `syncs[${i}].identifiers[${j}]`, message: `entity "${entity.id}" maps no ${kind} column (entities[].identifiers.${kind})` });
    });
  }
  if (problems.length > 0) throw new UserInputError(problems);
}
