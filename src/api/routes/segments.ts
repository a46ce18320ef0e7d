import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { UserInputError } from '../../config/errors';
import { type SegmentConfig, segmentSchema, type Workspace } from '../../config/schema';
import { oneClickSync } from '../../destinations/one-click';
import { loadConnector } from '../../destinations/registry';
import { compileMembers, dialectFor } from '../../segments';
import { generateAlias } from '../../segments/alias';
import { checkOverlapSegments, MAX_OVERLAP_SEGMENTS, segmentOverlap } from '../../segments/overlap';
import { rulesSchema, segmentIdSchema } from '../../segments/rule-schema';
import { type Actor, bodiesOf, checkDefinitions, type RunRecord, roleAllows, type StoredObject } from '../../store';
import { StaticMembers } from '../../state/static-members';
import { DIALECTS } from '../../warehouse/dialect';
import { ApiError } from '../errors';
import { actorOf, type ApiContext, catalogOf, workspaceOf } from '../context';
import { definitionOut, mustGet, patchDefinition } from '../definitions';
import { countMembers, entityFields, paramJson, previewMembers, segmentEvaluations } from '../reads';
import { definitionOut as definitionSchema, evaluationOut, idParams, patchBody, runOut, segmentDestinationOut, storedMeta } from '../schemas';
import { runView } from './runs';

const segmentOut = definitionSchema('Segment');
export const segmentListItem = z
  .looseObject({
    id: z.string(),
    ...storedMeta,
    size: z.number().nullable().meta({ description: 'members at the last refresh; null before the first' }),
    lastRefreshedAt: z.string().nullable(),
    destinations: z.array(z.object({ destinationId: z.string(), syncId: z.string(), enabled: z.boolean() })),
  })
  .meta({ id: 'SegmentListItem' });

const columnOut = z.object({ name: z.string(), dataType: z.string(), family: z.string() });
/** What the segment builder offers for an entity. */
export const entityFieldsOut = z.object({
  entity: z.string(),
  columns: z.array(columnOut),
  events: z.object({ table: z.string(), columns: z.array(columnOut), names: z.array(z.object({ name: z.string(), count: z.number() })), namesLimit: z.number() }).nullable(),
  relations: z.array(z.object({ name: z.string(), table: z.string(), columns: z.array(columnOut) })),
});

const isoInstant = z.iso.datetime({ offset: true }).or(z.iso.date());
const estimateBody = z.strictObject({ entity: segmentIdSchema, rules: rulesSchema, asOf: isoInstant.optional() });

/** What a change of a static segment's members answers: stored members before and after, and the keys its definition lists. */
const staticMembersOut = z
  .object({
    segmentId: z.string(),
    before: z.number(),
    after: z.number(),
    listed: z.number().meta({ description: 'keys the workspace file lists for the segment: members besides the stored ones' }),
  })
  .meta({ id: 'StaticMembersChange' });

const membersBody = z.union([
  z.strictObject({ add: z.array(z.string().min(1).max(256)).min(1).max(100_000) }),
  z.strictObject({ remove: z.array(z.string().min(1).max(256)).min(1).max(100_000) }),
  z.strictObject({ replace: z.array(z.string().min(1).max(256)).max(100_000) }),
  z.strictObject({ populateSql: z.string().min(1).max(20_000) }),
  z.strictObject({ removeSql: z.string().min(1).max(20_000) }),
  z.strictObject({ subtract: segmentIdSchema }),
]);

/** Statuses listed when none are asked for: everything but archived. */
const LISTED = ['draft', 'active', 'paused'] as const;
/** Destination types that are not ad platforms: no one-click toggle for them. */
const NOT_AD_PLATFORMS = new Set(['file', 'webhook']);

