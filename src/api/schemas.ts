import { z } from 'zod';
import { RUN_STATUSES } from '../store';

/**
 * Schemas of the API's requests and responses besides the workspace file's own (which are the
 * request bodies of definitions). Responses are documented with these in the OpenAPI document and
 * checked against them in tests.
 */

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      path: z.string().optional(),
      openRunId: z.string().optional(),
      currentVersion: z.number().optional(),
    }),
  })
  .meta({ id: 'Error' });

/** `{id}` in a path: any text up to 256 characters; an unknown id is a 404. */
export const idParams = z.strictObject({ id: z.string().min(1).max(256) });

/** What the store adds to every definition. */
export const storedMeta = {
  managedBy: z.enum(['file', 'ui']),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
};

/** A definition as the API returns it: the object's fields, and the store's. */
export const definitionOut = (name: string) => z.looseObject({ id: z.string(), ...storedMeta }).meta({ id: name });

/** A PATCH body: the fields to change (merged into the object, then checked whole), and the version read. */
export const patchBody = z
  .looseObject({ version: z.number().int().positive().optional() })
  .meta({ description: 'Fields to change; the merged object is checked like the workspace file. `null` removes an optional field.' });

/** `?version=` on a DELETE. */
export const versionQuery = z.strictObject({ version: z.coerce.number().int().positive().optional() });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.string().max(64).optional(),
});

export const runOut = z
  .object({
    runId: z.string(),
    syncId: z.string(),
    status: z.enum(RUN_STATUSES),
    requestedBy: z.string().nullable(),
    options: z.object({ dryRun: z.boolean().optional(), confirmRemovals: z.boolean().optional(), full: z.boolean().optional() }),
    asOf: z.string().nullable(),
    queuedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    planned: z.number().nullable(),
    sent: z.number().nullable(),
    accepted: z.number().nullable(),
    rejected: z.number().nullable(),
    rejectedByReason: z.array(z.object({ reason: z.string(), count: z.number() })),
    deferred: z.number().nullable(),
    /** Members of the segment the workspace's exclusions kept out (null: none apply). */
    excluded: z.number().nullable(),
    batches: z.number().nullable(),
    timings: z.record(z.string(), z.number()),
    matchRate: z.number().nullable(),
    error: z.string().nullable(),
    version: z.number(),
  })
  .meta({ id: 'Run' });

export const runQueuedOut = z.object({ runId: z.string(), status: z.literal('queued') });

export const evaluationOut = z.object({
  segmentId: z.string(),
  asOf: z.string(),
  evaluatedAt: z.string(),
  memberCount: z.number(),
  added: z.number(),
  removed: z.number(),
});

export const segmentDestinationOut = z
  .object({
    destinationId: z.string(),
    type: z.string(),
    title: z.string(),
    enabled: z.boolean(),
    syncId: z.string().nullable(),
    status: z.string().nullable(),
    lastRun: runOut.nullable(),
    matchRate: z.number().nullable(),
  })
  .meta({ id: 'SegmentDestination' });

export const auditOut = z.object({
  id: z.number(),
  at: z.string(),
  actor: z.string(),
  origin: z.string().nullable(),
  action: z.string(),
  objectType: z.string(),
  objectId: z.string(),
  diff: z.object({ before: z.record(z.string(), z.unknown()).nullable(), after: z.record(z.string(), z.unknown()).nullable() }),
});
