import { describe, expect, it } from 'vitest';
import { type IdentifierKind, type Workspace, workspaceSchema } from '../../src/config/schema';
import { compileMembers, dialectFor } from '../../src/segments';
import { DIALECTS, type DialectName } from '../../src/warehouse/dialect';
import { baseWorkspace } from '../support/workspace';

// Golden SQL per dialect. BigQuery and Snowflake cannot run here, so their text is reviewed by
// hand against each engine's documentation and frozen; DuckDB and PostgreSQL are also checked
// for behaviour in compiler.test.ts. `Record<DialectName, ...>`: a new dialect does not compile
// until every case has its answer.

interface Expected {
  sql: string;
  /** Bound values in placeholder order; instants as ISO text. */
  params: unknown[];
}

const AS_OF = new Date('2024-03-31T12:00:00Z');

// The base workspace, with the names the golden SQL below was written against.
const WORKSPACE: Workspace = baseWorkspace({
  schema: 'crm',
  entity: { primaryKey: 'id', identifiers: { email: 'email' } },
  events: { name: 'name', timestamp: 'ts', sessionKey: 'sid' },
  company: { key: 'id' },
  segments: [
    {
      id: 'few-buys',
      entity: 'person',
      name: 'Fewer than 3 purchases in 2 months (includes none)',
      rules: { conditions: [{ kind: 'event', event: 'buy', count: { op: '<', value: 3 }, window: { last: 2, unit: 'month' } }] },
    },
    {
      id: 'tech-mail',
      entity: 'person',
      name: 'Relation trait or escaped ends_with',
      rules: {
        match: 'any',
        conditions: [
          { kind: 'trait', trait: 'company.industry', op: 'in', value: ['tech', 'media'] },
          { kind: 'trait', trait: 'email', op: 'ends_with', value: '_co.com' },
        ],
      },
    },
    {
      id: 'seen',
      entity: 'person',
      name: 'First seen this week, 2+ sessions in January',
      rules: {
        conditions: [
          { kind: 'first_seen', op: 'within_last', value: { last: 7, unit: 'day' } },
          { kind: 'sessions', count: { op: '>=', value: 2 }, window: { from: '2024-01-01', to: '2024-02-01T00:00:00Z' } },
        ],
      },
    },
    { id: 'vip', entity: 'person', name: 'Static', type: 'static', members: ['a', 'b'] },
    {
      id: 'numbers',
      entity: 'person',
      name: 'Numbers in a list and against a fraction; a negated > (nulls included)',
      rules: {
        conditions: [
          { kind: 'trait', trait: 'age', op: 'in', value: [30, 40.5] },
          { kind: 'trait', trait: 'score', op: '<', value: 0.5 },
          { kind: 'segment', segment: 'adults', member: false },
        ],
      },
    },
    { id: 'adults', entity: 'person', name: 'Adults', rules: { conditions: [{ kind: 'trait', trait: 'age', op: '>', value: 17 }] } },
    { id: 'kept-adults', entity: 'person', name: 'Adults, kept 30 days', retentionDays: 30, rules: { conditions: [{ kind: 'trait', trait: 'age', op: '>', value: 17 }] } },
    { id: 'not-kept-adults', entity: 'person', name: 'Negated reference to a segment with retention', rules: { conditions: [{ kind: 'segment', segment: 'kept-adults', member: false }] } },
    {
      id: 'not-vip-known',
      entity: 'person',
      name: 'Negated reference, identified, where filter',
      rules: {
        conditions: [
          { kind: 'segment', segment: 'vip', member: false },
          { kind: 'identified', value: true },
          { kind: 'event', event: 'buy', where: [{ column: 'amount', op: '>', value: 10 }] },
        ],
      },
    },
  ],
});

const IDENTIFIERS: Record<string, IdentifierKind[]> = { vip: ['email'] };

