import type { DestinationType } from '../src/config/schema';
import type { ConnectorDefinition } from './types';

/**
 * Every destination type Outflow can sync to. Loaded lazily so a command that never talks to
 * a platform never loads its client. Add one line per connector.
 */
const CONNECTORS: Partial<Record<DestinationType, () => Promise<ConnectorDefinition>>> = {
  file: async () => (await import('./file')).default as unknown as ConnectorDefinition,
  google_ads: async () => (await import('./google-ads')).default as unknown as ConnectorDefinition,
  meta: async () => (await import('./meta')).default as unknown as ConnectorDefinition,
};

export async function loadConnector(type: DestinationType): Promise<ConnectorDefinition | undefined> {
  const load = CONNECTORS[type];
  return load ? load() : undefined;
}

export function knownConnectorTypes(): DestinationType[] {
  return Object.keys(CONNECTORS) as DestinationType[];
}
