import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { TemporalUnavailableError, connectClient, connectionOptions, temporalConfigFromEnv } from '../../src/temporal/connection';

describe('temporal.config.ts from the environment', () => {
  it('defaults to a local dev server', () => {
    expect(temporalConfigFromEnv({})).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'outflow',
      tlsEnabled: false,
      worker: { maxConcurrentActivities: 1 },
      schedules: { idPrefix: 'outflow-sync/' },
    });
  });

  it('takes the worker concurrency from OUTFLOW_WORKER_CONCURRENCY and refuses nonsense', () => {
    expect(temporalConfigFromEnv({ OUTFLOW_WORKER_CONCURRENCY: '8' }).worker.maxConcurrentActivities).toBe(8);
    expect(() => temporalConfigFromEnv({ OUTFLOW_WORKER_CONCURRENCY: 'lots' })).toThrow(/invalid Temporal settings/);
  });

  it('an API key implies TLS and is passed on', async () => {
    const config = temporalConfigFromEnv({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'k-123' });
    expect(await connectionOptions(config)).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'k-123' });
  });

  it('mTLS reads the certificate pair and CA from files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outflow-tls-'));
    for (const f of ['c.pem', 'k.pem', 'ca.pem']) writeFileSync(join(dir, f), `---${f}---`);
    const config = temporalConfigFromEnv({
      TEMPORAL_TLS_CERT: join(dir, 'c.pem'),
      TEMPORAL_TLS_KEY: join(dir, 'k.pem'),
      TEMPORAL_TLS_CA: join(dir, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const { tls } = await connectionOptions(config);
    expect(tls).toMatchObject({ serverNameOverride: 'temporal.internal' });
    const t = tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate: Buffer };
    expect(t.clientCertPair.crt.toString()).toBe('---c.pem---');
    expect(t.clientCertPair.key.toString()).toBe('---k.pem---');
    expect(t.serverRootCACertificate.toString()).toBe('---ca.pem---');
  });

  it.each([
    [{ TEMPORAL_TLS_CERT: '/c.pem' }, /both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/],
    [{ TEMPORAL_TLS_CERT: '/c.pem', TEMPORAL_TLS_KEY: '/k.pem', TEMPORAL_API_KEY: 'k' }, /either TEMPORAL_API_KEY or/],
  ])('refuses settings that cannot work (%o) as invalid input', (env, message) => {
    expect(() => temporalConfigFromEnv(env)).toThrow(UserInputError);
    expect(() => temporalConfigFromEnv(env)).toThrow(message);
  });

  it('names the unreadable certificate file', async () => {
    const config = temporalConfigFromEnv({ TEMPORAL_TLS_CERT: '/no/such/cert.pem', TEMPORAL_TLS_KEY: '/no/such/key.pem' });
    await expect(connectionOptions(config)).rejects.toThrow(/TEMPORAL_TLS_CERT: cannot read \/no\/such\/cert.pem: ENOENT/);
  });

  it('says plainly where it tried when the server cannot be reached, without the API key', async () => {
    const config = temporalConfigFromEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_API_KEY: 'secret-key-value', TEMPORAL_TLS: 'false' });
    const err: unknown = await connectClient(config, { connectTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalUnavailableError);
    const message = (err as Error).message;
    expect(message).toMatch(/^cannot reach the Temporal server at 127\.0\.0\.1:1 \(namespace "default"\)/);
    expect(message).toMatch(/temporal server start-dev/);
    expect(message).not.toContain('secret-key-value');
  });
});