/** Segments: list, builder, estimate, preview, SQL, stats, refresh, static members, one-click toggles (SPEC §6). */
export function registerSegments(api: FastifyInstance, ctx: ApiContext): void {
  const app = api.withTypeProvider<ZodTypeProvider>();
  const { store } = ctx;

  app.get(
    '/segments',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['segments'],
        querystring: z.strictObject({ status: z.string().max(64).optional().meta({ description: 'comma-separated statuses; default all but archived' }) }),
        response: { 200: z.array(segmentListItem) },
      },
    },
    async (req) => {
      const status = req.query.status ? req.query.status.split(',').map((s) => s.trim()) : [...LISTED];
      const [segments, syncs, refreshes] = await Promise.all([store.segments.list({ status }), store.syncs.list(), store.membership.refreshes()]);
      return segments.map((s) => {
        const refresh = refreshes.get(s.id);
        return {
          ...definitionOut(s),
          size: refresh?.memberCount ?? null,
          lastRefreshedAt: refresh?.evaluatedAt ?? null,
          destinations: syncs.filter((y) => y.body.segment === s.id).map((y) => ({ destinationId: y.body.destination, syncId: y.id, enabled: y.body.enabled })),
        };
      });
    },
  );
  app.get('/segments/:id', { config: { role: 'viewer' }, schema: { tags: ['segments'], params: idParams, response: { 200: segmentOut } } }, async (req) =>
    definitionOut(await mustGet(store.segments, req.params.id)),
  );
  app.post('/segments', { config: { role: 'marketer' }, schema: { tags: ['segments'], body: segmentSchema, response: { 201: segmentOut } } }, async (req, reply) => {
    // The alias is the only name that leaves Outflow; a segment made in the UI gets one at once.
    const body: SegmentConfig = { ...req.body, alias: req.body.alias ?? (await freeAlias(ctx)) };
    const created = await store.segments.create(body, actorOf(req));
    return reply.code(201).send(definitionOut(created));
  });
  app.patch('/segments/:id', { config: { role: 'marketer' }, schema: { tags: ['segments'], params: idParams, body: patchBody, response: { 200: segmentOut } } }, async (req) => {
    const updated = await patchDefinition(store.segments, req.params.id, req.body, actorOf(req));
    await ctx.runs.definitionsChanged();
    return definitionOut(updated);
  });
  app.delete(
    '/segments/:id',
    {
      config: { role: 'marketer' },
      schema: {
        tags: ['segments'],
        summary: 'Archive; `?hard=true` (admin) deletes',
        params: idParams,
        querystring: z.strictObject({ hard: z.enum(['true', 'false']).optional(), version: z.coerce.number().int().positive().optional() }),
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const version = req.query.version ? { version: req.query.version } : {};
      if (req.query.hard === 'true') {
        if (!req.identity || !roleAllows(req.identity.role, 'admin')) throw new ApiError('forbidden', 'deleting a segment for good needs the admin role; without ?hard=true it is archived');
        const deleted = await mustGet(store.segments, req.params.id);
        const workspace = await workspaceOf(ctx);
        await store.segments.delete(req.params.id, version, actor);
        await store.membership.forget(req.params.id);
        if (deleted.body.type === 'static') await ctx.warehouse.job(async (w) => (await StaticMembers.open(w, workspace)).forget(deleted.id));
      } else {
        const current = await mustGet(store.segments, req.params.id);
        await store.segments.update(req.params.id, { ...current.body, status: 'archived' }, { version: version.version ?? current.version }, actor);
      }
      await ctx.runs.definitionsChanged();
      return reply.code(204).send();
    },
  );
  app.post(
    '/segments/:id/duplicate',
    { config: { role: 'marketer' }, schema: { tags: ['segments'], params: idParams, response: { 201: segmentOut } } },
    async (req, reply) => {
      const source = await mustGet(store.segments, req.params.id);
      const ids = new Set((await store.segments.list()).map((s) => s.id));
      const base = source.id.slice(0, 58).replace(/[-_]+$/, '');
      let id = `${base}-copy`;
      for (let n = 2; ids.has(id); n++) id = `${base}-copy-${n}`;
      const body: SegmentConfig = { ...source.body, id, name: `${source.body.name} (copy)`.slice(0, 200), status: 'draft', alias: await freeAlias(ctx) };
      return reply.code(201).send(definitionOut(await store.segments.create(body, actorOf(req))));
    },
  );

  app.post(
    '/estimate',
    {
      config: { role: 'marketer' },
      schema: {
        tags: ['segments'],
        summary: 'The live size of an unsaved definition',
        body: estimateBody,
        response: { 200: z.object({ count: z.number(), asOf: z.string(), elapsedMs: z.number() }) },
      },
    },
    async (req) => {
      const started = performance.now();
      const asOf = req.body.asOf ? new Date(req.body.asOf) : ctx.clock();
      const workspace = await workspaceOf(ctx);
      const id = unusedId(workspace, 'estimate');
      const candidate = segmentSchema.parse({ id, entity: req.body.entity, name: 'estimate', rules: req.body.rules });
      const problems = checkDefinitions(
        bodiesOf((kind) => (kind === 'segment' ? [...workspace.segments, candidate] : kind === 'entity' ? workspace.entities : [])),
        workspace.limits,
      ).filter((p) => p.kind === 'segment' && p.id === id);
      if (problems.length > 0) throw new UserInputError(problems.map((p) => ({ path: p.path, message: p.message })));
      const count = await countMembers(ctx, { ...workspace, segments: [...workspace.segments, candidate] }, id, asOf);
      return { count, asOf: asOf.toISOString(), elapsedMs: Math.round((performance.now() - started) * 10) / 10 };
    },
  );

  app.post(
    '/segments/overlap',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['segments'],
        summary: 'Exact counts of every intersection of 2 to 8 segments, in one warehouse query',
        body: z.strictObject({ segments: z.array(segmentIdSchema).min(2).max(MAX_OVERLAP_SEGMENTS), asOf: isoInstant.optional() }),
        response: {
          200: z
            .object({
              segments: z.array(z.string()),
              intersections: z.array(z.object({ segments: z.array(z.string()), count: z.number() })),
              union: z.number(),
              asOf: z.string(),
            })
            .meta({ id: 'SegmentOverlap' }),
        },
      },
    },
    async (req) => {
      const asOf = req.body.asOf ? new Date(req.body.asOf) : ctx.clock();
      const workspace = await workspaceOf(ctx);
      checkOverlapSegments(workspace, req.body.segments, { indexed: true });
      const overlap = await segmentOverlap(ctx.warehouse.reads, workspace, req.body.segments, { asOf, catalog: await catalogOf(ctx, workspace) });
      return { ...overlap, asOf: asOf.toISOString() };
    },
  );

  const asOfQuery = { asOf: isoInstant.optional() };
  app.get(
    '/segments/:id/preview',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['segments'],
        summary: 'Up to 100 members with their traits; identifier values masked below the data role',
        params: idParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).optional(), ...asOfQuery }),
        response: { 200: z.object({ members: z.array(z.object({ personId: z.string(), traits: z.record(z.string(), z.unknown()) })), masked: z.boolean() }) },
      },
    },
    async (req) => {
      const workspace = await workspaceOf(ctx);
      await mustGet(store.segments, req.params.id);
      const unmasked = req.identity !== undefined && roleAllows(req.identity.role, 'data');
      const asOf = req.query.asOf ? new Date(req.query.asOf) : ctx.clock();
      const members = await previewMembers(ctx, workspace, req.params.id, { asOf, limit: req.query.limit ?? 20, unmasked });
      return { members, masked: !unmasked };
    },
  );
  app.get(
    '/segments/:id/sql',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['segments'],
        params: idParams,
        querystring: z.strictObject({ dialect: z.enum(DIALECTS).optional(), ...asOfQuery }),
        response: { 200: z.object({ dialect: z.enum(DIALECTS), asOf: z.string(), sql: z.string(), params: z.array(z.unknown()) }) },
      },
    },
    async (req) => {
      const workspace = await workspaceOf(ctx);
      await mustGet(store.segments, req.params.id);
      const dialect = req.query.dialect ?? workspace.warehouse.type;
      const asOf = req.query.asOf ? new Date(req.query.asOf) : ctx.clock();
      const q = compileMembers(workspace, req.params.id, { dialect: dialectFor(dialect), asOf });
      return { dialect, asOf: asOf.toISOString(), sql: q.sql, params: q.params.map(paramJson) };
    },
  );
  app.get(
    '/segments/:id/stats',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['segments'],
        summary: 'Size over time (one point per refresh, newest first) and each sync’s recent runs',
        params: idParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() }),
        response: { 200: z.object({ evaluations: z.array(evaluationOut), syncs: z.array(z.object({ syncId: z.string(), destinationId: z.string(), runs: z.array(runOut) })) }) },
      },
    },
    async (req) => {
      const workspace = await workspaceOf(ctx);
      await mustGet(store.segments, req.params.id);
      const evaluations = await segmentEvaluations(ctx, workspace, req.params.id, req.query.limit ?? 365);
      const syncs = workspace.syncs.filter((s) => s.segment === req.params.id);
      return {
        evaluations: evaluations.map((e) => ({ ...e, asOf: e.asOf.toISOString(), evaluatedAt: e.evaluatedAt.toISOString() })),
        syncs: await Promise.all(syncs.map(async (s) => ({ syncId: s.id, destinationId: s.destination, runs: (await store.runs.list(s.id, { limit: 30 })).map(runView) }))),
      };
    },
  );
  app.post(
    '/segments/:id/refresh',
    { config: { role: 'marketer' }, schema: { tags: ['segments'], summary: 'Evaluate now (and the segments it references)', params: idParams, response: { 200: z.array(evaluationOut) } } },
    async (req) => {
      await mustGet(store.segments, req.params.id);
      const evaluations = await ctx.runs.refresh(req.params.id, actorOf(req));
      return evaluations.map((e) => ({ ...e, asOf: e.asOf.toISOString(), evaluatedAt: e.evaluatedAt.toISOString() }));
    },
  );
  app.post(
    '/segments/:id/members',
    {
      config: { role: 'marketer' },
      schema: {
        tags: ['segments'],
        summary:
          'Static segments: add, remove, replace; populate or remove by a read-only SELECT of keys (data role); subtract another segment. ' +
          'Runs in the warehouse (the state schema’s static_segment_members); answers with the stored member counts',
        params: idParams,
        body: membersBody,
        response: { 200: staticMembersOut },
      },
    },
    async (req) => {
      const segment = await staticSegment(ctx, req.params.id);
      const body = req.body;
      if (('populateSql' in body || 'removeSql' in body) && (!req.identity || !roleAllows(req.identity.role, 'data')))
        throw new ApiError('forbidden', 'changing members by a SQL query needs the data role');
      const workspace = await workspaceOf(ctx);
      if ('subtract' in body) checkSubtract(workspace, segment.body, body.subtract);
      const change = await ctx.warehouse.job(async (w) => {
        const members = await StaticMembers.open(w, workspace, ctx.clock);
        await moveListedMembers(ctx, members, segment, actorOf(req));
        if ('add' in body) return members.add(segment.id, body.add);
        if ('remove' in body) return members.remove(segment.id, body.remove);
        if ('replace' in body) return members.replace(segment.id, body.replace);
        if ('subtract' in body) return members.subtract(segment.id, body.subtract);
        if ('populateSql' in body) return members.populate(segment.id, body.populateSql, 'populateSql');
        return members.removeByQuery(segment.id, body.removeSql, 'removeSql');
      });
      const operation = Object.keys(body)[0]!;
      // The audit log keeps the operation and the counts, never keys or query text.
      await store.audit.record(actorOf(req), [
        { action: 'update', objectType: 'segment', objectId: segment.id, diff: { before: { storedMembers: { count: change.before } }, after: { storedMembers: { count: change.after }, operation } } },
      ]);
      return { ...change, listed: (await mustGet(store.segments, segment.id)).body.members?.length ?? 0 };
    },
  );
  app.get(
    '/segments/:id/members',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['segments'],
        summary: 'A static segment’s stored members, a page at a time in key order (`after`: the last key of the previous page), with their count',
        params: idParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).optional(), after: z.string().min(1).max(256).optional() }),
        response: { 200: z.object({ members: z.array(z.string()), count: z.number(), listed: z.array(z.string()), next: z.string().nullable() }).meta({ id: 'StaticMembersPage' }) },
      },
    },
    async (req) => {
      const segment = await staticSegment(ctx, req.params.id);
      const limit = req.query.limit ?? 1000;
      const members = await StaticMembers.open(ctx.warehouse.reads, await workspaceOf(ctx), ctx.clock);
      const page = await members.page(segment.id, { after: req.query.after, limit });
      return { members: page, count: await members.count(segment.id), listed: segment.body.members ?? [], next: page.length === limit ? page.at(-1)! : null };
    },
  );

  app.get(
    '/segments/:id/destinations',
    { config: { role: 'viewer' }, schema: { tags: ['destinations'], params: idParams, response: { 200: z.array(segmentDestinationOut) } } },
    async (req) => {
      await mustGet(store.segments, req.params.id);
      return segmentDestinations(ctx, req.params.id);
    },
  );
  app.put(
    '/segments/:id/destinations/:destinationId',
    {
      config: { role: 'marketer' },
      schema: {
        tags: ['destinations'],
        summary: 'The one-click toggle: creates the sync with the SPEC §4 defaults, or resumes it; false pauses it (the audience stays)',
        params: z.strictObject({ id: z.string().min(1).max(256), destinationId: z.string().min(1).max(256) }),
        body: z.strictObject({ enabled: z.boolean() }),
        response: { 200: segmentDestinationOut },
      },
    },
    async (req) => {
      const { id, destinationId } = req.params;
      await mustGet(store.segments, id);
      const destination = await mustGet(store.destinations, destinationId);
      if (NOT_AD_PLATFORMS.has(destination.body.type))
        throw new UserInputError([{ path: 'destinationId', message: `destination "${destinationId}" is a ${destination.body.type} destination, not an ad platform: create a sync for it (POST /syncs)` }]);
      const actor = actorOf(req);
      const [existing] = await store.syncs.list({ segment: id, destination: destinationId });
      if (existing) {
        if (existing.body.enabled !== req.body.enabled)
          await store.syncs.update(existing.id, { ...existing.body, enabled: req.body.enabled }, { version: existing.version }, actor);
      } else if (req.body.enabled) {
        await store.syncs.create(await oneClickSync(await workspaceOf(ctx), id, destinationId), actor);
      }
      await ctx.runs.definitionsChanged();
      const entry = (await segmentDestinations(ctx, id)).find((d) => d.destinationId === destinationId);
      if (!entry) throw new Error(`destination "${destinationId}" vanished while it was toggled`);
      return entry;
    },
  );

  app.get(
    '/entities/:id/fields',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['entities'],
        summary: 'What the segment builder offers: columns with types, event names (most frequent first), event and relation columns',
        params: idParams,
        response: {
          200: entityFieldsOut,
        },
      },
    },
    async (req) => entityFields(ctx, (await mustGet(store.entities, req.params.id)).body),
  );
}

