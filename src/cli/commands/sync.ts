import { type Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { UserInputError } from '../../config/errors';
import type { LoadedWorkspace } from '../../config/load';
import { preflight } from '../../segments/check-warehouse';
import { DestinationError, type MatchRate } from '../../destinations/contract';
import { destinationFactory, recordMappings } from '../../destinations/registry';
import { checkRunnableByHand } from '../../segments/status';
import { listRuns, readLock, type SyncRunRow } from '../../state/runs';
import { ensureStateSchema } from '../../state/state-sql';
import { orchestrateSyncRun, SYNC_EXIT_CODES, type SyncRunResult } from '../../sync/orchestrate';
import { maskMessage, maskValue } from '../../privacy/mask';
import { countsLine } from '../../sync/run-report';
import { dueSyncs, runDueSyncs } from '../../sync/run-all';
import { createSyncSteps, resetSync, type SyncSteps } from '../../sync/steps';
import type { UploadProgress } from '../../sync/upload';
import { openWarehouse } from '../../warehouse';
import type { WarehouseDriver } from '../../warehouse/driver';
import { parseWholeNumber } from '../args';
import { type GlobalOptions, parseAsOf, showProgress, workspaceFrom } from '../context';
import { group } from './index';

/** `sync status -n`: more runs than this is not a status, it is an export. */
const MAX_STATUS_RUNS = 10_000;

export function registerSync(program: Command): void {
  const sync = group(program, 'sync', 'run syncs and show their history');
  sync
    .command('run [syncId]')
    .description('mirror a segment to its destination: evaluate, diff in the warehouse, send only the changes')
    .option('--all', 'run every due sync (enabled, segment active) in dependency order, each segment evaluated once')
    .option('--as-of <time>', 'evaluate the segment as of this ISO-8601 time (default: now)')
    .option('--dry-run', 'print what would be added and removed; send and change nothing')
    .option('--confirm-removals', 'allow removing more than maxRemovalShare of the audience, or emptying it')
    .option('--full', "re-send the whole audience: add every member's keys again (removals still happen)")
    .addOption(new Option('--via <engine>', 'run in this process, or start it on Temporal and follow it (docs/temporal.md)').choices(['local', 'temporal']).default('local'))
    .action(async (syncId: string | undefined, opts: { all?: boolean; asOf?: string; dryRun?: boolean; confirmRemovals?: boolean; full?: boolean; via?: string }) => {
      if (opts.all) {
        if (syncId !== undefined) throw new UserInputError([{ path: 'sync run', message: `--all runs every due sync: give a sync id or --all, not both (got "${syncId}")` }]);
        const other = (['dryRun', 'confirmRemovals', 'full'] as const).find((k) => opts[k]) ?? (opts.via === 'temporal' ? 'via' : undefined);
        if (other) throw new UserInputError([{ path: 'sync run', message: `--all runs scheduled-style runs: it takes --as-of only (not --${other.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)})` }]);
        process.exitCode = await runAll(program, parseAsOf(opts.asOf));
        return;
      }
      if (syncId === undefined) throw new UserInputError([{ path: 'sync run', message: 'give a sync id, or --all to run every due sync' }]);
      const asOf = parseAsOf(opts.asOf);
      const loaded = await workspaceFrom(program.opts<GlobalOptions>());
      requireSync(loaded, syncId);
      const note = checkRunnableByHand(loaded.workspace, loaded.workspace.syncs.find((s) => s.id === syncId)!.segment, 'sync', loaded.file);
      if (note) process.stderr.write(`note: ${note}\n`);
      if (opts.via === 'temporal') {
        // Temporal's SDK is heavy to load: only runs started on Temporal load it.
        const { syncRunViaTemporal } = await import('../../temporal/sync-run-command');
        process.exitCode = await syncRunViaTemporal(loaded, syncId, { ...opts, asOf, progress: showProgress() });
        return;
      }
      const started = Date.now();
      const samples: { added: string[]; removed: string[] } = { added: [], removed: [] };
      const progress = showProgress() ? new UploadBar() : undefined;
      const result = await withOpenWarehouse(loaded, async (warehouse) => {
        // A wrong column or entity sql is an input error (exit 2) before a run is recorded.
        const sync = loaded.workspace.syncs.find((s) => s.id === syncId)!;
        const records = await recordMappings({ ...loaded.workspace, syncs: [sync] });
        await preflight(loaded.workspace, warehouse, [sync.segment], records);
        const steps = createSyncSteps({
          warehouse,
          workspace: loaded.workspace,
          destinations: destinationFactory(loaded.workspace, loaded.dir),
          onDiffSample: (s) => Object.assign(samples, s),
          ...(progress ? { onProgress: (p: UploadProgress) => progress.update(p) } : {}),
        });
        try {
          const r = await orchestrateSyncRun(steps, {
            syncId,
            asOf: asOf.toISOString(),
            dryRun: opts.dryRun ?? false,
            confirmRemovals: opts.confirmRemovals ?? false,
            ...(opts.full ? { full: true } : {}),
          });
          progress?.stop();
          return await withReadBack(steps, r);
        } finally {
          progress?.stop();
        }
      });
      process.stdout.write(summary(result, Date.now() - started, samples));
      process.exitCode = SYNC_EXIT_CODES[result.status];
    });

  sync
    .command('reset <syncId>')
    .description("forget the snapshot of the sync's current destination and audience: its next run sends every member again")
    .action(async (syncId: string) => {
      const loaded = await workspaceFrom(program.opts<GlobalOptions>());
      requireSync(loaded, syncId);
      const { target, forgotten } = await withOpenWarehouse(loaded, (warehouse) => resetSync({ warehouse, workspace: loaded.workspace }, syncId));
      process.stdout.write(
        target
          ? `sync ${syncId}: forgot the snapshot of audience "${target.audienceName}" on ${target.destinationId} (${forgotten} members); the next run sends every member\n`
          : `sync ${syncId}: no snapshot to forget (the sync has not named an audience yet)\n`,
      );
    });

  sync
    .command('status <syncId>')
    .description("show a sync's last runs")
    .option('-n, --limit <n>', 'how many runs', '10')
    .action(async (syncId: string, opts: { limit: string }) => {
      const loaded = await workspaceFrom(program.opts<GlobalOptions>());
      requireSync(loaded, syncId);
      const limit = parseWholeNumber('--limit', opts.limit, { max: MAX_STATUS_RUNS });
      await withOpenWarehouse(loaded, async (warehouse) => {
        const state = await ensureStateSchema(warehouse, loaded.workspace.stateSchema);
        const lock = await readLock(state, syncId);
        const runs = await listRuns(state, syncId, { limit });
        process.stdout.write(statusTable(syncId, runs, lock ? `running: run ${lock.runId}, pid ${lock.pid} on ${lock.host}, since ${lock.acquiredAt.toISOString()}` : undefined));
      });
    });
}

/** `sync run --all`: every due sync, one summary each, then a total; the exit code of the worst outcome. */
async function runAll(program: Command, asOf: Date): Promise<number> {
  const loaded = await workspaceFrom(program.opts<GlobalOptions>());
  const due = dueSyncs(loaded.workspace);
  if (due.length === 0) {
    process.stdout.write('no due syncs (enabled, with an active segment)\n');
    return 0;
  }
  return withOpenWarehouse(loaded, async (warehouse) => {
    await preflight(loaded.workspace, warehouse, [...new Set(due.map((s) => s.segment))]);
    // The store's membership lookup takes in the changes of the segments' refreshes, as `segments refresh` feeds it.
    const { openStore } = await import('../../store');
    const store = await openStore({ config: loaded.workspace.store, baseDir: loaded.dir, limits: loaded.workspace.limits });
    const onChanges = async (c: Parameters<typeof store.membership.take>[0]) => void (await store.membership.take(c));
    const deps = { warehouse, workspace: loaded.workspace, destinations: destinationFactory(loaded.workspace, loaded.dir), onChanges };
    let started = Date.now();
    const { outcomes, evaluations } = await runDueSyncs(deps, asOf.toISOString(), async (o) => {
      if (o.result) process.stdout.write(summary(await withReadBack(o.steps, o.result), Date.now() - started, { added: [], removed: [] }));
      else process.stdout.write(`sync ${o.syncId}: not run\n  failed: ${o.error ?? ''}\n`);
      started = Date.now();
    }).finally(() => store.close());
    const count = (status: string) => outcomes.filter((o) => (o.result?.status ?? 'failed') === status).length;
    const segments = new Set(due.map((s) => s.segment)).size;
    process.stdout.write(
      `all: ${outcomes.length} syncs as of ${asOf.toISOString()}: ${count('synced')} synced, ${count('needs_confirmation')} need confirmation, ${count('failed')} failed; ${evaluations} segment evaluations for ${segments} segments\n`,
    );
    // A failure outranks a run waiting for confirmation.
    if (outcomes.some((o) => !o.result || o.result.status === 'failed')) return SYNC_EXIT_CODES.failed;
    return count('needs_confirmation') > 0 ? SYNC_EXIT_CODES.needs_confirmation : 0;
  });
}

/** The run with its match rate read back (after a run that changed the audience) and its rejections by reason. */
async function withReadBack(steps: SyncSteps, r: SyncRunResult) {
  for (const n of r.notes ?? []) process.stderr.write(`note: ${n}\n`);
  const matchRate = r.status === 'synced' && r.added + r.removed > 0 ? await readBackMatchRate(steps, r) : undefined;
  return { ...r, matchRate, reasons: r.rejected > 0 ? await steps.rejectionReasons(r) : [] };
}

function requireSync(loaded: LoadedWorkspace, syncId: string): void {
  if (loaded.workspace.syncs.some((s) => s.id === syncId)) return;
  const known = loaded.workspace.syncs.map((s) => s.id).join(', ') || 'none defined';
  throw new UserInputError([{ file: loaded.file, path: 'syncs', message: `no sync "${syncId}" (known: ${known})` }]);
}

/** Runs `fn` with the workspace's warehouse open (a DuckDB file another process holds fails here, saying so). */
async function withOpenWarehouse<T>(loaded: LoadedWorkspace, fn: (w: WarehouseDriver) => Promise<T>): Promise<T> {
  const warehouse = await openWarehouse(loaded.workspace.warehouse, loaded.dir);
  try {
    return await fn(warehouse);
  } finally {
    await warehouse.close();
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

/**
 * Reads the platform's match rate once after a run that changed the audience and records it on
 * the run. Platforms take minutes to hours to process; on Temporal a durable poll keeps reading
 * (docs/temporal.md). A platform that cannot answer yet (a DestinationError) does not fail the
 * run: the summary says why the rate is missing. Anything else is a failure like any other.
 */
async function readBackMatchRate(steps: SyncSteps, r: SyncRunResult): Promise<MatchRate | { unavailable: string }> {
  let rate: MatchRate;
  try {
    rate = await steps.readMatchRate(r);
  } catch (err) {
    if (!(err instanceof DestinationError)) throw err;
    return { unavailable: err.message };
  }
  await steps.recordMatchRate(r, rate);
  return rate;
}

function formatMatchRate(m: MatchRate): string {
  const parts: string[] = [];
  if (m.matchRate !== undefined) parts.push(`match rate ${Math.round(m.matchRate * 100)}%`);
  if (m.audienceSize !== undefined)
    parts.push(`audience size ${m.audienceSizeUpper !== undefined ? `${m.audienceSize}-${m.audienceSizeUpper}` : m.audienceSize}`);
  if (m.status === 'processing') parts.push('the platform is still processing; the match rate follows later');
  return parts.join(', ');
}

function summary(
  r: SyncRunResult & { reasons: { reason: string; count: number }[]; matchRate?: MatchRate | { unavailable: string } | undefined },
  ms: number,
  samples: { added: string[]; removed: string[] },
): string {
  const lines: string[] = [];
  const head = r.status === 'dry_run' ? 'dry run' : r.status.replace('_', ' ');
  lines.push(`sync ${r.syncId}: ${head} (run ${r.runId}, as of ${r.asOf})`);
  lines.push(`  ${countsLine(r)}${r.status === 'dry_run' ? '' : `, ${seconds(ms)}`}`);
  if (r.status === 'dry_run') {
    // Person ids only, and masked where they are identifiers themselves (an email as primary key).
    const ids = (list: string[]) => list.map(maskValue).join(', ');
    if (samples.added.length > 0) lines.push(`  adds, first ${samples.added.length}: ${ids(samples.added)}`);
    if (samples.removed.length > 0 && r.plannedRemoved > 0) lines.push(`  removes, first ${samples.removed.length}: ${ids(samples.removed)}`);
  }
  for (const { reason, count } of r.reasons) lines.push(`  rejected ${count}: ${reason}`);
  if (r.matchRate && 'unavailable' in r.matchRate) lines.push(`  match rate not read: ${r.matchRate.unavailable}`);
  else if (r.matchRate && formatMatchRate(r.matchRate)) lines.push(`  ${formatMatchRate(r.matchRate)}`);
  if (r.matchRate && !('unavailable' in r.matchRate)) for (const w of r.matchRate.warnings ?? []) lines.push(`  warning: ${w}`);
  if (r.status === 'needs_confirmation') lines.push(`  stopped: ${r.reason ?? ''}`);
  if (r.status === 'failed') lines.push(`  failed: ${r.reason ?? ''}`);
  return `${lines.join('\n')}\n`;
}

function statusTable(syncId: string, runs: SyncRunRow[], running?: string): string {
  if (runs.length === 0) return `sync ${syncId}: no runs yet\n`;
  const header = ['run', 'status', 'started', 'duration', 'planned', 'sent', 'accepted', 'rejected', 'deferred', 'added', 'removed', 'excluded', 'batches', 'match rate'];
  const count = (n: number | null) => (n === null ? '-' : String(n));
  const rows = runs.map((r) => [
    r.runId,
    r.status,
    r.startedAt.toISOString().replace('.000Z', 'Z'),
    r.finishedAt ? seconds(r.finishedAt.getTime() - r.startedAt.getTime()) : '-',
    count(r.planned),
    count(r.sent),
    count(r.accepted),
    count(r.rejected),
    count(r.deferred),
    count(r.status === 'syncing' ? null : r.added),
    count(r.status === 'syncing' ? null : r.removed),
    count(r.excluded),
    String(r.batches ?? '-'),
    r.matchRate === null ? '-' : `${Math.round(r.matchRate * 100)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [`sync ${syncId}${running ? ` (${running})` : ''}`, fmt(header), ...rows.map(fmt)];
  // Errors stored by earlier versions were not masked yet.
  for (const r of runs) if (r.error) out.push(`  ${r.runId}: ${maskMessage(r.error)}`);
  return `${out.join('\n')}\n`;
}

/** One progress bar per side of the diff, on stderr. */
class UploadBar {
  #bar: SingleBar | undefined;
  #kind: string | undefined;

  update(p: UploadProgress): void {
    if (p.kind !== this.#kind) {
      this.stop();
      this.#kind = p.kind;
      this.#bar = new SingleBar({ format: `${p.kind === 'add' ? 'adding  ' : 'removing'} [{bar}] {value}/{total} rows`, stream: process.stderr, hideCursor: true });
      this.#bar.start(p.total, p.done);
    } else this.#bar?.update(p.done);
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
  }
}
