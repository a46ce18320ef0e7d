import pkg from 'node-sql-parser/build/postgresql.js';
const { Parser } = pkg;
const p = new Parser();
const qs = [
 "select person_id from main.persons where country = 'GB'",
 "select person_id as k from main.persons where person_id = 'p04';",
 "with a as (select 1 as x) select x from a",
 "WITH d AS (DELETE FROM s.canary RETURNING *) SELECT * FROM d",
 "SELECT 1; DROP TABLE s.canary",
 "SELECT 1 /* ; */ -- ;\n",
 "SELECT * INTO s.made FROM s.canary",
 "SELECT * FROM s.canary FOR UPDATE",
 "COPY s.canary TO '/tmp/x'",
 "ATTACH ':memory:' AS other",
 "SET search_path = x",
 "PRAGMA version",
 "CALL pragma_version()",
 "INSERT INTO s.canary SELECT 99",
 "select 'p' || i as person_id from range(10) t(i)",
 "select person_id::text from main.persons",
 "select $1",
 "select x from (values ('a'),('b')) v(x)",
 "select a.person_id from main.persons a join main.events e on e.person_id = a.person_id group by 1 having count(*) > 2",
 "select 1 union select 2",
 "explain select 1",
 "values (1)",
 "table s.canary",
 "select nextval('s')",
];
for (const q of qs) {
  try { const ast = p.astify(q, { database: 'PostgresQL' }); const a = Array.isArray(ast) ? ast : [ast]; console.log('OK', a.length, a.map(x => x.type + (x.into?.position ? ' INTO' : '') + (x.locking_read ? ' LOCK' : '') + (x.with ? ' WITH:' + JSON.stringify(x.with.map(w=>w.stmt?.ast?.type ?? w.stmt?.type)) : '')).join(','), '|', q.slice(0,60)); }
  catch (e) { console.log('ERR', q.slice(0,60), '->', e.message.slice(0,120)); }
}
