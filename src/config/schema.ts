import { z } from 'zod';
import { cronProblem } from './cron';
import { findHealthTerm, healthTermMessage } from '../segments/health-terms';
import { bucketCount, rangeSize, SPLIT_BUCKETS } from '../segments/splits';
import {
  type Condition,
  columnNameSchema,
  groupDepth,
  IDENTIFIER_PATTERN,
  MAX_GROUP_DEPTH,
  rulesSchema,
  segmentIdSchema,
  walkConditions,
} from '../segments/rule-schema';

/** The workspace file of SPEC §1. Unknown keys are errors everywhere (strict objects). */

export const IDENTIFIER_KINDS = [
  'email',
  'phone',
  'firstName',
  'lastName',
  'postalCode',
  'countryCode',
  'mobileAdId',
  'externalId',
] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export const DESTINATION_TYPES = [
  'google_ads',
  'meta',
  'linkedin',
  'microsoft_ads',
  'tiktok',
  'snapchat',
  'pinterest',
  'reddit',
  'x',
  'stackadapt',
  'viant',
  'webhook',
  'file',
] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export const DEFAULT_SCHEDULE = '0 6 * * *';
export const DEFAULT_MAX_REMOVAL_SHARE = 0.5;
/** Days whose removals count together against `maxRemovalShare` (0 turns the window off). */
export const DEFAULT_REMOVAL_WINDOW_DAYS = 7;
/** Most segments one priority list orders (each is one branch of one CASE in the warehouse). */
export const MAX_PRIORITY_SEGMENTS = 50;

/** `schema.table` or `table`, each part a plain identifier. */
const tableNameSchema = z
  .string()
  .regex(
    /^([A-Za-z_][A-Za-z0-9_$-]{0,127}\.){0,2}[A-Za-z_][A-Za-z0-9_$]{0,127}$/,
    'a table name such as "schema.table" (letters, digits, "_")',
  );

