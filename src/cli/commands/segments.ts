import { type Command, Option } from 'commander';
import { compileCount, compileMembers, dialectFor } from '../../segments';
import { preflight } from '../../segments/check-warehouse';
import { checkOverlapSegments, segmentOverlap } from '../../segments/overlap';
import { DIALECTS, type DialectName } from '../../warehouse/dialect';
import type { CompiledQuery, SqlValue } from '../../warehouse/driver';
import { type GlobalOptions, parseAsOf, requireSegment, showProgress, withOpenWarehouse, workspaceFrom } from '../context';
import { group } from './index';

const FORMATS = ['ids', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];
const PAGE_SIZE = 10_000;

/** `outflow segments list | sql | size | overlap | members` (SPEC §3). */
export function registerSegments(program: Command): void {
  const segments = group(program, 'segments', 'inspect and evaluate segments');
  const globals = () => program.opts<GlobalOptions>();
  const asOfOption = () => new Option('--as-of <time>', 'evaluate as of this ISO-8601 time (default: now)');

  segments
    .command('list')
    .description("list the segments: the workspace file's and those made in the UI")
    .action(async () => {
      const { workspace } = await workspaceFrom(globals());
      const rows = workspace.segments.map((s) => [s.id, s.type, s.status, s.entity, s.alias ?? '-']);
      process.stdout.write(table(['id', 'type', 'status', 'entity', 'alias'], rows));
    });

  segments
    .command('sql <id>')
    .description("print a segment's SQL and its bound parameters (nothing runs)")
    .addOption(new Option('--dialect <name>', "SQL dialect (default: the workspace's warehouse)").choices(DIALECTS))
    .addOption(asOfOption())
    .option('--inline', 'write the values into the SQL as literals, to paste into a warehouse console (display only: Outflow binds them)')
    .action(async (id: string, opts: { dialect?: DialectName; asOf?: string; inline?: boolean }) => {
      const asOf = parseAsOf(opts.asOf);
      const loaded = await workspaceFrom(globals());
      requireSegment(loaded, id);
      const dialect = dialectFor(opts.dialect ?? loaded.workspace.warehouse.type);
      process.stdout.write(formatQuery(compileMembers(loaded.workspace, id, { dialect, asOf, inline: opts.inline ?? false })));
    });

  segments
    .command('size <id>')
    .description('count the members of a segment in the warehouse (prints one integer)')
    .addOption(asOfOption())
    .action(async (id: string, opts: { asOf?: string }) => {
      const asOf = parseAsOf(opts.asOf);
      const loaded = await workspaceFrom(globals());
      requireSegment(loaded, id);
      await withOpenWarehouse(loaded, async (ctx) => {
        const catalog = await preflight(ctx.workspace, ctx.warehouse, [id]);
        const q = compileCount(ctx.workspace, id, { dialect: ctx.warehouse.dialect, asOf, catalog });
        const [row] = await ctx.warehouse.query<{ n: number | string }>(q.sql, q.params);
        process.stdout.write(`${String(row?.n ?? 0)}\n`);
      });
    });

  segments
    .command('overlap <ids...>')
    .description('count the persons of every intersection of 2 to 8 segments (one warehouse query, exact)')
    .addOption(asOfOption())
    .addOption(new Option('--format <format>', 'table, or json').choices(['table', 'json']).default('table'))
    .action(async (ids: string[], opts: { asOf?: string; format: 'table' | 'json' }) => {
      const asOf = parseAsOf(opts.asOf);
      const loaded = await workspaceFrom(globals());
      checkOverlapSegments(loaded.workspace, ids, { file: loaded.file });
      await withOpenWarehouse(loaded, async (ctx) => {
        const catalog = await preflight(ctx.workspace, ctx.warehouse, ids);
        const overlap = await segmentOverlap(ctx.warehouse, ctx.workspace, ids, { asOf, catalog });
        if (opts.format === 'json') {
          process.stdout.write(`${JSON.stringify(overlap, null, 2)}\n`);
          return;
        }
        const rows = overlap.intersections.map((i) => [i.segments.join(' & '), String(i.count)]);
        rows.push(['any of them', String(overlap.union)]);
        process.stdout.write(table(['segments', 'persons'], rows));
      });
    });

  segments
    .command('members <id>')
    .description("stream a segment's members (primary keys) from the warehouse")
    .addOption(asOfOption())
    .addOption(new Option('--format <format>', 'ids: one key per line; csv: with a header; json: one array').choices(FORMATS).default('ids'))
    .action(async (id: string, opts: { asOf?: string; format: Format }) => {
      const asOf = parseAsOf(opts.asOf);
      const loaded = await workspaceFrom(globals());
      requireSegment(loaded, id);
      await withOpenWarehouse(loaded, async (ctx) => {
        const catalog = await preflight(ctx.workspace, ctx.warehouse, [id]);
        const q = compileMembers(ctx.workspace, id, { dialect: ctx.warehouse.dialect, asOf, catalog, orderByKey: true });
        await writeMembers(ctx.warehouse.stream<{ person_id: string }>(q.sql, q.params, { pageSize: PAGE_SIZE }), opts.format);
      });
    });
}

/**
 * Writes pages as they arrive, each flushed before the next is read, so no member list is held
 * whole. Nothing is written before the first page, so a query that fails leaves stdout empty. A
 * reader that stops early (`| head`) ends the stream quietly and closes the warehouse cursor.
 */
async function writeMembers(pages: AsyncIterable<{ person_id: string }[]>, format: Format): Promise<void> {
  const progress = showProgress();
  const opening = format === 'csv' ? 'person_id\n' : format === 'json' ? '[' : '';
  // The stream reports a closed pipe as an 'error' event too; the write callback handles it.
  process.stdout.on('error', () => undefined);
  let n = 0;
  let started = false;
  try {
    for await (const page of pages) {
      let chunk = started ? '' : opening;
      started = true;
      for (const { person_id: id } of page) {
        if (format === 'json') chunk += `${n === 0 ? '' : ','}\n${JSON.stringify(id)}`;
        else chunk += `${format === 'csv' ? csvField(id) : id}\n`;
        n++;
      }
      await write(chunk);
      if (progress) process.stderr.write(`\r${n} members`);
    }
    if (!started) await write(opening);
    if (format === 'json') await write(n === 0 ? ']\n' : '\n]\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
  }
  if (progress) process.stderr.write('\n');
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** The SQL, then its parameters in a trailing comment: shown beside the text, never pasted into it. */
export function formatQuery(q: CompiledQuery): string {
  const params = q.params.map((p, i) => `--   ${i + 1}: ${showValue(p)}`);
  return `${q.sql};\n${params.length > 0 ? `-- parameters, in placeholder order:\n${params.join('\n')}\n` : ''}`;
}

const MAX_SHOWN = 20;

function showValue(v: SqlValue): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) {
    const shown = v.slice(0, MAX_SHOWN).map((x) => JSON.stringify(x));
    return `[${shown.join(', ')}${v.length > MAX_SHOWN ? `, ... (${v.length} values)` : ''}]`;
  }
  return JSON.stringify(v);
}
