import { z } from 'zod';

/**
 * The rule model of SPEC §2: the shapes a segment's `rules` may take.
 *
 * These schemas only check shape. Cross-references (segment ids, trait columns, column types)
 * are checked by the workspace validator and `validate --check-warehouse`.
 */

export const SEGMENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Column, table and relation names that may reach SQL (quoted by the dialect). */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]{0,127}$/;
export const MAX_GROUP_DEPTH = 5;

export const COMPARISON_OPS = ['=', '!=', '>', '>=', '<', '<='] as const;
export const TIME_UNITS = ['minute', 'hour', 'day', 'week', 'month'] as const;
export const TEXT_OPS = ['contains', 'not_contains', 'starts_with', 'ends_with'] as const;
export const LIST_OPS = ['in', 'not_in'] as const;
export const PRESENCE_OPS = ['is_set', 'is_not_set'] as const;
export const RELATIVE_TIME_OPS = ['within_last', 'not_within_last'] as const;
export const FILTER_OPS = [
  ...COMPARISON_OPS,
  ...TEXT_OPS,
  ...LIST_OPS,
  ...PRESENCE_OPS,
  ...RELATIVE_TIME_OPS,
] as const;

export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export type TimeUnit = (typeof TIME_UNITS)[number];
export type FilterOp = (typeof FILTER_OPS)[number];

export const segmentIdSchema = z
  .string()
  .regex(SEGMENT_ID_PATTERN, 'an id of lowercase letters, digits, "_" or "-" (1-64 chars, starting with a letter or digit)');

export const columnNameSchema = z
  .string()
  .regex(IDENTIFIER_PATTERN, 'a column name of letters, digits, "_" or "$" (starting with a letter or "_")');

/** `column` or `relation.column` */
export const traitNameSchema = z
  .string()
  .regex(
    /^([A-Za-z_][A-Za-z0-9_$]{0,127}\.)?[A-Za-z_][A-Za-z0-9_$]{0,127}$/,
    'a column name, or "relation.column"',
  );

/**
 * Instants every engine can hold: PostgreSQL has no year 0 and stops at 4713 BC, and windows
 * reach up to 1,000 years back from them.
 */
export const INSTANT_RANGE = { from: '1900-01-01T00:00:00Z', to: '9999-12-31T23:59:59.999Z' } as const;
const ISO_INSTANT = z.iso.datetime({ offset: true, local: true }).or(z.iso.date());

/** An ISO-8601 date or date-time (a real calendar date) within INSTANT_RANGE. */
export function isIsoInstant(value: string): boolean {
  if (!ISO_INSTANT.safeParse(value).success) return false;
  const t = Date.parse(/T/.test(value) && !/(Z|[+-]\d{2}:\d{2})$/.test(value) ? `${value}Z` : value);
  return t >= Date.parse(INSTANT_RANGE.from) && t <= Date.parse(INSTANT_RANGE.to);
}

const isoTimestamp = z.string().refine(isIsoInstant, `an ISO-8601 date or timestamp from ${INSTANT_RANGE.from.slice(0, 10)} to ${INSTANT_RANGE.to.slice(0, 10)}`);

/** Longest window per unit: about 1,000 years. */
const MAX_WINDOW: Record<(typeof TIME_UNITS)[number], number> = { minute: 100_000, hour: 100_000, day: 100_000, week: 52_000, month: 12_000 };

export const relativeWindowSchema = z
  .strictObject({
    last: z.number().int().positive().max(100_000),
    unit: z.enum(TIME_UNITS),
  })
  .refine((w) => w.last <= MAX_WINDOW[w.unit], { message: 'a window reaches at most about 1,000 years back (12,000 months, 52,000 weeks)', path: ['last'] });
export type RelativeWindow = z.infer<typeof relativeWindowSchema>;

export const absoluteWindowSchema = z
  .strictObject({ from: isoTimestamp, to: isoTimestamp })
  .refine((w) => Date.parse(w.from) < Date.parse(w.to), { message: '"from" must be before "to"', path: ['to'] });

export const windowSchema = z.union([relativeWindowSchema, absoluteWindowSchema]);
export type Window = z.infer<typeof windowSchema>;

export const countSchema = z.strictObject({
  op: z.enum(COMPARISON_OPS),
  value: z.number().int().min(0),
});
export type Count = z.infer<typeof countSchema>;

/**
 * Numbers in rules are compared exactly by every engine only up to 2^53 - 1 (doubles, and the
 * BIGINT an integer value is cast to); beyond that a comparison would overflow or round.
 */
const ruleNumber = z
  .number()
  .refine((v) => Math.abs(v) <= Number.MAX_SAFE_INTEGER, `a number from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`);
const scalarValue = z.union([z.string().max(1024), ruleNumber, z.boolean()]);
export type ScalarValue = z.infer<typeof scalarValue>;

