import { z } from 'zod';

/**
 * How Outflow reaches Temporal: a local dev server, a self-hosted cluster, or Temporal Cloud
 * (mTLS or API key). Every field can be overridden by an environment variable.
 */
export const temporalConfigSchema = z.strictObject({
  address: z.string().min(1),
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  /** Temporal Cloud API key (sent as a bearer token; implies TLS). */
  apiKey: z.string().min(1).optional(),
  tls: z
    .strictObject({
      clientCertPath: z.string().min(1),
      clientKeyPath: z.string().min(1),
      serverRootCACertPath: z.string().min(1).optional(),
      serverNameOverride: z.string().min(1).optional(),
    })
    .optional(),
  schedules: z.strictObject({
    /** Cron used when a sync has no schedule of its own (UTC). */
    defaultCron: z.string().min(1),
    /** Prefix of schedule ids: `<prefix><syncId>`. */
    idPrefix: z.string().min(1),
  }),
});
export type TemporalConfig = z.infer<typeof temporalConfigSchema>;

export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const tls =
    env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY
      ? {
          clientCertPath: env.TEMPORAL_TLS_CERT,
          clientKeyPath: env.TEMPORAL_TLS_KEY,
          serverRootCACertPath: env.TEMPORAL_TLS_CA || undefined,
          serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
        }
      : undefined;
  return temporalConfigSchema.parse({
    address: env.TEMPORAL_ADDRESS ?? 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'outflow',
    apiKey: env.TEMPORAL_API_KEY || undefined,
    tls,
    schedules: {
      defaultCron: env.OUTFLOW_DEFAULT_CRON ?? '0 6 * * *',
      idPrefix: env.OUTFLOW_SCHEDULE_PREFIX ?? 'outflow-sync/',
    },
  });
}

export default loadTemporalConfig;
