import { describe, expect, it } from 'vitest';
import { selectProblem } from '../../src/segments/key-query';

// The SQL parser's reading of a user's key query (node-sql-parser, in each engine's grammar):
// plain SELECTs of keys pass; anything that is not only reading is refused with the reason.

const ACCEPTED: Record<'postgresql' | 'bigquery' | 'snowflake', string[]> = {
  postgresql: [
    "select person_id from crm.persons where email ilike '%@example.com'",
    'select distinct on (a) a as person_id from t',
    "select a::text as person_id from t where ts > now() - interval '30 days'",
    "select person_id from t where x = any(array['a','b'])",
    'with big as (select person_id, sum(amount) as total from orders group by 1) select person_id from big where total > 100',
    'select a as person_id from t union select b from u',
    "select 'a;b' as person_id -- a comment; with a semicolon\n;",
    "select cast(id as varchar) as person_id from read_csv('keys.csv')",
  ],
  bigquery: ["select person_id from `proj.crm.persons` where email like '%x'", "select person_id from unnest(['a', 'b']) as person_id"],
  snowflake: ["select person_id from db.crm.persons qualify row_number() over (partition by email order by ts) = 1"],
};

const REFUSED: [string, RegExp][] = [
  ['select 1 as person_id; delete from t', /one SELECT statement, found 2/],
  ['select 1 as person_id /* ; */; drop table t', /found 2/],
  ['with d as (delete from t returning id) select id from d', /parser/],
  ['insert into t select 1', /expected a SELECT statement, found INSERT/],
  ['delete from t', /found DELETE/],
  ['select * into made from t', /parser|INTO/],
  ['select id from t for update', /parser|locking/],
  ["copy t to '/tmp/x.csv'", /parser/],
  ["attach ':memory:' as other", /parser/],
  ['set search_path = x', /found SET/],
  ['pragma version', /parser/],
  ['call pragma_version()', /found CALL/],
  ['explain select 1', /parser/],
  ['select $1 as person_id', /placeholders/],
];

describe('the SQL parser reading a key query', () => {
  it.each(Object.entries(ACCEPTED))('accepts plain SELECTs of keys in the %s grammar', async (grammar, queries) => {
    for (const q of queries) expect(await selectProblem(q, grammar as keyof typeof ACCEPTED), q).toBeUndefined();
  });

  it('refuses anything but one SELECT, saying why', async () => {
    for (const [q, reason] of REFUSED) expect(await selectProblem(q, 'postgresql'), q).toMatch(reason);
  });
});
