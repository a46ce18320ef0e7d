import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { destinationSchema, entitySchema, syncSchema } from '../../config/schema';
import { DestinationError } from '../../destinations/contract';
import { knownConnectorTypes, loadConnector } from '../../destinations/registry';
import { NotFoundError } from '../../store';
import { actorOf, type ApiContext } from '../context';
import { definitionOut, mustGet, patchDefinition } from '../definitions';
import { definitionOut as definitionSchema, idParams, patchBody, versionQuery } from '../schemas';

const entityOut = definitionSchema('Entity');
const destinationOut = definitionSchema('Destination');
const syncOut = definitionSchema('Sync');

/**
 * Entities, destinations (connections), classic syncs and the connector catalogue (SPEC §6):
 * reads for every role, changes for the data role.
 */
export function registerConnections(api: FastifyInstance, ctx: ApiContext): void {
  const app = api.withTypeProvider<ZodTypeProvider>();
  const { store } = ctx;

  // Entities
  app.get('/entities', { config: { role: 'viewer' }, schema: { tags: ['entities'], response: { 200: z.array(entityOut) } } }, async () =>
    (await store.entities.list()).map(definitionOut),
  );
  app.get('/entities/:id', { config: { role: 'viewer' }, schema: { tags: ['entities'], params: idParams, response: { 200: entityOut } } }, async (req) =>
    definitionOut(await mustGet(store.entities, req.params.id)),
  );
  app.post('/entities', { config: { role: 'data' }, schema: { tags: ['entities'], body: entitySchema, response: { 201: entityOut } } }, async (req, reply) =>
    reply.code(201).send(definitionOut(await store.entities.create(req.body, actorOf(req)))),
  );
  app.patch('/entities/:id', { config: { role: 'data' }, schema: { tags: ['entities'], params: idParams, body: patchBody, response: { 200: entityOut } } }, async (req) =>
    definitionOut(await patchDefinition(store.entities, req.params.id, req.body, actorOf(req))),
  );
  app.delete('/entities/:id', { config: { role: 'data' }, schema: { tags: ['entities'], params: idParams, querystring: versionQuery } }, async (req, reply) => {
    await store.entities.delete(req.params.id, { ...(req.query.version ? { version: req.query.version } : {}) }, actorOf(req));
    return reply.code(204).send();
  });

  // Destinations
  app.get('/destinations', { config: { role: 'viewer' }, schema: { tags: ['destinations'], response: { 200: z.array(destinationOut) } } }, async () =>
    (await store.destinations.list()).map(definitionOut),
  );
  app.get('/destinations/:id', { config: { role: 'viewer' }, schema: { tags: ['destinations'], params: idParams, response: { 200: destinationOut } } }, async (req) =>
    definitionOut(await mustGet(store.destinations, req.params.id)),
  );
  app.post('/destinations', { config: { role: 'data' }, schema: { tags: ['destinations'], body: destinationSchema, response: { 201: destinationOut } } }, async (req, reply) =>
    reply.code(201).send(definitionOut(await store.destinations.create(req.body, actorOf(req)))),
  );
  app.patch(
    '/destinations/:id',
    { config: { role: 'data' }, schema: { tags: ['destinations'], params: idParams, body: patchBody, response: { 200: destinationOut } } },
    async (req) => definitionOut(await patchDefinition(store.destinations, req.params.id, req.body, actorOf(req))),
  );
  app.delete('/destinations/:id', { config: { role: 'data' }, schema: { tags: ['destinations'], params: idParams, querystring: versionQuery } }, async (req, reply) => {
    await store.destinations.delete(req.params.id, { ...(req.query.version ? { version: req.query.version } : {}) }, actorOf(req));
    return reply.code(204).send();
  });
  app.post(
    '/destinations/:id/test',
    {
      config: { role: 'data' },
      schema: {
        tags: ['destinations'],
        params: idParams,
        response: { 200: z.object({ ok: z.boolean(), kind: z.string().optional(), message: z.string().optional(), elapsedMs: z.number() }) },
      },
    },
    async (req) => {
      const config = await store.resolvedDestination(req.params.id);
      if (!config) throw new NotFoundError(`no destination "${req.params.id}"`);
      const connector = await loadConnector(config.type);
      if (!connector) return { ok: false, kind: 'invalid_payload', message: `no connector for "${config.type}" in this version of Outflow`, elapsedMs: 0 };
      const settings = connector.settingsSchema.parse(config.settings);
      const destination = connector.create(settings, { baseDir: ctx.baseDir, destinationId: config.id });
      const started = Date.now();
      try {
        await destination.testConnection();
        return { ok: true, elapsedMs: Date.now() - started };
      } catch (err) {
        if (!(err instanceof DestinationError)) throw err;
        return { ok: false, kind: err.kind, message: err.message, elapsedMs: Date.now() - started };
      } finally {
        await destination.close?.();
      }
    },
  );

  // What can be connected: every connector with its settings schema (the UI builds its form from it).
  app.get(
    '/connectors',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['destinations'],
        response: {
          200: z.array(
            z.object({ type: z.string(), title: z.string(), identifiers: z.array(z.string()), secretSettings: z.array(z.string()), settingsSchema: z.record(z.string(), z.unknown()) }),
          ),
        },
      },
    },
    async () =>
      Promise.all(
        knownConnectorTypes().map(async (type) => {
          const c = (await loadConnector(type))!;
          return {
            type,
            title: c.title,
            identifiers: [...c.identifiers],
            secretSettings: [...c.secretSettings],
            settingsSchema: z.toJSONSchema(c.settingsSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
          };
        }),
      ),
  );

  // Classic syncs (SPEC §4)
  const syncFilters = z.strictObject({ segment: z.string().max(64).optional(), destination: z.string().max(64).optional() });
  app.get('/syncs', { config: { role: 'viewer' }, schema: { tags: ['syncs'], querystring: syncFilters, response: { 200: z.array(syncOut) } } }, async (req) =>
    (await store.syncs.list({ ...(req.query.segment ? { segment: req.query.segment } : {}), ...(req.query.destination ? { destination: req.query.destination } : {}) })).map(definitionOut),
  );
  app.get('/syncs/:id', { config: { role: 'viewer' }, schema: { tags: ['syncs'], params: idParams, response: { 200: syncOut } } }, async (req) =>
    definitionOut(await mustGet(store.syncs, req.params.id)),
  );
  app.post('/syncs', { config: { role: 'data' }, schema: { tags: ['syncs'], body: syncSchema, response: { 201: syncOut } } }, async (req, reply) => {
    const created = await store.syncs.create(req.body, actorOf(req));
    await ctx.runs.definitionsChanged();
    return reply.code(201).send(definitionOut(created));
  });
  app.patch('/syncs/:id', { config: { role: 'data' }, schema: { tags: ['syncs'], params: idParams, body: patchBody, response: { 200: syncOut } } }, async (req) => {
    const updated = await patchDefinition(store.syncs, req.params.id, req.body, actorOf(req));
    await ctx.runs.definitionsChanged();
    return definitionOut(updated);
  });
  app.delete('/syncs/:id', { config: { role: 'data' }, schema: { tags: ['syncs'], params: idParams, querystring: versionQuery } }, async (req, reply) => {
    await store.syncs.delete(req.params.id, { ...(req.query.version ? { version: req.query.version } : {}) }, actorOf(req));
    await ctx.runs.definitionsChanged();
    return reply.code(204).send();
  });
}