/** One entry per connected ad platform, for a segment's Destinations tab. */
async function segmentDestinations(ctx: ApiContext, segmentId: string): Promise<z.infer<typeof segmentDestinationOut>[]> {
  const { store } = ctx;
  const [destinations, syncs, segment] = await Promise.all([store.destinations.list(), store.syncs.list({ segment: segmentId }), mustGet(store.segments, segmentId)]);
  const platforms = destinations.filter((d) => !NOT_AD_PLATFORMS.has(d.body.type));
  const titles = await Promise.all(platforms.map(async (d) => (await loadConnector(d.body.type))?.title ?? d.body.type));
  const sameType = (type: string) => platforms.filter((d) => d.body.type === type).length;
  return Promise.all(
    platforms.map(async (d, i) => {
      const sync = syncs.find((s) => s.body.destination === d.id);
      const runs: RunRecord[] = sync ? await store.runs.list(sync.id, { limit: 20 }) : [];
      const lastRun = runs[0];
      const rated = runs.find((r) => r.matchRate !== null);
      return {
        destinationId: d.id,
        type: d.body.type,
        title: sameType(d.body.type) > 1 ? `${titles[i]!} (${d.id})` : titles[i]!,
        enabled: sync !== undefined && sync.body.enabled && segment.body.status === 'active',
        syncId: sync?.id ?? null,
        status: lastRun?.status ?? (sync ? toggleState(sync, segment) : null),
        lastRun: lastRun ? runView(lastRun) : null,
        matchRate: rated?.matchRate ?? null,
      };
    }),
  );
}

