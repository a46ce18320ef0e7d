import type { z } from 'zod';
import { loadConnector } from '../destinations/registry';
import type { DestinationType } from '../config/schema';
import type { SecretKeys } from './secrets';

/**
 * What the store needs of a destination type: which settings are secret, and the connector's
 * settings schema. The one place the store loads connectors. A type no connector implements has
 * every setting treated as secret, so nothing leaks for want of a list.
 */
export interface ConnectorFacts {
  title: string | undefined;
  secretKeys: SecretKeys;
  settingsSchema: z.ZodType | undefined;
}

export async function connectorFacts(type: DestinationType): Promise<ConnectorFacts> {
  const connector = await loadConnector(type);
  if (!connector) return { title: undefined, secretKeys: 'all', settingsSchema: undefined };
  return { title: connector.title, secretKeys: connector.secretSettings, settingsSchema: connector.settingsSchema };
}

/** connectorFacts for each type once. */
export async function connectorFactsByType(types: Iterable<DestinationType>): Promise<Map<DestinationType, ConnectorFacts>> {
  const unique = [...new Set(types)];
  const facts = await Promise.all(unique.map((t) => connectorFacts(t)));
  return new Map(unique.map((t, i) => [t, facts[i]!]));
}