const duckdbWarehouse = z.strictObject({
  type: z.literal('duckdb'),
  path: z.string().min(1).default(':memory:'),
  /** DuckDB's memory_limit (default DEFAULT_DUCKDB_MEMORY_LIMIT in src/warehouse/duckdb/driver.ts); beyond it DuckDB spills to disk. */
  memoryLimit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as "2GB" or "512MB" (KB, MB, GB, TB, or KiB, MiB, GiB, TiB)')
    .optional(),
});
/** A PostgreSQL connection URL; anything else would be read by the driver as a host name. */
const postgresUrl = z
  .string()
  .min(1)
  .refine((s) => {
    if (!/^postgres(ql)?:\/\//i.test(s)) return false;
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  }, 'a PostgreSQL URL such as "postgres://user:password@host:5432/database"');
const postgresWarehouse = z.strictObject({
  type: z.literal('postgres'),
  connectionString: postgresUrl,
});
const bigqueryWarehouse = z.strictObject({
  type: z.literal('bigquery'),
  projectId: z.string().min(1),
  location: z.string().min(1),
  keyFilename: z.string().optional(),
  apiEndpoint: z.url().optional(),
});
const snowflakeWarehouse = z
  .strictObject({
    type: z.literal('snowflake'),
    account: z.string().min(1),
    username: z.string().min(1),
    password: z.string().optional(),
    privateKeyPath: z.string().optional(),
    warehouse: z.string().min(1),
    database: z.string().min(1),
    role: z.string().optional(),
    accessUrl: z.url().optional(),
  })
  .refine((w) => (w.password === undefined) !== (w.privateKeyPath === undefined), {
    message: 'exactly one of "password" or "privateKeyPath" is required',
    path: ['password'],
  });

export const warehouseSchema = z.discriminatedUnion('type', [
  duckdbWarehouse,
  postgresWarehouse,
  bigqueryWarehouse,
  snowflakeWarehouse,
]);
export type WarehouseConfig = z.infer<typeof warehouseSchema>;
export type WarehouseType = WarehouseConfig['type'];

const identifiersSchema = z.strictObject(
  Object.fromEntries(IDENTIFIER_KINDS.map((k) => [k, columnNameSchema.optional()])) as Record<
    IdentifierKind,
    z.ZodOptional<typeof columnNameSchema>
  >,
);

const eventsSchema = z.strictObject({
  table: tableNameSchema,
  personKey: columnNameSchema,
  name: columnNameSchema,
  timestamp: columnNameSchema,
  sessionKey: columnNameSchema.optional(),
});

const relationSchema = z.strictObject({
  name: z.string().regex(IDENTIFIER_PATTERN, 'a relation name of letters, digits and "_"'),
  table: tableNameSchema,
  key: columnNameSchema,
  foreignKey: columnNameSchema,
});

export const entitySchema = z
  .strictObject({
    id: segmentIdSchema,
    kind: z.enum(['person', 'account']).default('person'),
    table: tableNameSchema.optional(),
    sql: z.string().min(1).optional(),
    primaryKey: columnNameSchema,
    identifiers: identifiersSchema.default({}),
    identifiedColumn: columnNameSchema.optional(),
    events: eventsSchema.optional(),
    relations: z.array(relationSchema).default([]),
  })
  .refine((e) => (e.table === undefined) !== (e.sql === undefined), {
    message: 'exactly one of "table" or "sql" is required',
    path: ['table'],
  });
export type EntityConfig = z.infer<typeof entitySchema>;

/**
 * Members a static segment may list in the workspace file. Every command parses each from YAML,
 * checks it, reads it back from the store and binds it in a list parameter: a million took 18 s and
 * 1.85 GB for `segments size`, 100,000 still about 4 s and 300 MB more than no list; 10,000 cost
 * about 1 s and 60 MB. Larger lists belong in the warehouse.
 */
export const MAX_STATIC_MEMBERS = 10_000;

function tooManyMembers(n: number): string {
  return (
    `${n} members; a static segment lists at most ${MAX_STATIC_MEMBERS} in the workspace file. For a larger list, store its members in the warehouse ` +
    '(outflow segments members-add <id> --file keys.txt, or outflow segments populate <id> --sql "select ..."), or load the keys (one row each) ' +
    'into a warehouse table and make a dynamic segment of it: a relation on the entity ' +
    '(relations: [{name: list, table: lists.my_list, key: person_id, foreignKey: <primary key>}]) and the condition ' +
    '{kind: trait, trait: list.person_id, op: is_set}'
  );
}

/** Names that leave Outflow (an alias, an audience name) must not reveal health context. */
const noHealthTerm = (field: 'alias' | 'audienceName') => (name: string, ctx: z.RefinementCtx) => {
  const term = findHealthTerm(name);
  if (term !== undefined) ctx.addIssue({ code: 'custom', message: healthTermMessage(name, term, field) });
};

/** Longest `retentionDays` a segment may set (ten years). */
export const MAX_RETENTION_DAYS = 3650;

/** Groups a split segment may have. */
export const MAX_SPLIT_GROUPS = 20;

const bucketSchema = z.number().int().min(0).max(SPLIT_BUCKETS - 1);

/**
 * One group of a split segment (docs/segments.md "Splits and holdouts"): its share of the members
 * and the syncs that send it; a group with no sync is a holdout. `buckets` is the hash buckets the
 * group holds: Outflow keeps it in the store when the percentages change (so only members of a
 * shrinking group move); a workspace file leaves it out.
 */
export const splitSchema = z.strictObject({
  name: segmentIdSchema,
  percent: z
    .number()
    .min(0)
    .max(100)
    .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, 'a percent in hundredths at most (e.g. 12.5 or 33.33)'),
  syncs: z.array(segmentIdSchema).max(50).default([]),
  buckets: z
    .array(z.tuple([bucketSchema, bucketSchema]).refine(([first, last]) => first <= last, 'a range [first, last] with first <= last'))
    .max(SPLIT_BUCKETS)
    .optional(),
});
export type SplitConfig = z.infer<typeof splitSchema>;