/** The state of a sync that has not run yet: waiting for its schedule, or why it will not run. */
function toggleState(sync: StoredObject<'sync'>, segment: StoredObject<'segment'>): string {
  if (!sync.body.enabled) return 'paused';
  return segment.body.status === 'active' ? 'scheduled' : `segment ${segment.body.status}`;
}

async function freeAlias(ctx: ApiContext): Promise<string> {
  const taken = new Set((await ctx.store.segments.list()).flatMap((s) => (s.body.alias ? [s.body.alias] : [])));
  return generateAlias(taken);
}

function unusedId(workspace: Workspace, base: string): string {
  const ids = new Set(workspace.segments.map((s) => s.id));
  let id = base;
  for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
  return id;
}

/** The segment `id`, which must be static: an input error otherwise. */
async function staticSegment(ctx: ApiContext, id: string): Promise<StoredObject<'segment'>> {
  const segment = await mustGet(ctx.store.segments, id);
  if (segment.body.type !== 'static') throw new UserInputError([{ path: '', message: `segment "${segment.id}" is ${segment.body.type}; only a static segment has members to change` }]);
  return segment;
}

/** `subtract` names an existing segment of the same entity. */
function checkSubtract(workspace: Workspace, segment: SegmentConfig, otherId: string): void {
  const other = workspace.segments.find((s) => s.id === otherId);
  if (!other) throw new UserInputError([{ path: 'subtract', message: `unknown segment "${otherId}"` }]);
  if (other.entity !== segment.entity) throw new UserInputError([{ path: 'subtract', message: `segment "${otherId}" is of entity "${other.entity}", not "${segment.entity}"` }]);
}

/**
 * A segment made in the UI with members in its definition: the first change of its members moves
 * them into the warehouse, where every change applies. (The keys a workspace file lists stay in
 * the file, and members, until the file drops them.)
 */
async function moveListedMembers(ctx: ApiContext, members: StaticMembers, segment: StoredObject<'segment'>, actor: Actor): Promise<void> {
  const listed = segment.body.members ?? [];
  if (segment.managedBy !== 'ui' || listed.length === 0) return;
  await members.add(segment.id, listed);
  const { members: _moved, ...rest } = segment.body;
  await ctx.store.segments.update(segment.id, rest, { version: segment.version }, actor);
}
