import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresDriver } from '../../src/warehouse/postgres/driver';
import { CANARY_ROWS, type CliFixture, cliFixture } from '../cli/fixture';
import { outflowChild, outflowInProcess, type Run, STACK_LINE } from '../cli/support';
import { openTestPostgres, PG_URL, postgresReachable, uniqueSchema } from '../support/pg';
import { argvArb, type Wildness, workspaceArb, yamlTextArb } from './arbitraries';

// The CLI contract under fuzzing: for any malformed or hostile workspace file and command line,
// the exit status is 0 or 2 (3 where a sync run stops for confirmation), a 2 names the file and
// the path (or the flag or argument), no stack trace is ever printed, and the canary tables in
// DuckDB and PostgreSQL survive every case. Bounded in time (OUTFLOW_FUZZ_SECONDS, default 40
// for the in-process cases); a failure prints fast-check's seed and path to replay it.

const pgUp = await postgresReachable();
const SECONDS = Number(process.env.OUTFLOW_FUZZ_SECONDS ?? 40);
const seed = process.env.OUTFLOW_FUZZ_SEED === undefined ? undefined : Number(process.env.OUTFLOW_FUZZ_SEED);

let fx: CliFixture;
let pg: PostgresDriver | undefined;
const pgSchema = uniqueSchema('fuzz');