export const segmentSchema = z
  .strictObject({
    id: segmentIdSchema,
    entity: segmentIdSchema,
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    labels: z.array(z.string().min(1).max(64)).max(50).default([]),
    type: z.enum(['dynamic', 'static', 'everyone']).default('dynamic'),
    status: z.enum(['draft', 'active', 'paused', 'archived']).default('active'),
    alias: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{2,63}$/, 'lowercase letters, digits and "-" (3-64 chars)')
      .superRefine(noHealthTerm('alias'))
      .optional(),
    rules: rulesSchema.optional(),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(MAX_RETENTION_DAYS)
      .optional()
      .meta({ description: 'keeps a person a member for this many days after they last matched at a refresh (docs/segments.md "Retention")' }),
    members: z
      .array(z.union([z.string().max(256), z.number()]).transform(String))
      .max(MAX_STATIC_MEMBERS, { error: (issue) => tooManyMembers((issue.input as unknown[]).length) })
      .optional(),
    /** Groups every member is assigned to by a hash of (segment id, salt, person key). */
    splits: z.array(splitSchema).min(1).max(MAX_SPLIT_GROUPS).optional(),
    /** Part of the split hash (default "v1"): a new salt deals every member again. */
    salt: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-" (1-64 chars)').optional(),
  })
  .superRefine((s, ctx) => {
    if (s.salt !== undefined && s.splits === undefined)
      ctx.addIssue({ code: 'custom', path: ['salt'], message: 'a "salt" needs "splits"' });
    if (s.splits) checkSplits(s.splits, ctx);
    if (s.type === 'dynamic' && s.rules === undefined)
      ctx.addIssue({ code: 'custom', path: ['rules'], message: 'a dynamic segment needs "rules"' });
    if (s.type !== 'dynamic' && s.rules !== undefined)
      ctx.addIssue({ code: 'custom', path: ['rules'], message: `a ${s.type} segment takes no "rules"` });
    if (s.type !== 'static' && s.members !== undefined)
      ctx.addIssue({ code: 'custom', path: ['members'], message: 'only a static segment takes "members"' });
    if (s.rules && groupDepth(s.rules.conditions) > MAX_GROUP_DEPTH)
      ctx.addIssue({
        code: 'custom',
        path: ['rules', 'conditions', ...tooDeepGroup(s.rules.conditions)],
        message: `groups nest at most ${MAX_GROUP_DEPTH} deep`,
      });
  });

/** Percents add up to 100, names are unique, and stored bucket ranges fit their percents without overlap. */
function checkSplits(splits: readonly SplitConfig[], ctx: z.RefinementCtx) {
  const total = splits.reduce((n, g) => n + bucketCount(g.percent), 0);
  if (total !== SPLIT_BUCKETS)
    ctx.addIssue({ code: 'custom', path: ['splits'], message: `the percents add up to ${total / 100}; they must add up to 100` });
  const names = new Map<string, number>();
  splits.forEach((g, i) => {
    const first = names.get(g.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['splits', i, 'name'], message: `duplicate group "${g.name}" (first at index ${first})` });
    else names.set(g.name, i);
  });
  const withBuckets = splits.filter((g) => g.buckets !== undefined).length;
  if (withBuckets === 0) return;
  if (withBuckets !== splits.length) {
    ctx.addIssue({ code: 'custom', path: ['splits'], message: 'either every group has "buckets" or none does (leave them out: Outflow keeps them)' });
    return;
  }
  const seen = new Uint8Array(SPLIT_BUCKETS);
  splits.forEach((g, i) => {
    const path = ['splits', i, 'buckets'];
    const size = rangeSize(g.buckets!);
    if (size !== bucketCount(g.percent))
      ctx.addIssue({ code: 'custom', path, message: `${size} buckets, but ${g.percent} % is ${bucketCount(g.percent)}; leave "buckets" out to have them laid out again` });
    for (const [first, last] of g.buckets!)
      for (let b = first; b <= last; b++) {
        if (seen[b]) {
          ctx.addIssue({ code: 'custom', path, message: `bucket ${b} is held by another group too` });
          return;
        }
        seen[b] = 1;
      }
  });
}

/** Path (below `rules.conditions`) of the first group nested deeper than MAX_GROUP_DEPTH. */
function tooDeepGroup(conditions: readonly Condition[], depth = 1): (string | number)[] {
  for (const [i, c] of conditions.entries()) {
    if (c.kind !== 'group') continue;
    if (depth + 1 > MAX_GROUP_DEPTH) return [i];
    if (groupDepth(c.conditions, depth + 1) > MAX_GROUP_DEPTH) return [i, 'conditions', ...tooDeepGroup(c.conditions, depth + 1)];
  }
  return [];
}
export type SegmentConfig = z.infer<typeof segmentSchema>;

