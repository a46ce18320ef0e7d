/**
 * Node's memory while a static segment of a million members is populated from a query, and while
 * a million keys are added from a stream (as `members-add --file` reads them), on DuckDB: the keys
 * go from SELECT to INSERT inside the warehouse, or in bound chunks, and are never held in Node.
 * Prints the heap after each step against the heap before (a ratio near 1 is flat) and the RSS,
 * which also holds DuckDB's own buffers.
 *   npx tsx bench/static-populate.ts [members]        (default 1,000,000)
 */
import { parseWorkspace } from '../src/config/load';
import { compileCount } from '../src/segments';
import { StaticMembers } from '../src/state/static-members';
import { openWarehouse } from '../src/warehouse';

const MEMBERS = Number(process.argv[2] ?? 1_000_000);
const MB = 1024 * 1024;

function memory(): { heapMB: number; rssMB: number } {
  global.gc?.();
  const m = process.memoryUsage();
  return { heapMB: m.heapUsed / MB, rssMB: m.rss / MB };
}

async function main() {
  const { workspace } = parseWorkspace(`version: 1
warehouse: {type: duckdb}
entities: [{id: person, table: main.persons, primaryKey: person_id}]
segments:
  - {id: big, entity: person, name: Big, type: static}
  - {id: streamed, entity: person, name: Streamed, type: static}
`);
  const warehouse = await openWarehouse(workspace.warehouse);
  await warehouse.execute(`create table main.persons as select 'p' || i as person_id, i % 7 as bucket from range(${MEMBERS + MEMBERS / 10}) t(i)`);
  const members = await StaticMembers.open(warehouse, workspace);
  const before = memory();

  let t0 = performance.now();
  const populated = await members.populate('big', `select person_id from main.persons limit ${MEMBERS}`, '--sql');
  const populateSeconds = (performance.now() - t0) / 1000;
  const afterPopulate = memory();

  t0 = performance.now();
  const keys = function* () {
    for (let i = 0; i < MEMBERS; i++) yield `p${i}`;
  };
  const streamed = await members.add('streamed', keys());
  const addSeconds = (performance.now() - t0) / 1000;
  const afterAdd = memory();

  const q = compileCount(workspace, 'big', { dialect: warehouse.dialect, asOf: new Date() });
  const [count] = await warehouse.query<{ n: number }>(q.sql, q.params);
  await warehouse.close();

  const line = (name: string, m: { heapMB: number; rssMB: number }) =>
    `${name.padEnd(34)} heap ${m.heapMB.toFixed(1).padStart(7)} MB (x${(m.heapMB / before.heapMB).toFixed(2)})   rss ${m.rssMB.toFixed(0).padStart(5)} MB`;
  process.stdout.write(
    [
      `static segment of ${MEMBERS.toLocaleString('en-US')} members on DuckDB${global.gc ? '' : ' (run with --expose-gc for steadier figures)'}`,
      line('before', before),
      line(`populate from a query (${populateSeconds.toFixed(1)} s)`, afterPopulate),
      line(`add from a stream (${addSeconds.toFixed(1)} s)`, afterAdd),
      `stored: ${populated.after} and ${streamed.after}; the segment counts ${count!.n} members`,
      `heap ratio after/before: populate ${(afterPopulate.heapMB / before.heapMB).toFixed(2)}, add ${(afterAdd.heapMB / before.heapMB).toFixed(2)}`,
      '',
    ].join('\n'),
  );
}

await main();