const GOLDEN: Record<string, Record<DialectName, Expected>> = {
  "few-buys": {
    duckdb: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND p."id" NOT IN (SELECT s.person_key FROM (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."name" = $1 AND (timezone(\'UTC\', $2) - CAST($3 AS INTEGER) * INTERVAL \'1 month\') <= e."ts" AND e."ts" <= timezone(\'UTC\', $4) GROUP BY e."person_id" HAVING COUNT(*) >= $5) AS s WHERE s.person_key IS NOT NULL)',
      params: ["buy", "2024-03-31T12:00:00.000Z", 2, "2024-03-31T12:00:00.000Z", 3],
    },
    postgres: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."name" = $1 AND (CAST($2 AS TIMESTAMP) - CAST($3 AS INTEGER) * INTERVAL \'1 month\') <= e."ts" AND e."ts" <= CAST($4 AS TIMESTAMP) GROUP BY e."person_id" HAVING COUNT(*) >= $5) AS s WHERE s.person_key = p."id")',
      params: ["buy", "2024-03-31T12:00:00.000Z", 2, "2024-03-31T12:00:00.000Z", 3],
    },
    bigquery: {
      sql: 'SELECT CAST(p.`id` AS STRING) AS `person_id` FROM `crm`.`persons` AS p WHERE p.`id` IS NOT NULL AND p.`id` NOT IN (SELECT s.person_key FROM (SELECT e.`person_id` AS person_key FROM `crm`.`events` AS e WHERE e.`name` = ? AND TIMESTAMP(DATETIME_SUB(DATETIME(?), INTERVAL ? month)) <= e.`ts` AND e.`ts` <= ? GROUP BY e.`person_id` HAVING COUNT(*) >= ?) AS s WHERE s.person_key IS NOT NULL)',
      params: ["buy", "2024-03-31T12:00:00.000Z", 2, "2024-03-31T12:00:00.000Z", 3],
    },
    snowflake: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND p."id" NOT IN (SELECT s.person_key FROM (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."name" = ? AND DATEADD(month, -1 * ?, ?) <= e."ts" AND e."ts" <= ? GROUP BY e."person_id" HAVING COUNT(*) >= ?) AS s WHERE s.person_key IS NOT NULL)',
      params: ["buy", 2, "2024-03-31T12:00:00.000Z", "2024-03-31T12:00:00.000Z", 3],
    },
  },
  "tech-mail": {
    duckdb: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p LEFT JOIN "crm"."companies" AS r0 ON r0."id" = p."company_id" WHERE p."id" IS NOT NULL AND (r0."industry" IN ($1, $2) OR p."email" ILIKE $3 ESCAPE \'\\\')',
      params: ["tech", "media", "%\\_co.com"],
    },
    postgres: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p LEFT JOIN "crm"."companies" AS r0 ON r0."id" = p."company_id" WHERE p."id" IS NOT NULL AND (r0."industry" IN ($1, $2) OR p."email" ILIKE $3 ESCAPE \'\\\')',
      params: ["tech", "media", "%\\_co.com"],
    },
    bigquery: {
      sql: 'SELECT CAST(p.`id` AS STRING) AS `person_id` FROM `crm`.`persons` AS p LEFT JOIN `crm`.`companies` AS r0 ON r0.`id` = p.`company_id` WHERE p.`id` IS NOT NULL AND (r0.`industry` IN UNNEST(?) OR LOWER(p.`email`) LIKE LOWER(?))',
      params: [["tech","media"], "%\\_co.com"],
    },
    snowflake: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p LEFT JOIN "crm"."companies" AS r0 ON r0."id" = p."company_id" WHERE p."id" IS NOT NULL AND (ARRAY_CONTAINS(TO_VARIANT(r0."industry"), PARSE_JSON(?)) OR p."email" ILIKE ? ESCAPE \'\\\\\')',
      params: ["[\"tech\",\"media\"]", "%\\_co.com"],
    },
  },
  "seen": {
    duckdb: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE (p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."ts" <= timezone(\'UTC\', $1) GROUP BY e."person_id" HAVING MIN(e."ts") >= (timezone(\'UTC\', $2) - CAST($3 AS INTEGER) * INTERVAL \'1 day\')) AND p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE timezone(\'UTC\', $4) <= e."ts" AND e."ts" < timezone(\'UTC\', $5) AND e."ts" <= timezone(\'UTC\', $6) AND e."sid" IS NOT NULL GROUP BY e."person_id" HAVING COUNT(DISTINCT e."sid") >= $7))',
      params: ["2024-03-31T12:00:00.000Z", "2024-03-31T12:00:00.000Z", 7, "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-31T12:00:00.000Z", 2],
    },
    postgres: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE (p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."ts" <= CAST($1 AS TIMESTAMP) GROUP BY e."person_id" HAVING MIN(e."ts") >= (CAST($2 AS TIMESTAMP) - CAST($3 AS INTEGER) * INTERVAL \'1 day\')) AND p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE CAST($4 AS TIMESTAMP) <= e."ts" AND e."ts" < CAST($5 AS TIMESTAMP) AND e."ts" <= CAST($6 AS TIMESTAMP) AND e."sid" IS NOT NULL GROUP BY e."person_id" HAVING COUNT(DISTINCT e."sid") >= $7))',
      params: ["2024-03-31T12:00:00.000Z", "2024-03-31T12:00:00.000Z", 7, "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-31T12:00:00.000Z", 2],
    },
    bigquery: {
      sql: 'SELECT CAST(p.`id` AS STRING) AS `person_id` FROM `crm`.`persons` AS p WHERE (p.`id` IN (SELECT e.`person_id` AS person_key FROM `crm`.`events` AS e WHERE e.`ts` <= ? GROUP BY e.`person_id` HAVING MIN(e.`ts`) >= TIMESTAMP(DATETIME_SUB(DATETIME(?), INTERVAL ? day))) AND p.`id` IN (SELECT e.`person_id` AS person_key FROM `crm`.`events` AS e WHERE ? <= e.`ts` AND e.`ts` < ? AND e.`ts` <= ? AND e.`sid` IS NOT NULL GROUP BY e.`person_id` HAVING COUNT(DISTINCT e.`sid`) >= ?))',
      params: ["2024-03-31T12:00:00.000Z", "2024-03-31T12:00:00.000Z", 7, "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-31T12:00:00.000Z", 2],
    },
    snowflake: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE (p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."ts" <= ? GROUP BY e."person_id" HAVING MIN(e."ts") >= DATEADD(day, -1 * ?, ?)) AND p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE ? <= e."ts" AND e."ts" < ? AND e."ts" <= ? AND e."sid" IS NOT NULL GROUP BY e."person_id" HAVING COUNT(DISTINCT e."sid") >= ?))',
      params: ["2024-03-31T12:00:00.000Z", 7, "2024-03-31T12:00:00.000Z", "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-31T12:00:00.000Z", 2],
    },
  },
  "vip": {
    duckdb: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id", CAST(p."email" AS VARCHAR) AS "email" FROM "crm"."persons" AS p WHERE (CAST(p."id" AS VARCHAR) IN ($1, $2) OR CAST(p."id" AS VARCHAR) IN (SELECT m.person_id AS person_key FROM "outflow"."static_segment_members" AS m WHERE m.segment_id = $3))',
      params: ["a", "b", "vip"],
    },
    postgres: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id", CAST(p."email" AS VARCHAR) AS "email" FROM "crm"."persons" AS p WHERE (CAST(p."id" AS VARCHAR) IN ($1, $2) OR CAST(p."id" AS VARCHAR) IN (SELECT m.person_id AS person_key FROM "outflow"."static_segment_members" AS m WHERE m.segment_id = $3))',
      params: ["a", "b", "vip"],
    },
    bigquery: {
      sql: 'SELECT CAST(p.`id` AS STRING) AS `person_id`, CAST(p.`email` AS STRING) AS `email` FROM `crm`.`persons` AS p WHERE (CAST(p.`id` AS STRING) IN UNNEST(?) OR CAST(p.`id` AS STRING) IN (SELECT m.person_id AS person_key FROM `outflow`.`static_segment_members` AS m WHERE m.segment_id = ?))',
      params: [["a","b"], "vip"],
    },
    snowflake: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id", CAST(p."email" AS VARCHAR) AS "email" FROM "crm"."persons" AS p WHERE (ARRAY_CONTAINS(TO_VARIANT(CAST(p."id" AS VARCHAR)), PARSE_JSON(?)) OR CAST(p."id" AS VARCHAR) IN (SELECT m.person_id AS person_key FROM "outflow"."static_segment_members" AS m WHERE m.segment_id = ?))',
      params: ["[\"a\",\"b\"]", "vip"],
    },
  },
  "not-vip-known": {
    duckdb: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE ((NOT (CAST(p."id" AS VARCHAR) IN ($1, $2)) AND CAST(p."id" AS VARCHAR) NOT IN (SELECT s.person_key FROM (SELECT m.person_id AS person_key FROM "outflow"."static_segment_members" AS m WHERE m.segment_id = $3) AS s WHERE s.person_key IS NOT NULL)) AND (p."email" IS NOT NULL) AND p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."name" = $4 AND e."ts" <= timezone(\'UTC\', $5) AND e."amount" > CAST($6 AS BIGINT)))',
      params: ["a", "b", "vip", "buy", "2024-03-31T12:00:00.000Z", 10],
    },
    postgres: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE ((NOT (CAST(p."id" AS VARCHAR) IN ($1, $2)) AND NOT EXISTS (SELECT 1 FROM (SELECT m.person_id AS person_key FROM "outflow"."static_segment_members" AS m WHERE m.segment_id = $3) AS s WHERE s.person_key = CAST(p."id" AS VARCHAR))) AND (p."email" IS NOT NULL) AND p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."name" = $4 AND e."ts" <= CAST($5 AS TIMESTAMP) AND e."amount" > CAST($6 AS BIGINT)))',
      params: ["a", "b", "vip", "buy", "2024-03-31T12:00:00.000Z", 10],
    },
    bigquery: {
      sql: 'SELECT CAST(p.`id` AS STRING) AS `person_id` FROM `crm`.`persons` AS p WHERE ((NOT (CAST(p.`id` AS STRING) IN UNNEST(?)) AND CAST(p.`id` AS STRING) NOT IN (SELECT s.person_key FROM (SELECT m.person_id AS person_key FROM `outflow`.`static_segment_members` AS m WHERE m.segment_id = ?) AS s WHERE s.person_key IS NOT NULL)) AND (p.`email` IS NOT NULL) AND p.`id` IN (SELECT e.`person_id` AS person_key FROM `crm`.`events` AS e WHERE e.`name` = ? AND e.`ts` <= ? AND e.`amount` > ?))',
      params: [["a","b"], "vip", "buy", "2024-03-31T12:00:00.000Z", 10],
    },
    snowflake: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE ((NOT (ARRAY_CONTAINS(TO_VARIANT(CAST(p."id" AS VARCHAR)), PARSE_JSON(?))) AND CAST(p."id" AS VARCHAR) NOT IN (SELECT s.person_key FROM (SELECT m.person_id AS person_key FROM "outflow"."static_segment_members" AS m WHERE m.segment_id = ?) AS s WHERE s.person_key IS NOT NULL)) AND (p."email" IS NOT NULL) AND p."id" IN (SELECT e."person_id" AS person_key FROM "crm"."events" AS e WHERE e."name" = ? AND e."ts" <= ? AND e."amount" > ?))',
      params: ["[\"a\",\"b\"]", "vip", "buy", "2024-03-31T12:00:00.000Z", 10],
    },
  },
  "numbers": {
    duckdb: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND (p."age" IN (CAST($1 AS BIGINT), CAST($2 AS DOUBLE)) AND p."score" < CAST($3 AS DOUBLE) AND (p."age" IS NULL OR NOT (p."age" > CAST($4 AS BIGINT))))',
      params: [30, 40.5, 0.5, 17],
    },
    postgres: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND (p."age" IN (CAST($1 AS BIGINT), CAST($2 AS NUMERIC)) AND p."score" < CAST($3 AS NUMERIC) AND (p."age" IS NULL OR NOT (p."age" > CAST($4 AS BIGINT))))',
      params: [30, 40.5, 0.5, 17],
    },
    bigquery: {
      sql: 'SELECT CAST(p.`id` AS STRING) AS `person_id` FROM `crm`.`persons` AS p WHERE p.`id` IS NOT NULL AND (p.`age` IN UNNEST(?) AND p.`score` < ? AND (p.`age` IS NULL OR NOT (p.`age` > ?)))',
      params: [[30,40.5], 0.5, 17],
    },
    snowflake: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND (ARRAY_CONTAINS(TO_VARIANT(p."age"), PARSE_JSON(?)) AND p."score" < ? AND (p."age" IS NULL OR NOT (p."age" > ?)))',
      params: ["[30,40.5]", 0.5, 17],
    },
  },
  "kept-adults": {
    duckdb: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND (p."age" > CAST($1 AS BIGINT) OR CAST(p."id" AS VARCHAR) IN (SELECT lm.person_id AS person_key FROM "outflow"."segment_last_matched" AS lm WHERE lm.segment_id = $2 AND lm.last_matched_at >= $3 AND lm.last_matched_at <= $4))',
      params: [17, "kept-adults", "2024-03-01T12:00:00.000Z", "2024-03-31T12:00:00.000Z"],
    },
    postgres: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND (p."age" > CAST($1 AS BIGINT) OR CAST(p."id" AS VARCHAR) IN (SELECT lm.person_id AS person_key FROM "outflow"."segment_last_matched" AS lm WHERE lm.segment_id = $2 AND lm.last_matched_at >= $3 AND lm.last_matched_at <= $4))',
      params: [17, "kept-adults", "2024-03-01T12:00:00.000Z", "2024-03-31T12:00:00.000Z"],
    },
    bigquery: {
      sql: 'SELECT CAST(p.`id` AS STRING) AS `person_id` FROM `crm`.`persons` AS p WHERE p.`id` IS NOT NULL AND (p.`age` > ? OR CAST(p.`id` AS STRING) IN (SELECT lm.person_id AS person_key FROM `outflow`.`segment_last_matched` AS lm WHERE lm.segment_id = ? AND lm.last_matched_at >= ? AND lm.last_matched_at <= ?))',
      params: [17, "kept-adults", "2024-03-01T12:00:00.000Z", "2024-03-31T12:00:00.000Z"],
    },
    snowflake: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND (p."age" > ? OR CAST(p."id" AS VARCHAR) IN (SELECT lm.person_id AS person_key FROM "outflow"."segment_last_matched" AS lm WHERE lm.segment_id = ? AND lm.last_matched_at >= ? AND lm.last_matched_at <= ?))',
      params: [17, "kept-adults", "2024-03-01T12:00:00.000Z", "2024-03-31T12:00:00.000Z"],
    },
  },
  "not-kept-adults": {
    duckdb: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND ((p."age" IS NULL OR NOT (p."age" > CAST($1 AS BIGINT))) AND CAST(p."id" AS VARCHAR) NOT IN (SELECT s.person_key FROM (SELECT lm.person_id AS person_key FROM "outflow"."segment_last_matched" AS lm WHERE lm.segment_id = $2 AND lm.last_matched_at >= $3 AND lm.last_matched_at <= $4) AS s WHERE s.person_key IS NOT NULL))',
      params: [17, "kept-adults", "2024-03-01T12:00:00.000Z", "2024-03-31T12:00:00.000Z"],
    },
    postgres: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND ((p."age" IS NULL OR NOT (p."age" > CAST($1 AS BIGINT))) AND NOT EXISTS (SELECT 1 FROM (SELECT lm.person_id AS person_key FROM "outflow"."segment_last_matched" AS lm WHERE lm.segment_id = $2 AND lm.last_matched_at >= $3 AND lm.last_matched_at <= $4) AS s WHERE s.person_key = CAST(p."id" AS VARCHAR)))',
      params: [17, "kept-adults", "2024-03-01T12:00:00.000Z", "2024-03-31T12:00:00.000Z"],
    },
    bigquery: {
      sql: 'SELECT CAST(p.`id` AS STRING) AS `person_id` FROM `crm`.`persons` AS p WHERE p.`id` IS NOT NULL AND ((p.`age` IS NULL OR NOT (p.`age` > ?)) AND CAST(p.`id` AS STRING) NOT IN (SELECT s.person_key FROM (SELECT lm.person_id AS person_key FROM `outflow`.`segment_last_matched` AS lm WHERE lm.segment_id = ? AND lm.last_matched_at >= ? AND lm.last_matched_at <= ?) AS s WHERE s.person_key IS NOT NULL))',
      params: [17, "kept-adults", "2024-03-01T12:00:00.000Z", "2024-03-31T12:00:00.000Z"],
    },
    snowflake: {
      sql: 'SELECT CAST(p."id" AS VARCHAR) AS "person_id" FROM "crm"."persons" AS p WHERE p."id" IS NOT NULL AND ((p."age" IS NULL OR NOT (p."age" > ?)) AND CAST(p."id" AS VARCHAR) NOT IN (SELECT s.person_key FROM (SELECT lm.person_id AS person_key FROM "outflow"."segment_last_matched" AS lm WHERE lm.segment_id = ? AND lm.last_matched_at >= ? AND lm.last_matched_at <= ?) AS s WHERE s.person_key IS NOT NULL))',
      params: [17, "kept-adults", "2024-03-01T12:00:00.000Z", "2024-03-31T12:00:00.000Z"],
    },
  },
};