/** Largest audience-size floor a workspace or destination may set. */
const MAX_MIN_AUDIENCE_SIZE = 10_000_000;

export const destinationSchema = z.strictObject({
  id: segmentIdSchema,
  type: z.enum(DESTINATION_TYPES),
  settings: z.record(z.string(), z.unknown()).default({}),
  /**
   * Runs that would leave this destination's audience with fewer members stop for confirmation
   * instead of sending. Default: the platform's documented minimum (the connector's
   * `minAudienceSize`); 0 turns it off.
   */
  minAudienceSize: z.number().int().min(0).max(MAX_MIN_AUDIENCE_SIZE).optional(),
});
export type DestinationConfig = z.infer<typeof destinationSchema>;

const cronSchema = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const syncSchema = z.strictObject({
  id: segmentIdSchema,
  segment: segmentIdSchema,
  destination: segmentIdSchema,
  mode: z.enum(['mirror', 'add_only']).default('mirror'),
  schedule: cronSchema.default(DEFAULT_SCHEDULE),
  /** Sent to the destination as it is: the alias checks, and the destination's own rule (AudienceNameRule). */
  audienceName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,199}$/, 'letters, digits, "-" and "_", starting with a letter or digit (3-200 characters): the name is sent to the destination as it is')
    .superRefine(noHealthTerm('audienceName'))
    .optional(),
  identifiers: z.array(z.enum(IDENTIFIER_KINDS)).min(1).optional(),
  maxRemovalShare: z.number().min(0).max(1).default(DEFAULT_MAX_REMOVAL_SHARE),
  /** A run leaving the audience more than `maxRemovalShare` below its largest size over this many days stops for confirmation; 0: each run alone. */
  removalWindowDays: z.number().int().min(0).max(366).default(DEFAULT_REMOVAL_WINDOW_DAYS),
  /** Lets a run with an empty segment empty the audience without `--confirm-removals`. */
  allowEmpty: z.boolean().default(false),
  /**
   * Sends the segment without the workspace's `exclusions`. Only the data and admin roles may set
   * it through the API: an exclusion list is a promise (do not contact) a marketer cannot lift.
   */
  ignoreExclusions: z.boolean().default(false),
  enabled: z.boolean().default(true),
});
export type SyncConfig = z.infer<typeof syncSchema>;

/**
 * The control-plane store (SPEC §6): SQLite by default at `.outflow/store.sqlite` beside the
 * workspace file, or PostgreSQL. `schema` (PostgreSQL only, default `public`) keeps the store's
 * tables apart from anything else in that database.
 */
export const storeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('sqlite'), path: z.string().min(1).optional() }),
  z.strictObject({
    type: z.literal('postgres'),
    connectionString: postgresUrl,
    schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a schema name of letters, digits and "_"').optional(),
  }),
]);
export type StoreConfig = z.infer<typeof storeSchema>;

/** Who runs scheduled syncs and refreshes: `outflow serve` itself (default) or Temporal. */
export const ORCHESTRATORS = ['local', 'temporal'] as const;

export const limitsSchema = z.strictObject({
  maxConditions: z.number().int().positive().default(50),
});

/**
 * A priority list (waterfall): each person goes only to the first segment of `segments` they match,
 * so the syncs of those segments send audiences that share no person.
 *
 * @example
 * { id: 'lifecycle', segments: ['vip', 'active', 'lapsed'] }
 */
export const priorityListSchema = z.strictObject({
  id: segmentIdSchema,
  segments: z.array(segmentIdSchema).min(2).max(MAX_PRIORITY_SEGMENTS),
});
export type PriorityList = z.infer<typeof priorityListSchema>;

