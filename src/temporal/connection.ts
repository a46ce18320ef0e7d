import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { UserInputError } from '../config/errors';
import { TemporalConfigError, loadTemporalConfig, type TemporalConfig } from '../../temporal.config';

/** The Temporal server could not be reached; the CLI prints this and exits 1. */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
}

/** temporal.config.ts from the environment; a bad setting is the user's to fix (exit 2). */
export function temporalConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  try {
    return loadTemporalConfig(env);
  } catch (err) {
    if (err instanceof TemporalConfigError) throw new UserInputError([{ path: 'temporal', message: err.message }]);
    throw err;
  }
}

async function readPem(path: string, variable: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UserInputError([{ path: variable, message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
}

/** TLS per the config: mTLS with a client certificate, plain TLS, TLS implied by an API key, or none. */
export async function tlsOptions(config: TemporalConfig): Promise<TLSConfig | boolean> {
  if (config.tls) {
    const tls: TLSConfig = {
      clientCertPair: {
        crt: await readPem(config.tls.clientCertPath, 'TEMPORAL_TLS_CERT'),
        key: await readPem(config.tls.clientKeyPath, 'TEMPORAL_TLS_KEY'),
      },
    };
    if (config.tls.serverRootCACertPath) tls.serverRootCACertificate = await readPem(config.tls.serverRootCACertPath, 'TEMPORAL_TLS_CA');
    if (config.tls.serverNameOverride) tls.serverNameOverride = config.tls.serverNameOverride;
    return tls;
  }
  return config.tlsEnabled || config.apiKey !== undefined;
}

/** Options shared by client and worker connections. The API key is passed, never printed. */
export async function connectionOptions(config: TemporalConfig): Promise<{ address: string; tls: TLSConfig | boolean; apiKey?: string }> {
  return { address: config.address, tls: await tlsOptions(config), ...(config.apiKey ? { apiKey: config.apiKey } : {}) };
}

export function unavailable(config: TemporalConfig, err: unknown): TemporalUnavailableError {
  const detail = err instanceof Error ? err.message : String(err);
  return new TemporalUnavailableError(
    `cannot reach the Temporal server at ${config.address} (namespace "${config.namespace}"): ${detail}\n` +
      'Start one locally with `temporal server start-dev`, or set TEMPORAL_ADDRESS (and TEMPORAL_API_KEY or TEMPORAL_TLS_CERT/KEY for Temporal Cloud); see docs/temporal.md.',
  );
}

/** A client for starting workflows and managing schedules; fails fast with a clear message. */
export async function connectClient(config: TemporalConfig, opts: { connectTimeoutMs?: number } = {}): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...(await connectionOptions(config)), connectTimeout: opts.connectTimeoutMs ?? 3000 });
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    throw unavailable(config, err);
  }
  return { client: new Client({ connection, namespace: config.namespace }), close: () => connection.close() };
}