beforeAll(async () => {
  fx = await cliFixture('outflow-fuzz-');
  if (pgUp) {
    pg = await openTestPostgres();
    await pg.execute(`CREATE SCHEMA ${pgSchema}`);
    await pg.execute(`CREATE TABLE ${pgSchema}.canary AS SELECT generate_series(1, ${CANARY_ROWS}) AS id`);
    await pg.execute(
      `CREATE TABLE ${pgSchema}.persons AS SELECT 'p' || i AS person_id, 'u' || i || '@example.com' AS email, i % 3 = 0 AS vip, i * 10 AS score, i AS n FROM generate_series(0, 19) i`,
    );
    await pg.execute(
      `CREATE TABLE ${pgSchema}.events AS SELECT 'p' || (i % 20) AS person_id, CASE WHEN i % 4 = 0 THEN 'purchase' ELSE 'page_view' END AS event_name, TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL '1 hour' AS occurred_at, 's' || (i / 3) AS session_id FROM generate_series(0, 99) i`,
    );
  }
});
afterAll(async () => {
  fx?.close();
  if (pg) {
    await pg.execute(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`);
    await pg.execute(`DROP SCHEMA IF EXISTS ${pgSchema}_state CASCADE`);
    await pg.close();
  }
});

const pgCanary = async () => (await pg!.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pgSchema}.canary`))[0]!.n;

/** Flags and arguments an exit-2 line may name instead of a place in the file. */
const ARGUMENT_ERROR = /^error: (-{1,2}[a-z-]+|\$OUTFLOW_CONFIG): |^error: (unknown option|unknown command|missing required argument|too many arguments|option '[^']+' argument '.*' is invalid|option '[^']+' argument missing|no command given)/;

/** The CLI contract for one run; throws with the case's output when it is broken. */
function checkContract(run: Run, file: string, argv: readonly string[]): void {
  const fail = (why: string) => {
    throw new Error(`${why}\nargv: ${JSON.stringify(argv)}\nexit: ${run.code}\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}`);
  };
  const syncRun = argv[0] === 'sync' && argv[1] === 'run';
  if (![0, 2, ...(syncRun ? [3] : [])].includes(run.code)) fail(`exit ${run.code} is neither success nor invalid input`);
  if (STACK_LINE.test(run.stderr) || STACK_LINE.test(run.stdout)) fail('a stack trace reached the user');
  if (run.code !== 2) return;
  if (run.stdout !== '') fail('exit 2 with output on stdout');
  // A `note:` (e.g. a paused segment run by hand) is not about the error; every other line is.
  const lines = run.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('note: '));
  if (lines.some((l) => !l.startsWith('error: '))) fail('an error line does not start with "error: "');
  const shown = path.relative(process.cwd(), file);
  const inFile = new RegExp(`^error: ${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+:\\d+)?: `);
  if (!lines.some((l) => inFile.test(l) || ARGUMENT_ERROR.test(l))) fail('exit 2 names neither the file (and a path) nor a flag or argument');
}

const DUCKDB = { warehouse: { type: 'duckdb', path: './wh.duckdb' }, schema: 'main' };
const POSTGRES = { warehouse: { type: 'postgres', connectionString: PG_URL }, schema: pgSchema };

describe('fuzzing the workspace file and the command line', () => {
  it('exit 0 or 2, file and path named, no stack trace; the canary tables survive', async () => {
    const targets = pgUp ? [DUCKDB, POSTGRES] : [DUCKDB];
    const caseArb = fc
      .tuple(fc.constantFrom(...targets), fc.constantFrom<Wildness>('valid', 'malformed'))
      .chain(([t, wildness]) => fc.tuple(yamlTextArb(workspaceArb({ ...t, wildness }), wildness), argvArb));
    let runs = 0;
    const exits = new Map<number, number>();
    const stats = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(caseArb, async ([text, argv]) => {
        const file = fx.write('ws.yaml', text as string);
        const run = await outflowInProcess(['--config', file, ...argv], { env: { OUTFLOW_FUZZ_UNSET: undefined } });
        exits.set(run.code, (exits.get(run.code) ?? 0) + 1);
        if (process.env.FUZZ_STATS && run.code === 2) { const k = run.stderr.split('\n')[0]!.replace(/^error: [^:]*(:\d+:\d+)?: /, '').replace(/\d+/g, 'N').slice(0, 70); stats.set(k, (stats.get(k) ?? 0) + 1); }
        checkContract(run, file, argv);
        if (++runs % 20 === 0) {
          expect(await fx.canary(), 'the DuckDB canary').toBe(CANARY_ROWS);
          if (pg) expect(await pgCanary(), 'the PostgreSQL canary').toBe(CANARY_ROWS);
        }
      }),
      { numRuns: 1_000_000, interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false, ...(seed === undefined ? {} : { seed }) },
    );
    expect(await fx.canary(), 'the DuckDB canary').toBe(CANARY_ROWS);
    if (pg) expect(await pgCanary(), 'the PostgreSQL canary').toBe(CANARY_ROWS);
    console.info(`fuzz: ${runs} cases in ${SECONDS} s; by exit status: ${[...exits].sort().map(([c, n]) => `${c}: ${n}`).join(', ')}`);
    expect(runs).toBeGreaterThan(50);
    if (process.env.FUZZ_STATS) console.info([...stats].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, n]) => `${n} ${k}`).join('\n'));
  }, (SECONDS + 60) * 1000);

  it('as real processes: exit codes and stderr as a shell sees them', async () => {
    const cases = fc.sample(fc.tuple(yamlTextArb(workspaceArb(DUCKDB)), argvArb), { numRuns: 6, ...(seed === undefined ? {} : { seed }) });
    // Plus the inputs that once escaped: an alias bomb, NUL bytes, invalid UTF-8, a huge -n.
    const bomb = `version: 1\n${['a: &a [x,x,x,x,x,x,x,x,x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)].join('\n')}\n`;
    cases.push([bomb, ['validate']], [Buffer.from([0x76, 0x65, 0x72, 0x00, 0xff, 0xfe]), ['validate']], ['version: 1\n', ['sync', 'status', 'x', '-n', '99999999999999999999']]);
    for (const [text, argv] of cases) {
      const file = fx.write('ws-child.yaml', text as string);
      checkContract(await outflowChild(['--config', file, ...argv], { cwd: process.cwd() }), file, argv);
    }
    expect(await fx.canary()).toBe(CANARY_ROWS);
  }, 120_000);
});