const uniqueIds = (what: string) => (items: { id: string }[], ctx: z.RefinementCtx) => {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined)
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate ${what} id "${item.id}" (first at index ${first})` });
    else seen.set(item.id, i);
  });
};

export const workspaceSchema = z
  .strictObject({
    version: z.literal(1),
    warehouse: warehouseSchema,
    stateSchema: z.string().regex(IDENTIFIER_PATTERN, 'a schema name of letters, digits and "_"').default('outflow'),
    limits: limitsSchema.default({ maxConditions: 50 }),
    store: storeSchema.optional(),
    orchestrator: z.enum(ORCHESTRATORS).optional(),
    /** The workspace's privacy floor: no audience smaller than this is ever sent, and no confirmation overrides it. */
    minAudienceSize: z.number().int().min(1).max(MAX_MIN_AUDIENCE_SIZE).optional(),
    entities: z.array(entitySchema).min(1).superRefine(uniqueIds('entity')),
    segments: z.array(segmentSchema).default([]).superRefine(uniqueIds('segment')),
    destinations: z.array(destinationSchema).default([]).superRefine(uniqueIds('destination')),
    syncs: z.array(syncSchema).default([]).superRefine(uniqueIds('sync')),
    /** Segments whose members no sync sends (do not contact, employees, opted out), unless a sync sets `ignoreExclusions`. */
    exclusions: z.array(segmentIdSchema).default([]),
    /** Ordered segment lists: a person goes only to the first segment of a list they match. */
    priorityLists: z.array(priorityListSchema).default([]).superRefine(uniqueIds('priority list')),
  })
  .superRefine(checkReferences);
export type Workspace = z.infer<typeof workspaceSchema>;

/** Cross-references: segment -> entity, segment -> segment (no cycles), sync -> segment/destination, exclusions and priority lists -> segments. */
function checkReferences(ws: Workspace, ctx: z.RefinementCtx) {
  const entities = new Map(ws.entities.map((e) => [e.id, e]));
  const segments = new Map(ws.segments.map((s) => [s.id, s]));
  const destinations = new Set(ws.destinations.map((d) => d.id));

  ws.segments.forEach((s, i) => {
    const entity = entities.get(s.entity);
    if (!entity) {
      ctx.addIssue({ code: 'custom', path: ['segments', i, 'entity'], message: `unknown entity "${s.entity}"` });
      return;
    }
    if (!s.rules) return;
    const total = [...walkConditions(s.rules.conditions)].length;
    if (total > ws.limits.maxConditions)
      ctx.addIssue({
        code: 'custom',
        path: ['segments', i, 'rules', 'conditions'],
        message: `${total} conditions; at most ${ws.limits.maxConditions} are allowed (limits.maxConditions)`,
      });
    visitConditions(s.rules.conditions, ['segments', i, 'rules', 'conditions'], (c, path) => {
      if (c.kind === 'segment') {
        const target = segments.get(c.segment);
        if (!target) ctx.addIssue({ code: 'custom', path: [...path, 'segment'], message: `unknown segment "${c.segment}"` });
        else if (target.entity !== s.entity)
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'segment'],
            message: `segment "${c.segment}" is of entity "${target.entity}", not "${s.entity}"`,
          });
      }
      const needsEvents = c.kind === 'event' || c.kind === 'first_seen' || c.kind === 'last_seen' || c.kind === 'sessions';
      if (needsEvents && !entity.events)
        ctx.addIssue({ code: 'custom', path: [...path, 'kind'], message: `"${c.kind}" needs "events" on entity "${entity.id}"` });
      if (c.kind === 'sessions' && entity.events && !entity.events.sessionKey)
        ctx.addIssue({ code: 'custom', path: [...path, 'kind'], message: `"sessions" needs events.sessionKey on entity "${entity.id}"` });
      if (c.kind === 'trait' && c.trait.includes('.')) {
        const relation = c.trait.split('.')[0];
        if (!entity.relations.some((r) => r.name === relation))
          ctx.addIssue({ code: 'custom', path: [...path, 'trait'], message: `unknown relation "${relation}" on entity "${entity.id}"` });
      }
    });
  });

  const cycle = findSegmentCycle(ws);
  if (cycle) {
    // Point at the condition that closes the cycle's first step, e.g. a's reference to b.
    const index = ws.segments.findIndex((s) => s.id === cycle[0]);
    let at: Path = ['segments', index, 'rules'];
    const rules = ws.segments[index]?.rules;
    if (rules)
      visitConditions(rules.conditions, ['segments', index, 'rules', 'conditions'], (c, path) => {
        if (at.length === 3 && c.kind === 'segment' && c.segment === cycle[1]) at = [...path, 'segment'];
      });
    ctx.addIssue({
      code: 'custom',
      path: at,
      message: `segment references form a cycle: ${cycle.join(' -> ')}`,
    });
  }

  checkSplitSyncs(ws, ctx);
  ws.syncs.forEach((sync, i) => {
    if (!segments.has(sync.segment))
      ctx.addIssue({ code: 'custom', path: ['syncs', i, 'segment'], message: `unknown segment "${sync.segment}"` });
    if (!destinations.has(sync.destination))
      ctx.addIssue({ code: 'custom', path: ['syncs', i, 'destination'], message: `unknown destination "${sync.destination}"` });
  });
  checkAudienceLists(ws, ctx);
}

/**
 * Exclusions and priority lists name known segments, once each; a segment is in at most one
 * priority list (it could not send two different deduplicated audiences); a list's segments are
 * about one entity.
 */
function checkAudienceLists(ws: Workspace, ctx: z.RefinementCtx) {
  const segments = new Map(ws.segments.map((s) => [s.id, s]));
  const issue = (path: Path, message: string) => ctx.addIssue({ code: 'custom', path, message });
  const seenExclusions = new Set<string>();
  ws.exclusions.forEach((id, i) => {
    if (!segments.has(id)) issue(['exclusions', i], `unknown segment "${id}"`);
    else if (seenExclusions.has(id)) issue(['exclusions', i], `segment "${id}" is listed twice`);
    seenExclusions.add(id);
  });
  const listOf = new Map<string, string>();
  ws.priorityLists.forEach((list, i) => {
    let entity: string | undefined;
    list.segments.forEach((id, j) => {
      const path = ['priorityLists', i, 'segments', j];
      const segment = segments.get(id);
      if (!segment) return issue(path, `unknown segment "${id}"`);
      const other = listOf.get(id);
      if (other === list.id) return issue(path, `segment "${id}" is listed twice`);
      if (other !== undefined) return issue(path, `segment "${id}" is already in priority list "${other}": a segment can be in one priority list only`);
      listOf.set(id, list.id);
      if (segment.splits)
        return issue(path, `segment "${id}" is split into groups: a segment of a priority list cannot have splits`);
      if (entity !== undefined && segment.entity !== entity)
        return issue(path, `segment "${id}" is about entity "${segment.entity}", the list's first segment about "${entity}"`);
      entity = segment.entity;
    });
  });
}