describe('golden SQL', () => {
  for (const [id, perDialect] of Object.entries(GOLDEN)) {
    it.each(DIALECTS)(`${id} on %s`, (dialect) => {
      const q = compileMembers(WORKSPACE, id, { dialect: dialectFor(dialect), asOf: AS_OF, identifiers: IDENTIFIERS[id] ?? [] });
      const params = q.params.map((p) => (p instanceof Date ? p.toISOString() : p));
      expect({ sql: q.sql, params }).toEqual(perDialect[dialect]);
    });
  }
});

describe.each(DIALECTS)('every dialect (%s)', (dialect) => {
  it('has exactly one bound value per placeholder, in the order the text shows them', () => {
    for (const id of Object.keys(GOLDEN)) {
      const q = compileMembers(WORKSPACE, id, { dialect: dialectFor(dialect), asOf: AS_OF, paramOffset: 3 });
      const numbered = [...q.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
      const positional = q.sql.match(/\?/g)?.length ?? 0;
      if (numbered.length > 0) expect(numbered).toEqual(q.params.map((_, i) => i + 4));
      else expect(positional).toBe(q.params.length);
    }
  });
  it('never writes a value into the SQL text', () => {
    const marker = "zz'; DROP TABLE x; --";
    const ws = workspaceSchema.parse({
      ...WORKSPACE,
      segments: [{ id: 'v', entity: 'person', name: 'v', rules: { conditions: [{ kind: 'event', event: marker, where: [{ column: 'amount', op: 'in', value: [marker] }] }, { kind: 'trait', trait: 'email', op: 'contains', value: marker }] } }],
    });
    const q = compileMembers(ws, 'v', { dialect: dialectFor(dialect), asOf: AS_OF });
    expect(q.sql).not.toContain('zz');
    expect(JSON.stringify(q.params)).toContain('zz');
  });
});
