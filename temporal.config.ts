import { z } from 'zod';

/**
 * How Outflow reaches Temporal: a local dev server, a self-hosted cluster, or Temporal Cloud
 * (mTLS or API key). Every field comes from an environment variable, so one build runs
 * anywhere; docs/temporal.md lists them.
 *
 * @example
 * // Temporal Cloud with an API key
 * TEMPORAL_ADDRESS=my-ns.a1b2c.tmprl.cloud:7233 TEMPORAL_NAMESPACE=my-ns.a1b2c TEMPORAL_API_KEY=... outflow worker
 */
export const temporalConfigSchema = z.strictObject({
  address: z.string().min(1),
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  /** Temporal Cloud API key (sent as a bearer token; implies TLS). Never logged. */
  apiKey: z.string().min(1).optional(),
  /** Use TLS with the system's root certificates (self-hosted behind TLS, no client certificate). */
  tlsEnabled: z.boolean(),
  tls: z
    .strictObject({
      clientCertPath: z.string().min(1),
      clientKeyPath: z.string().min(1),
      serverRootCACertPath: z.string().min(1).optional(),
      serverNameOverride: z.string().min(1).optional(),
    })
    .optional(),
  worker: z.strictObject({
    /**
     * Activities one worker runs at once. The steps of one run are sequential anyway; this bounds
     * how many syncs share the worker's warehouse connection. Keep 1 for an embedded DuckDB file
     * (one connection, whose transactions must not interleave); raise it for warehouses that
     * give each step its own session (PostgreSQL, BigQuery, Snowflake).
     */
    maxConcurrentActivities: z.number().int().min(1).max(100),
  }),
  schedules: z.strictObject({
    /** Prefix of schedule ids: `<prefix><syncId>`. Only schedules with it are Outflow's to change. */
    idPrefix: z.string().min(1),
  }),
});
export type TemporalConfig = z.infer<typeof temporalConfigSchema>;

/** A setting that cannot work as given; the CLI reports it as invalid input (exit 2). */
export class TemporalConfigError extends Error {
  override readonly name = 'TemporalConfigError';
}

export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const cert = env.TEMPORAL_TLS_CERT || undefined;
  const key = env.TEMPORAL_TLS_KEY || undefined;
  if ((cert === undefined) !== (key === undefined))
    throw new TemporalConfigError('mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (paths to the client certificate and its key); only one is set');
  if (cert !== undefined && env.TEMPORAL_API_KEY)
    throw new TemporalConfigError('set either TEMPORAL_API_KEY or TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY, not both');
  const tls =
    cert !== undefined && key !== undefined
      ? {
          clientCertPath: cert,
          clientKeyPath: key,
          serverRootCACertPath: env.TEMPORAL_TLS_CA || undefined,
          serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
        }
      : undefined;
  const parsed = temporalConfigSchema.safeParse({
    address: env.TEMPORAL_ADDRESS || 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'outflow',
    apiKey: env.TEMPORAL_API_KEY || undefined,
    tlsEnabled: env.TEMPORAL_TLS === 'true' || env.TEMPORAL_TLS === '1',
    tls,
    worker: { maxConcurrentActivities: env.OUTFLOW_WORKER_CONCURRENCY ? Number(env.OUTFLOW_WORKER_CONCURRENCY) : 1 },
    schedules: { idPrefix: env.OUTFLOW_SCHEDULE_PREFIX || 'outflow-sync/' },
  });
  if (!parsed.success) throw new TemporalConfigError(`invalid Temporal settings: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export default loadTemporalConfig;
