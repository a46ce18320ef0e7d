import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { priorityListSchema } from '../../config/schema';
import { type ApiContext, workspaceOf } from '../context';

const exclusionsOut = z
  .object({
    exclusions: z.array(z.string()).describe('Segments whose members no sync sends, unless the sync sets ignoreExclusions'),
    managedBy: z.literal('file'),
  })
  .meta({ id: 'Exclusions' });
const priorityListsOut = z
  .object({
    priorityLists: z.array(priorityListSchema).describe('Ordered segments: each person goes only to the first segment of a list they match'),
    managedBy: z.literal('file'),
  })
  .meta({ id: 'PriorityLists' });

/**
 * The workspace's exclusions and priority lists (any role may read them). They are settings of the
 * workspace file, checked when it is applied, and changed there (`managedBy: "file"`), like the
 * state schema. Whether a sync ignores the exclusions is its `ignoreExclusions`, which only the
 * data role may set (`POST`/`PATCH /syncs`).
 */
export function registerAudienceLists(api: FastifyInstance, ctx: ApiContext): void {
  const app = api.withTypeProvider<ZodTypeProvider>();
  app.get('/exclusions', { config: { role: 'viewer' }, schema: { tags: ['segments'], summary: "The workspace's exclusion segments", response: { 200: exclusionsOut } } }, async () => ({
    exclusions: (await workspaceOf(ctx)).exclusions,
    managedBy: 'file' as const,
  }));
  app.get('/priority-lists', { config: { role: 'viewer' }, schema: { tags: ['segments'], summary: "The workspace's priority lists", response: { 200: priorityListsOut } } }, async () => ({
    priorityLists: (await workspaceOf(ctx)).priorityLists,
    managedBy: 'file' as const,
  }));
}
