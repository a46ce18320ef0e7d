import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { roleAllows } from '../store';
import type { ApiContext } from './context';
import { ApiError, installErrorHandling, zodValidatorCompiler } from './errors';
import { registerAdmin } from './routes/admin';
import { registerAudienceLists } from './routes/audience-lists';
import { registerConnections } from './routes/connections';
import { registerRuns } from './routes/runs';
import { registerSegments } from './routes/segments';

/** Where the API lives; the web UI is served at `/`. */
export const API_PREFIX = '/api/v1';
/** Request bodies above this get 413 (SPEC §6). */
export const BODY_LIMIT = 1024 * 1024;

/**
 * The built web UI (`npm run build:ui`). dist/cli/ sits two folders deep like src/api/, so the same
 * relative path finds it from the sources and from the CLI bundle.
 */
export const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/** One route as the role check sees it (the route walk test reads these). */
export interface RouteInfo {
  method: string;
  url: string;
  role: string;
  /** Response schemas by status (zod), as documented in the OpenAPI document. */
  responses: Record<string, unknown>;
}

/**
 * The HTTP API of SPEC §6 on Fastify: zod schemas validate every request (the workspace file's
 * schemas for bodies, so the API and the file reject the same input at the same paths), a bearer
 * token and a role guard every route but the health check and the OpenAPI document, and every
 * error has the shape `{"error": {"code", "message", "path"?}}`.
 *
 * @example
 * const app = await buildApi(ctx);
 * await app.listen({ port: 3000, host: '127.0.0.1' });
 */
export async function buildApi(ctx: ApiContext, options: { uiDir?: string } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // No request log: request URLs may carry personal data (a person id).
    logger: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
  });
  const routeList: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const responses = (route.schema?.response ?? {}) as Record<string, unknown>;
    // The API's routes; the web UI's file routes are not part of it.
    if (route.url.startsWith(API_PREFIX))
      for (const method of methods) if (method !== 'HEAD') routeList.push({ method, url: route.url, role: route.config?.role ?? 'public', responses });
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  // Responses are plain JSON; their schemas document them (and tests check handlers against them).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const uiDir = options.uiDir ?? UI_DIR;
  const uiBuilt = existsSync(path.join(uiDir, 'index.html'));
  installErrorHandling(app, ctx.log, uiBuilt ? uiPageFallback : undefined);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Outflow API',
        version: '1',
        description: 'Segments, destinations, syncs and runs of an Outflow workspace (SPEC §6). Send `Authorization: Bearer <token>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  // Declared up front, so setting it on each request keeps the request objects' shape.
  app.decorateRequest('identity', undefined);
  app.addHook('onRequest', async (request) => {
    const role = request.routeOptions.config.role;
    if (role === undefined || role === 'public') return;
    const identity = await ctx.store.authorize(bearer(request));
    if (!identity) throw new ApiError('unauthorized', 'send a valid token: Authorization: Bearer <token> (outflow tokens create)');
    if (!roleAllows(identity.role, role)) throw new ApiError('forbidden', `this needs the ${role} role; token "${identity.name}" has ${identity.role}`);
    request.identity = identity;
  });

  await app.register(
    async (api) => {
      api.get('/health', { config: { role: 'public' }, schema: { tags: ['meta'], security: [] } }, async () => ({ status: 'ok' }));
      api.get('/openapi.json', { config: { role: 'public' }, schema: { hide: true } }, async () => app.swagger());
      registerSegments(api, ctx);
      registerConnections(api, ctx);
      registerRuns(api, ctx);
      registerAdmin(api, ctx);
      registerAudienceLists(api, ctx);
    },
    { prefix: API_PREFIX },
  );
  serveUi(app, uiDir, uiBuilt);
  app.decorate('routeList', routeList);
  await app.ready();
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with the role it needs (the route walk test reads it). */
    routeList: RouteInfo[];
    /** The web UI's index.html, when it is built. */
    uiIndex?: string;
  }
}

/** Content types of the files a Vite build writes. */
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * The web UI at `/`: index.html, and the build's hashed files under `/assets/` (cached for good:
 * a changed file gets a new name). Any other page path gets index.html too (uiPage, from the
 * not-found handler), since the UI routes in the browser. Without a build, `/` says how to make one.
 */
function serveUi(app: FastifyInstance, dir: string, built: boolean): void {
  const route = { config: { role: 'public' }, schema: { hide: true } } as const;
  if (!built) {
    app.get('/', route, async (_req, reply) => reply.type('text/plain').send('The web UI is not built: run `npm run build:ui`. The API is at /api/v1.\n'));
    return;
  }
  const index = readFileSync(path.join(dir, 'index.html'), 'utf8');
  app.decorate('uiIndex', index);
  app.get('/', route, async (_req, reply) => reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index));
  app.get('/assets/*', route, async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    // Flat names only (what Vite writes): nothing can reach outside the folder.
    const type = /^[A-Za-z0-9_.-]+$/.test(name) && !name.startsWith('.') ? CONTENT_TYPES[path.extname(name)] : undefined;
    const data = type ? await readFile(path.join(dir, 'assets', name)).catch(() => undefined) : undefined;
    if (!data) return reply.callNotFound();
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(type!).send(data);
  });
}

/** A GET of a page path (not the API, not an asset or other file): the UI's index.html answers it. */
function uiPageFallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const url = request.url.split('?')[0]!;
  const index = request.server.uiIndex;
  if (index === undefined || request.method !== 'GET' || url === API_PREFIX || url.startsWith(`${API_PREFIX}/`) || url.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(url)) return undefined;
  return reply.code(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
