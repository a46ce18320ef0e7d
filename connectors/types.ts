import type { z } from 'zod';
import type { DestinationType, IdentifierKind } from '../src/config/schema';
import type { Destination } from '../src/sync/destination';
import type { EncodePool } from './shared/encode-pool';

/** What a connector gets besides its settings. */
export interface ConnectorDeps {
  /** Folder of the workspace file; relative paths in settings resolve from here. */
  baseDir: string;
  /** The workspace's id of this destination, for error messages (`destination "meta-main"`). */
  destinationId?: string;
  /** Structured log with secrets and personal data already kept out by the caller. */
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Injected for tests: fetch implementation and clock. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Where large requests are normalised and hashed; default the process's shared pool. */
  encodePool?: EncodePool;
}

/**
 * One destination type. Every connector folder has the same shape: `index.ts` exports a
 * definition like this one, `api.ts` holds the thin typed client.
 */
export interface ConnectorDefinition<S = Record<string, unknown>> {
  type: DestinationType;
  /** Human name for the UI and messages. */
  title: string;
  /** Settings schema; strict, so typos are errors at `destinations[i].settings.<key>`. */
  settingsSchema: z.ZodType<S>;
  /** Settings keys that hold secrets: never logged, encrypted at rest, masked in the UI. */
  secretSettings: readonly string[];
  /** Identifier kinds the platform accepts, in order of preference (one-click default). */
  identifiers: readonly IdentifierKind[];
  create(settings: S, deps: ConnectorDeps): Destination;
}
