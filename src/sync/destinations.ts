import { UserInputError } from '../config/errors';
import { connectorFor } from '../config/destinations';
import type { DestinationConfig, Workspace } from '../config/schema';
import type { Destination } from './destination';

/** Creates the Destination a workspace's destination config describes. */
export type DestinationFactory = (config: DestinationConfig) => Promise<Destination>;

/**
 * The default factory: loads the connector, validates its settings (errors point at
 * `destinations[i].settings.<key>`), creates one Destination per destination id and reuses it.
 */
export function destinationFactory(
  workspace: Workspace,
  baseDir: string,
  log?: (event: string, fields?: Record<string, unknown>) => void,
): DestinationFactory {
  const made = new Map<string, Promise<Destination>>();
  return (config) => {
    let d = made.get(config.id);
    if (!d) {
      d = create(workspace, config, baseDir, log);
      made.set(config.id, d);
    }
    return d;
  };
}

async function create(
  workspace: Workspace,
  config: DestinationConfig,
  baseDir: string,
  log?: (event: string, fields?: Record<string, unknown>) => void,
): Promise<Destination> {
  const checked = await connectorFor(config, workspace.destinations.findIndex((d) => d.id === config.id));
  const { connector, settings, problems } = checked;
  if (!connector || !settings) throw new UserInputError(problems);
  return connector.create(settings, { baseDir, destinationId: config.id, ...(log ? { log } : {}) });
}