function checkFilterValue(op: FilterOp, value: unknown, ctx: z.RefinementCtx) {
  const at = { path: ['value'] };
  const is = (list: readonly string[]) => list.includes(op);
  if (is(PRESENCE_OPS)) {
    if (value !== undefined) ctx.addIssue({ code: 'custom', message: `"${op}" takes no value`, ...at });
  } else if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${op}" needs a value`, ...at });
  } else if (is(LIST_OPS)) {
    if (!Array.isArray(value)) ctx.addIssue({ code: 'custom', message: `"${op}" needs a list of values`, ...at });
  } else if (is(RELATIVE_TIME_OPS)) {
    if (relativeWindowSchema.safeParse(value).success === false)
      ctx.addIssue({ code: 'custom', message: `"${op}" needs {last, unit}`, ...at });
  } else if (is(TEXT_OPS)) {
    if (typeof value !== 'string') ctx.addIssue({ code: 'custom', message: `"${op}" needs a text value`, ...at });
  } else if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
    ctx.addIssue({ code: 'custom', message: `"${op}" needs a single value (text, number or boolean)`, ...at });
  }
}

const filterValue = z.union([scalarValue, z.array(scalarValue).min(1).max(1000), relativeWindowSchema]).optional();

/** A comparison of one event column with a value; the value's shape depends on the operator. */
export const eventFilterSchema = z
  .strictObject({ column: columnNameSchema, op: z.enum(FILTER_OPS), value: filterValue })
  .superRefine((f, ctx) => checkFilterValue(f.op, f.value, ctx));
export type EventFilter = z.infer<typeof eventFilterSchema>;

export const traitConditionSchema = z
  .strictObject({
    kind: z.literal('trait'),
    trait: traitNameSchema,
    op: z.enum(FILTER_OPS),
    value: filterValue,
  })
  .superRefine((f, ctx) => checkFilterValue(f.op, f.value, ctx));

export const eventConditionSchema = z
  .strictObject({
    kind: z.literal('event'),
    event: z.string().min(1).max(256),
    performed: z.boolean().default(true),
    count: countSchema.optional(),
    window: windowSchema.optional(),
    where: z.array(eventFilterSchema).max(20).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.performed === false && c.count !== undefined)
      ctx.addIssue({ code: 'custom', path: ['count'], message: '"count" cannot be used with "performed: false"' });
  });

export const seenConditionSchema = z.strictObject({
  kind: z.enum(['first_seen', 'last_seen']),
  op: z.enum(RELATIVE_TIME_OPS),
  value: relativeWindowSchema,
});

export const sessionsConditionSchema = z.strictObject({
  kind: z.literal('sessions'),
  count: countSchema,
  window: windowSchema.optional(),
});

export const identifiedConditionSchema = z.strictObject({
  kind: z.literal('identified'),
  value: z.boolean(),
});

export const segmentRefConditionSchema = z.strictObject({
  kind: z.literal('segment'),
  segment: segmentIdSchema,
  member: z.boolean().default(true),
});

export type TraitCondition = z.infer<typeof traitConditionSchema>;
export type EventCondition = z.infer<typeof eventConditionSchema>;
export type SeenCondition = z.infer<typeof seenConditionSchema>;
export type SessionsCondition = z.infer<typeof sessionsConditionSchema>;
export type IdentifiedCondition = z.infer<typeof identifiedConditionSchema>;
export type SegmentRefCondition = z.infer<typeof segmentRefConditionSchema>;
export type GroupCondition = { kind: 'group'; match: 'all' | 'any'; conditions: Condition[] };
export type Condition =
  | EventCondition
  | TraitCondition
  | SeenCondition
  | SessionsCondition
  | IdentifiedCondition
  | SegmentRefCondition
  | GroupCondition;

export const groupConditionSchema: z.ZodType<GroupCondition> = z.lazy(() =>
  z.strictObject({
    kind: z.literal('group'),
    match: z.enum(['all', 'any']),
    conditions: z.array(conditionSchema).min(1, 'a group needs at least one condition'),
  }),
);

const CONDITION_KINDS = ['event', 'trait', 'first_seen', 'last_seen', 'sessions', 'identified', 'segment', 'group'] as const;

/** Picks the shape by `kind`, so an error names the fields of the intended kind, not of all kinds. */
export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .looseObject({ kind: z.enum(CONDITION_KINDS) })
    .pipe(
      z.discriminatedUnion('kind', [
        eventConditionSchema,
        traitConditionSchema,
        seenConditionSchema,
        sessionsConditionSchema,
        identifiedConditionSchema,
        segmentRefConditionSchema,
        groupConditionSchema as unknown as z.ZodObject<{ kind: z.ZodLiteral<'group'> }>,
      ]),
    ),
) as z.ZodType<Condition>;

export const rulesSchema = z.strictObject({
  match: z.enum(['all', 'any']).default('all'),
  conditions: z.array(conditionSchema).min(1, 'rules need at least one condition'),
});
export type Rules = z.infer<typeof rulesSchema>;

/** Depth of nested groups: top-level rules are depth 1. */
export function groupDepth(conditions: readonly Condition[], depth = 1): number {
  let max = depth;
  for (const c of conditions) if (c.kind === 'group') max = Math.max(max, groupDepth(c.conditions, depth + 1));
  return max;
}

/** Every condition, groups included, depth-first. */
export function* walkConditions(conditions: readonly Condition[]): Generator<Condition> {
  for (const c of conditions) {
    yield c;
    if (c.kind === 'group') yield* walkConditions(c.conditions);
  }
}
