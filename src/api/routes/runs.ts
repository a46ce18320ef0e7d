import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, type RunRecord } from '../../store';
import { actorOf, type ApiContext } from '../context';
import { mustGet } from '../definitions';
import { idParams, pageQuery, runOut, runQueuedOut } from '../schemas';

/** A run record as the API shows it: rejections by reason as a list, largest first. */
export function runView(r: RunRecord): z.infer<typeof runOut> {
  const rejectedByReason = Object.entries(r.rejectedByReason)
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { ...r, rejectedByReason };
}

const runRequest = z
  .strictObject({
    dryRun: z.boolean().optional(),
    confirmRemovals: z.boolean().optional(),
    /** Re-send the whole audience, not only the changes. */
    full: z.boolean().optional(),
  })
  .default({});

/** Run now, confirm removals, run history (SPEC §6). */
export function registerRuns(api: FastifyInstance, ctx: ApiContext): void {
  const app = api.withTypeProvider<ZodTypeProvider>();
  const { store } = ctx;

  app.post(
    '/syncs/:id/runs',
    { config: { role: 'marketer' }, schema: { tags: ['runs'], params: idParams, body: runRequest, response: { 202: runQueuedOut } } },
    async (req, reply) => {
      await mustGet(store.syncs, req.params.id);
      const body = req.body ?? {};
      const options = {
        ...(body.dryRun ? { dryRun: true } : {}),
        ...(body.confirmRemovals ? { confirmRemovals: true } : {}),
        ...(body.full ? { full: true } : {}),
      };
      const run = await ctx.runs.request(req.params.id, options, actorOf(req));
      return reply.code(202).send({ runId: run.runId, status: 'queued' as const });
    },
  );
  app.get(
    '/syncs/:id/runs',
    { config: { role: 'viewer' }, schema: { tags: ['runs'], params: idParams, querystring: pageQuery, response: { 200: z.array(runOut) } } },
    async (req) => {
      await mustGet(store.syncs, req.params.id);
      return (await store.runs.list(req.params.id, pageOptions(req.query))).map(runView);
    },
  );
  app.get('/runs', { config: { role: 'viewer' }, schema: { tags: ['runs'], querystring: pageQuery, response: { 200: z.array(runOut) } } }, async (req) =>
    (await store.runs.list(undefined, pageOptions(req.query))).map(runView),
  );
  const runParams = z.strictObject({ runId: z.string().min(1).max(128) });
  app.get('/runs/:runId', { config: { role: 'viewer' }, schema: { tags: ['runs'], params: runParams, response: { 200: runOut } } }, async (req) => {
    const run = await store.runs.get(req.params.runId);
    if (!run) throw new NotFoundError(`no run "${req.params.runId}"`);
    return runView(run);
  });
  app.post(
    '/runs/:runId/confirm',
    { config: { role: 'marketer' }, schema: { tags: ['runs'], params: runParams, response: { 202: runQueuedOut } } },
    async (req, reply) => {
      const run = await ctx.runs.confirm(req.params.runId, actorOf(req));
      return reply.code(202).send({ runId: run.runId, status: 'queued' as const });
    },
  );
}

function pageOptions(q: { limit?: number | undefined; before?: string | undefined }): { limit?: number; before?: string } {
  return { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.before !== undefined ? { before: q.before } : {}) };
}