/**
 * A split's groups name syncs of their own segment. A sync of a split segment that no group names
 * sends no one (its runs say so): that is how a sync made in the UI starts, before a group names it.
 */
function checkSplitSyncs(ws: Workspace, ctx: z.RefinementCtx) {
  const syncs = new Map(ws.syncs.map((s) => [s.id, s]));
  ws.segments.forEach((segment, i) =>
    segment.splits?.forEach((group, j) =>
      group.syncs.forEach((id, k) => {
        const sync = syncs.get(id);
        if (!sync || sync.segment !== segment.id)
          ctx.addIssue({
            code: 'custom',
            path: ['segments', i, 'splits', j, 'syncs', k],
            message: sync ? `sync "${id}" is of segment "${sync.segment}", not "${segment.id}"` : `unknown sync "${id}"`,
          });
      }),
    ),
  );
}

type Path = (string | number)[];
function visitConditions(
  conditions: readonly Condition[],
  path: Path,
  fn: (c: Condition, path: Path) => void,
) {
  conditions.forEach((c, i) => {
    fn(c, [...path, i]);
    if (c.kind === 'group') visitConditions(c.conditions, [...path, i, 'conditions'], fn);
  });
}

/** Segment ids each segment references directly. */
export function segmentReferences(segment: SegmentConfig): string[] {
  if (!segment.rules) return [];
  const refs = new Set<string>();
  for (const c of walkConditions(segment.rules.conditions)) if (c.kind === 'segment') refs.add(c.segment);
  return [...refs];
}

/** A cycle of segment references as a list of ids (first repeated last), or undefined. */
export function findSegmentCycle(ws: Pick<Workspace, 'segments'>): string[] | undefined {
  const byId = new Map(ws.segments.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const mark = state.get(id);
    if (mark === 'done') return undefined;
    if (mark === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    const seg = byId.get(id);
    if (!seg) return undefined;
    state.set(id, 'visiting');
    stack.push(id);
    for (const ref of segmentReferences(seg)) {
      const found = visit(ref);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const s of ws.segments) {
    const found = visit(s.id);
    if (found) return found;
  }
  return undefined;
}
