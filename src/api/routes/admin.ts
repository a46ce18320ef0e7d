import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../store';
import { actorOf, type ApiContext } from '../context';
import { auditOut } from '../schemas';

/** `GET /me`: who the token is. */
export const meOut = z.object({ name: z.string(), role: z.enum(ROLES) }).meta({ id: 'Me' });
const tokenOut = z.object({ name: z.string(), role: z.enum(ROLES), createdAt: z.string(), createdBy: z.string().nullable() });

/** The membership lookup and `/me` (any role), the audit log and tokens (admin). */
export function registerAdmin(api: FastifyInstance, ctx: ApiContext): void {
  const app = api.withTypeProvider<ZodTypeProvider>();
  const { store } = ctx;

  app.get(
    '/persons/:personId/segments',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['membership'],
        summary: 'The segments a person is in, answered from the store (fed by every refresh), never from the warehouse',
        params: z.strictObject({ personId: z.string().min(1).max(256) }),
        response: {
          200: z.object({
            personId: z.string(),
            segments: z.array(z.string()),
            groups: z.record(z.string(), z.string()).meta({ description: 'The person\'s group in each split segment they are in, by segment id (e.g. {"checkout-test": "treatment"})' }),
            asOf: z.string().nullable(),
          }),
        },
      },
    },
    (req) => store.membership.segmentsOf(req.params.personId),
  );

  app.get(
    '/me',
    {
      config: { role: 'viewer' },
      schema: { tags: ['tokens'], summary: 'The calling token: its name and role (the web UI hides what the role may not do)', response: { 200: meOut } },
    },
    (req) => ({ name: req.identity!.name, role: req.identity!.role }),
  );

  const auditQuery = z.strictObject({
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    before: z.coerce.number().int().positive().optional(),
    objectType: z.enum(['entity', 'segment', 'destination', 'sync', 'token']).optional(),
    objectId: z.string().max(128).optional(),
  });
  app.get('/audit', { config: { role: 'admin' }, schema: { tags: ['audit'], querystring: auditQuery, response: { 200: z.array(auditOut) } } }, async (req) => {
    const { limit, before, objectType, objectId } = req.query;
    return store.audit.list({
      ...(limit !== undefined ? { limit } : {}),
      ...(before !== undefined ? { before } : {}),
      ...(objectType !== undefined ? { objectType } : {}),
      ...(objectId !== undefined ? { objectId } : {}),
    });
  });

  app.get('/tokens', { config: { role: 'admin' }, schema: { tags: ['tokens'], response: { 200: z.array(tokenOut) } } }, () => store.tokens.list());
  app.post(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['tokens'],
        body: z.strictObject({ name: z.string().min(1).max(64), role: z.enum(ROLES) }),
        response: { 201: tokenOut.extend({ token: z.string().meta({ description: 'shown once; the store keeps its hash' }) }) },
      },
    },
    async (req, reply) => reply.code(201).send(await store.tokens.create(req.body, actorOf(req))),
  );
  app.delete(
    '/tokens/:name',
    { config: { role: 'admin' }, schema: { tags: ['tokens'], params: z.strictObject({ name: z.string().min(1).max(64) }) } },
    async (req, reply) => {
      await store.tokens.revoke(req.params.name, actorOf(req));
      return reply.code(204).send();
    },
  );
}
