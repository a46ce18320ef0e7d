import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { UserInputError } from '../config/errors';
import type { DestinationConfig, IdentifierKind, SegmentConfig, SyncConfig, Workspace } from '../config/schema';
import { columnFields, type Destination, type MatchRate } from '../destinations/contract';
import { type DestinationFactory, loadConnector } from '../destinations/registry';
import { type AudienceQueries, compileAudience } from '../segments/audience-source';
import { generateAlias } from '../segments/alias';
import { groupsOfSync, membersForSync } from '../segments/build/split';
import { loadCatalog } from '../segments/load-catalog';
import {
  acknowledgedBatches,
  applyDiffToSnapshot,
  countExcludedRemoves,
  dropRunTables,
  keyRejections,
  type LedgerEntry,
  type KeyPreparer,
  materialiseDiff,
  rejectionReasons,
  sampleChanges,
  type SnapshotTarget,
} from '../state/run-tables';
import { forgetSnapshot, snapshotTargets, targetChangeNote, upgradeLegacySnapshot } from '../state/snapshots';
import { dropLeftoverRunTables } from '../state/leftover-run-tables';
import { acquireSyncLock, getRun, insertRun, listRuns, releaseSyncLock, renewSyncLock, type SyncRunRow, updateRun } from '../state/runs';
import { ensureStateSchema, type StateSql } from '../state/state-sql';
import type { WarehouseDriver } from '../warehouse/driver';
import {
  addUpload,
  type DiffSummary,
  type FinishInput,
  orchestrateSyncRun,
  plannedCounts,
  type RunCounts,
  type RunRef,
  type StartedRun,
  type SyncRunInput,
  type SyncRunResult,
  type SyncRunSteps,
  type UploadSummary,
} from './orchestrate';
import { readRemovalWindow } from './removal-window';
import { DEFAULT_RETRY, type RetryPolicy, type UploadProgress, uploadDiff, withRetry } from './upload';

/**
 * What the steps of a sync run need. The CLI passes real ones; the Temporal worker passes its
 * own; tests pass a controllable clock, sleep and destination factory.
 */
export interface SyncDeps {
  warehouse: WarehouseDriver;
  workspace: Workspace;
  /** Creates the Destination of a destination config (the registry's `destinationFactory`). */
  destinations: DestinationFactory;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Structured events; never given personal data or secrets. */
  log?: (event: string, fields?: Record<string, unknown>) => void;
  onProgress?: (p: UploadProgress) => void;
  /** Dry runs receive a few person ids of each side of the diff here. */
  onDiffSample?: (sample: { runId: string; added: string[]; removed: string[] }) => void;
  /** How the steps retry a failing destination call (default DEFAULT_RETRY). */
  retry?: RetryPolicy;
  /**
   * Who retries a single destination call (find or create the audience): the step (default), or
   * the orchestrator around it. The Temporal activities say `orchestrator`: Temporal's activity
   * retry owns those calls there, and the step tries once (docs/temporal.md "Who retries").
   */
  singleCallsRetriedBy?: 'step' | 'orchestrator';
  /**
   * The audience of a sync at an as-of, when its segments were evaluated already for other syncs
   * (`SharedMembers`, `sync run --all`); by default each run compiles and evaluates its own
   * (`compileAudience`: the segment, deduplicated by its priority list, without its exclusions).
   */
  audience?: (sync: SyncConfig, asOf: Date) => Promise<AudienceQueries>;
  /** Lock holder identity; defaults to this host and process. */
  host?: string;
  pid?: number;
  /** How long a lock stays valid without renewal (other hosts take over after it). */
  leaseMs?: number;
}

/** What an upload gets from the caller around it (the Temporal activity, a progress bar). */
export interface UploadOptions {
  /** After each acknowledged batch. */
  onProgress?(progress: UploadProgress): void;
  /** Once aborted, no further batch is sent; the upload ends with the signal's reason. */
  signal?: AbortSignal;
}

/** Every step of a sync run, and the reads after it: the match rate, the run report. */
export interface SyncSteps extends SyncRunSteps {
  uploadChanges(run: StartedRun & { kind: 'add' | 'remove' }, options?: UploadOptions): Promise<UploadSummary>;
  /** Reads back once what the platform reports for the audience of this run's sync (its own, or the sync's last). */
  readMatchRate(ref: RunRef): Promise<MatchRate>;
  /** Records the match rate on the run (`sync_runs.match_rate`). */
  recordMatchRate(ref: RunRef, rate: MatchRate): Promise<void>;
  /** Rows the destination rejected in this run, counted by reason (for the run report). */
  rejectionReasons(ref: RunRef): Promise<{ reason: string; count: number }[]>;
}

export const DEFAULT_LEASE_MS = 10 * 60_000;
const DRY_RUN_SAMPLE = 10;
/** Runs whose context one process keeps at once; a run finished elsewhere leaves its entry behind. */
const MAX_OPEN_RUNS = 64;
const ONE_TRY: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 1 };

/** What a run works with, resolved once per run: its sync, segment and destination. */
interface RunContext {
  sync: SyncConfig;
  segment: SegmentConfig;
  destinationConfig: DestinationConfig;
  destination: Destination;
  /** The destination's minimum audience size (its own, or its platform's documented one), if any. */
  minAudienceSize?: { size: number; of: string };
}

/**
 * Identifier kinds a sync sends: its `identifiers`, or every kind the destination accepts that
 * the entity maps to a column.
 */
export function syncIdentifiers(ws: Workspace, sync: SyncConfig, accepted: readonly IdentifierKind[]): IdentifierKind[] {
  const index = ws.syncs.indexOf(sync);
  const segment = ws.segments.find((s) => s.id === sync.segment)!;
  const entity = ws.entities.find((e) => e.id === segment.entity)!;
  if (sync.identifiers) {
    sync.identifiers.forEach((kind, i) => {
      const path = `syncs[${index}].identifiers[${i}]`;
      if (!accepted.includes(kind))
        throw new UserInputError([{ path, message: `destination "${sync.destination}" does not accept "${kind}" (it accepts ${accepted.join(', ')})` }]);
      if (!entity.identifiers[kind])
        throw new UserInputError([{ path, message: `entity "${entity.id}" maps no column to "${kind}" (entities[].identifiers)` }]);
    });
    return [...sync.identifiers];
  }
  const kinds = accepted.filter((k) => entity.identifiers[k] !== undefined);
  if (kinds.length === 0)
    throw new UserInputError([
      {
        path: `syncs[${index}]`,
        message: `entity "${entity.id}" maps none of the identifiers destination "${sync.destination}" accepts (${accepted.join(', ')})`,
      },
    ]);
  return kinds;
}

/** The one identifier column a record destination's members carry: their encoded record (src/destinations/record.ts). */
const RECORD_KINDS: IdentifierKind[] = ['externalId'];

/**
 * How a run of the sync diffs and sends: the sync's mode, or for a record destination its own
 * (`upsert` runs as add_only: changed records are sent again, leavers are not removed).
 */
function runMode(ctx: RunContext): 'mirror' | 'add_only' {
  const records = ctx.destination.records;
  if (!records) return ctx.sync.mode;
  return records.mode === 'mirror' ? 'mirror' : 'add_only';
}

/** Rows of one side of a run's diff (a run diffed by an earlier version kept them in added/removed). */
function plannedOf(row: SyncRunRow, kind: 'add' | 'remove'): number {
  return (kind === 'add' ? (row.plannedAdded ?? row.added) : (row.plannedRemoved ?? row.removed)) ?? 0;
}

/** A run's counts from its acknowledged batches: what was sent and rejected, per side. */
export function ledgerCounts(planned: number, ledger: readonly LedgerEntry[]): RunCounts {
  let counts = plannedCounts(planned);
  for (const kind of ['remove', 'add'] as const) {
    const side = ledger.filter((e) => e.kind === kind);
    const sent = side.reduce((n, e) => n + e.rowCount, 0);
    const rejected = side.reduce((n, e) => n + e.rejected, 0);
    counts = addUpload(counts, { kind, sent, rejected });
  }
  return counts;
}

/** Run ids sort by start time: `20261122T060102123Z-3fa9c1`. */
export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

function parseAsOf(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new UserInputError([{ path: '--as-of', message: `not an ISO-8601 timestamp: "${value}"` }]);
  return d;
}

function parseKinds(value: string | null): IdentifierKind[] {
  return value ? (value.split(',') as IdentifierKind[]) : [];
}

/**
 * What the exclusions did to a run's diff: the segment's members they kept out, and the rows of
 * its removals whose person they exclude. Nothing (nulls) for a sync without exclusions.
 */
async function countExclusions(s: StateSql, runId: string, audience: AudienceQueries, mode: SyncRunRow['mode']): Promise<Pick<SyncRunRow, 'excluded' | 'excludedRemoved'>> {
  if (!audience.excludedCount || !audience.excludedMembers) return { excluded: null, excludedRemoved: null };
  const [row] = await s.warehouse.query<{ n: unknown }>(audience.excludedCount.sql, audience.excludedCount.params);
  const excludedRemoved = mode === 'mirror' ? await countExcludedRemoves(s, runId, audience.excludedMembers) : 0;
  return { excluded: Number(row?.n ?? 0), excludedRemoved };
}

/**
 * The steps of a sync run and the reads around it: the only implementation. The CLI runs them
 * with `orchestrateSyncRun(createSyncSteps(deps), input)` (`runSync`), the Temporal activities
 * wrap them (src/activities), and every other caller does the same.
 *
 * @example
 * const steps = createSyncSteps({ warehouse, workspace, destinations: destinationFactory(workspace, dir) });
 * const result = await orchestrateSyncRun(steps, { syncId: 'buyers-meta', asOf: new Date().toISOString() });
 * const rate = await steps.readMatchRate(result);
 */
export function createSyncSteps(deps: SyncDeps): SyncSteps {
  const { warehouse, workspace } = deps;
  const clock = deps.clock ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const host = deps.host ?? hostname();
  const pid = deps.pid ?? process.pid;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const retry = deps.retry ?? DEFAULT_RETRY;
  const singleCallRetry = deps.singleCallsRetriedBy === 'orchestrator' ? ONE_TRY : retry;
  const log = (event: string, fields?: Record<string, unknown>) => deps.log?.(event, fields);
  const state = (): Promise<StateSql> => ensureStateSchema(warehouse, workspace.stateSchema);

  const resolve = async (syncId: string): Promise<RunContext> => {
    const sync = workspace.syncs.find((s) => s.id === syncId);
    if (!sync) {
      const known = workspace.syncs.map((s) => s.id).join(', ') || 'none';
      throw new UserInputError([{ path: 'syncs', message: `unknown sync "${syncId}" (known: ${known})` }]);
    }
    const destinationConfig = workspace.destinations.find((d) => d.id === sync.destination)!;
    const context: RunContext = { sync, segment: workspace.segments.find((s) => s.id === sync.segment)!, destinationConfig, destination: await deps.destinations(destinationConfig) };
    const connector = await loadConnector(destinationConfig.type);
    const size = destinationConfig.minAudienceSize ?? connector?.minAudienceSize ?? 0;
    if (size > 0) context.minAudienceSize = { size, of: `destination "${destinationConfig.id}"${connector ? ` (${connector.title})` : ''}` };
    return context;
  };
  const contexts = new Map<string, Promise<RunContext>>();
  const remember = (runId: string, context: Promise<RunContext>): Promise<RunContext> => {
    contexts.set(runId, context);
    if (contexts.size > MAX_OPEN_RUNS) contexts.delete(contexts.keys().next().value!);
    // A context that failed to resolve (a destination that could not be built) is tried again next time.
    context.catch(() => contexts.delete(runId)).catch(() => undefined);
    return context;
  };
  /** The run's context, resolved once per run (and again only on a worker that has not seen the run). */
  const contextOf = (ref: RunRef): Promise<RunContext> => contexts.get(ref.runId) ?? remember(ref.runId, resolve(ref.syncId));

  let renewed: { runId: string; at: number } | undefined;
  /** Renews the run's lock; throws if another process took it over. */
  const heartbeat = async (s: StateSql, ref: RunRef): Promise<void> => {
    // Renewing is a warehouse write; within one process, once per tenth of the lease is enough.
    const now = Date.now();
    if (renewed?.runId === ref.runId && now - renewed.at < leaseMs / 10) return;
    renewed = { runId: ref.runId, at: now };
    const ok = await renewSyncLock(s, { ...ref, host, pid, now: clock(), leaseMs });
    if (!ok) throw new Error(`run ${ref.runId} lost the lock of sync "${ref.syncId}" to another process`);
  };
  /** The run's row, after renewing its lock. */
  const runRow = async (s: StateSql, ref: RunRef): Promise<SyncRunRow> => {
    await heartbeat(s, ref);
    const row = await getRun(s, ref.runId);
    if (!row) throw new Error(`run ${ref.runId} of sync "${ref.syncId}" is not in ${s.schema}.${s.t.runs.name}`);
    return row;
  };
  const started = (row: SyncRunRow, ctx: RunContext, resumed: boolean, full?: boolean): StartedRun => ({
    runId: row.runId,
    syncId: row.syncId,
    asOf: row.asOf.toISOString(),
    mode: row.mode,
    maxRemovalShare: ctx.sync.maxRemovalShare,
    allowEmpty: ctx.sync.allowEmpty,
    resumed,
    confirmRemovals: row.confirmRemovals,
    ...(full ? { full } : {}),
    ...(ctx.minAudienceSize ? { minAudienceSize: ctx.minAudienceSize } : {}),
    ...(workspace.minAudienceSize !== undefined ? { privacyFloor: workspace.minAudienceSize } : {}),
  });
  const summaryOf = (row: SyncRunRow): DiffSummary => ({
    memberCount: row.memberCount ?? 0,
    added: plannedOf(row, 'add'),
    removed: plannedOf(row, 'remove'),
    snapshotCount: row.snapshotCount ?? 0,
    ...(row.excluded !== null ? { excluded: row.excluded } : {}),
    ...(row.excludedRemoved ? { excludedRemoved: row.excludedRemoved } : {}),
  });
  /** The audience the sync's latest run that reached the destination used. */
  const lastAudience = async (s: StateSql, syncId: string): Promise<{ id: string | null; name: string } | undefined> => {
    const b = s.binder();
    const [last] = await s.query<{ audience_id: string | null; audience_name: string }>('audience-last', { syncId: b.bind(syncId) }, b);
    return last ? { id: last.audience_id, name: last.audience_name } : undefined;
  };

  /**
   * What the run's snapshot is bound to: the sync, its destination, and the audience name it sends
   * to (fixed on the run once its diff is made, so a resumed run commits to the same target).
   */
  const targetOf = async (s: StateSql, ctx: RunContext, row: SyncRunRow): Promise<SnapshotTarget> => ({
    syncId: row.syncId,
    destinationId: ctx.destinationConfig.id,
    audienceName: row.audienceName ?? (await audienceNameOf(s, ctx)),
  });
  // The alias is the only name that leaves Outflow; without one, the sync keeps the random name it got first.
  const audienceNameOf = async (s: StateSql, ctx: RunContext): Promise<string> =>
    ctx.sync.audienceName ?? ctx.segment.alias ?? (await lastAudience(s, ctx.sync.id))?.name ?? generateAlias();
  /** The destination's prepareKeys, renewing the run's lock between slices of a long preparation. */
  const preparer = (ctx: RunContext): KeyPreparer => (rows) => ctx.destination.prepareKeys(rows);

  const steps: SyncSteps = {
    async startRun(input) {
      const context = resolve(input.syncId);
      const ctx = await context;
      const asOf = parseAsOf(input.asOf);
      const kinds = ctx.destination.records ? RECORD_KINDS : syncIdentifiers(workspace, ctx.sync, ctx.destination.acceptedIdentifiers);
      const s = await state();
      const now = clock();
      const runId = newRunId(now);
      const takenOver = await acquireSyncLock(s, { syncId: ctx.sync.id, runId, host, pid, now, leaseMs });
      if (takenOver) log('lock_taken_over', { syncId: ctx.sync.id, fromRunId: takenOver.runId, fromPid: takenOver.pid, fromHost: takenOver.host });
      try {
        const cleaned = await dropLeftoverRunTables(s, [ctx.sync.id]);
        if (cleaned.length > 0) log('leftover_run_tables_dropped', { syncId: ctx.sync.id, runIds: cleaned });
        let resume: SyncRunRow | undefined;
        for (const row of await listRuns(s, ctx.sync.id, { status: 'syncing' })) {
          const resumable = row.phase !== 'started' && !row.dryRun;
          if (resumable && !input.dryRun && !resume) {
            resume = row;
            continue;
          }
          // A resumable run waits for the next real run; a dry run never takes it over.
          if (resumable) continue;
          await updateRun(s, row.runId, {
            status: row.dryRun ? 'dry_run' : 'failed',
            error: `interrupted before its diff was complete; superseded by run ${runId}`,
            finishedAt: now,
            updatedAt: now,
          });
          await dropRunTables(s, row.runId);
        }
        if (resume) {
          await renewSyncLock(s, { syncId: ctx.sync.id, runId, newRunId: resume.runId, host, pid, now, leaseMs });
          await updateRun(s, resume.runId, { updatedAt: now });
          log('run_resumed', { syncId: ctx.sync.id, runId: resume.runId, phase: resume.phase });
          void remember(resume.runId, context);
          return started(resume, ctx, true);
        }
        const row: SyncRunRow = {
          runId,
          syncId: ctx.sync.id,
          status: 'syncing',
          startedAt: now,
          finishedAt: null,
          added: null,
          removed: null,
          rejected: null,
          matchRate: null,
          segmentId: ctx.segment.id,
          asOf,
          mode: runMode(ctx),
          phase: 'started',
          confirmRemovals: input.confirmRemovals ?? false,
          dryRun: input.dryRun ?? false,
          identifiers: kinds.join(','),
          memberCount: null,
          snapshotCount: null,
          changed: null,
          batches: null,
          batchSize: null,
          audienceId: null,
          audienceName: null,
          error: null,
          updatedAt: now,
          plannedAdded: null,
          plannedRemoved: null,
          planned: null,
          sent: null,
          accepted: null,
          deferred: null,
          excluded: null,
          excludedRemoved: null,
        };
        await insertRun(s, row);
        log('run_started', { syncId: ctx.sync.id, runId, asOf: row.asOf.toISOString(), dryRun: row.dryRun });
        void remember(runId, context);
        return started(row, ctx, false, input.full);
      } catch (err) {
        await releaseSyncLock(s, ctx.sync.id, runId).catch(() => undefined);
        throw err;
      }
    },

    async evaluateAndDiff(run) {
      const s = await state();
      const row = await runRow(s, run);
      const notes: string[] = [];
      if (row.phase === 'started') {
        const ctx = await contextOf(run);
        const kinds = parseKinds(row.identifiers);
        const target = await targetOf(s, ctx, row);
        const between = () => heartbeat(s, row);
        const upgraded = await upgradeLegacySnapshot(s, { target: { ...target, audienceName: (await lastAudience(s, row.syncId))?.name ?? target.audienceName }, prepare: preparer(ctx), between });
        if (upgraded) {
          notes.push(`converted this sync's snapshot of an earlier version to keys: ${upgraded.persons} persons (raw values dropped)`);
          log('snapshot_upgraded', { syncId: row.syncId, persons: upgraded.persons, unkeyed: upgraded.rejected.length });
        }
        const note = targetChangeNote(target, await snapshotTargets(s, row.syncId));
        if (note) {
          notes.push(note);
          log('snapshot_target_changed', { syncId: row.syncId, destinationId: target.destinationId });
        }
        if (run.full) notes.push('full: every member\'s keys are sent again');
        if (ctx.segment.splits && groupsOfSync(ctx.segment, row.syncId).length === 0)
          notes.push(`segment "${ctx.segment.id}" is split into groups and none names this sync: it sends no one (add "${row.syncId}" to the syncs of a group)`);
        const { records } = ctx.destination;
        const compile = { dialect: warehouse.dialect, asOf: row.asOf, catalog: await loadCatalog(warehouse, workspace), splitGroup: true };
        // A record destination's members carry its encoded record as their one identifier column.
        const audience = records
          ? compileAudience(workspace, ctx.sync, { ...compile, record: { as: RECORD_KINDS[0]!, columns: columnFields(records) } })
          : deps.audience
            ? await deps.audience(ctx.sync, row.asOf)
            : compileAudience(workspace, ctx.sync, { ...compile, identifiers: kinds });
        // A split segment's sync sends only the groups that list it (a holdout is sent by none).
        const query = membersForSync(ctx.segment, row.syncId, audience.members, warehouse.dialect);
        // add_only records are sent once per person: their diff looks at the person alone, not at changed values.
        const fingerprintKinds = records?.mode === 'add_only' ? [] : kinds;
        const t0 = Date.now();
        const counts = await materialiseDiff(s, { runId: row.runId, target, query, kinds, fingerprintKinds, mode: row.mode, full: run.full ?? false, leaversOnly: records !== undefined, prepare: preparer(ctx), between });
        const exclusions = await countExclusions(s, row.runId, audience, row.mode);
        // Only now is the diff complete: a run that crashed before this line is superseded, not resumed.
        const { memberCount, added, removed, changed, snapshotCount } = counts;
        const diffed = { phase: 'diffed' as const, memberCount, snapshotCount, changed, plannedAdded: added, plannedRemoved: removed, audienceName: target.audienceName, ...exclusions };
        await updateRun(s, row.runId, { ...diffed, updatedAt: clock() });
        Object.assign(row, diffed);
        log('diff_computed', { runId: row.runId, memberCount, added, removed, changed, ms: Date.now() - t0 });
      }
      const summary = summaryOf(row);
      if (row.mode === 'mirror' && summary.removed > 0) {
        const { sync } = await contextOf(run);
        const window = await readRemovalWindow(s, { syncId: row.syncId, runId: row.runId, days: sync.removalWindowDays, now: clock(), snapshotCount: summary.snapshotCount });
        if (window) summary.window = window;
      }
      if (row.dryRun && deps.onDiffSample) {
        const added = await sampleChanges(s, row.runId, 'add', DRY_RUN_SAMPLE);
        const removed = row.mode === 'mirror' ? await sampleChanges(s, row.runId, 'remove', DRY_RUN_SAMPLE) : [];
        deps.onDiffSample({ runId: row.runId, added, removed });
      }
      // Rows none of whose values the destination can use were rejected when their keys were made.
      const rejected = await keyRejections(s, row.runId);
      return { ...summary, ...(rejected > 0 ? { rejected } : {}), ...(notes.length > 0 ? { notes } : {}) };
    },

    async ensureAudience(run) {
      const s = await state();
      const row = await runRow(s, run);
      if (row.audienceId && row.audienceName) return { audienceId: row.audienceId, audienceName: row.audienceName };
      const ctx = await contextOf(run);
      const name = row.audienceName ?? (await audienceNameOf(s, ctx));
      const audience = await withRetry(() => ctx.destination.createAudience({ name }), { sleep, policy: singleCallRetry });
      await updateRun(s, row.runId, { audienceId: audience.id, audienceName: audience.name, updatedAt: clock() });
      return { audienceId: audience.id, audienceName: audience.name };
    },

    async uploadChanges(run, options = {}) {
      const s = await state();
      const row = await runRow(s, run);
      const total = plannedOf(row, run.kind);
      if (total === 0 || (run.kind === 'remove' && row.mode !== 'mirror')) return { kind: run.kind, batches: 0, skippedBatches: 0, sent: 0, rejected: 0 };
      if (!row.audienceId || !row.audienceName) throw new Error(`run ${row.runId} has no audience yet (ensureAudience first)`);
      const { destination } = await contextOf(run);
      let batchSize = row.batchSize;
      if (batchSize === null) {
        batchSize = destination.batchLimit;
        await updateRun(s, row.runId, { batchSize, updatedAt: clock() });
      }
      let lastBeat = Date.now();
      const summary = await uploadDiff({
        state: s,
        runId: row.runId,
        kind: run.kind,
        total,
        batchSize,
        acknowledged: await acknowledgedBatches(s, row.runId),
        destination,
        audience: { id: row.audienceId, name: row.audienceName },
        clock,
        sleep,
        retry,
        ...(deps.log ? { log: deps.log } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) => {
          deps.onProgress?.(p);
          options.onProgress?.(p);
        },
        heartbeat: async () => {
          if (Date.now() - lastBeat < leaseMs / 4) return;
          lastBeat = Date.now();
          await heartbeat(s, row);
        },
      });
      log('upload_done', { runId: row.runId, kind: run.kind, batches: summary.batches, skipped: summary.skippedBatches, sent: summary.sent, rejected: summary.rejected });
      return summary;
    },

    async commitSnapshot(run) {
      const s = await state();
      const row = await runRow(s, run);
      if (row.phase === 'committed') return;
      if (row.phase !== 'diffed') throw new Error(`run ${run.runId} cannot commit before its diff is complete`);
      // Read before the transaction (some engines read nothing inside one); the run's lock keeps
      // any other process from committing it meanwhile.
      const target = await targetOf(s, await contextOf(run), row);
      await warehouse.transaction(async (tx) => {
        await applyDiffToSnapshot(s, { runId: row.runId, target, mode: row.mode }, tx);
        await updateRun(s, row.runId, { phase: 'committed', updatedAt: clock() }, tx);
      });
      log('snapshot_committed', { runId: run.runId });
    },

    async finishRun(input: FinishInput) {
      const s = await state();
      const now = clock();
      // A failed upload never told the orchestration about its last batches: the ledger knows.
      const counts = input.counts && input.status === 'failed' ? ledgerCounts(input.counts.planned, await acknowledgedBatches(s, input.runId)) : input.counts;
      await updateRun(s, input.runId, {
        status: input.status,
        finishedAt: now,
        updatedAt: now,
        error: input.error ?? null,
        ...(counts ?? {}),
        ...(input.batches !== undefined ? { batches: input.batches } : {}),
      });
      await dropRunTables(s, input.runId);
      await releaseSyncLock(s, input.syncId, input.runId);
      contexts.delete(input.runId);
      log('run_finished', { syncId: input.syncId, runId: input.runId, status: input.status, ...(counts ?? {}) });
      return counts;
    },

    async readMatchRate(ref) {
      const s = await state();
      const row = await getRun(s, ref.runId);
      // A run that changed nothing reached no audience: read the one the sync's runs last sent to.
      const audience = row?.audienceId && row.audienceName ? { id: row.audienceId, name: row.audienceName } : await lastAudience(s, ref.syncId);
      if (!audience?.id) throw new Error(`sync "${ref.syncId}" has no audience to read a match rate from yet (run ${ref.runId})`);
      const { destination } = await contextOf(ref);
      return destination.readMatchRate({ id: audience.id, name: audience.name });
    },

    async recordMatchRate(ref, rate) {
      // Platforms that only report a size leave match_rate empty rather than guessed.
      if (rate.matchRate !== undefined) await updateRun(await state(), ref.runId, { matchRate: rate.matchRate, updatedAt: clock() });
      log('match_rate_recorded', { runId: ref.runId, syncId: ref.syncId, status: rate.status, matchRate: rate.matchRate, audienceSize: rate.audienceSize, ...(rate.warnings ? { warnings: rate.warnings } : {}) });
    },

    async rejectionReasons(ref) {
      return rejectionReasons(await state(), ref.runId);
    },
  };
  return steps;
}

/**
 * `outflow sync reset`: forgets the snapshot of the sync's current target (destination and audience
 * name), so its next run sends every member again. Takes the sync's lock (a running sync refuses
 * it); an unfinished run of the sync is marked failed, as its diff was made against that snapshot.
 * Snapshots of other targets are left alone.
 *
 * @example
 * const { target, forgotten } = await resetSync({ warehouse, workspace }, 'buyers-meta');
 */
export async function resetSync(
  deps: Pick<SyncDeps, 'warehouse' | 'workspace' | 'clock' | 'host' | 'pid' | 'leaseMs'>,
  syncId: string,
): Promise<{ target: SnapshotTarget | undefined; forgotten: number }> {
  const { warehouse, workspace } = deps;
  const sync = workspace.syncs.find((x) => x.id === syncId);
  if (!sync) {
    const known = workspace.syncs.map((x) => x.id).join(', ') || 'none';
    throw new UserInputError([{ path: 'syncs', message: `unknown sync "${syncId}" (known: ${known})` }]);
  }
  const s = await ensureStateSchema(warehouse, workspace.stateSchema);
  const now = (deps.clock ?? (() => new Date()))();
  const lock = { syncId, runId: `reset-${newRunId(now)}`, host: deps.host ?? hostname(), pid: deps.pid ?? process.pid, now, leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS };
  await acquireSyncLock(s, lock);
  try {
    for (const row of await listRuns(s, syncId, { status: 'syncing' })) {
      await updateRun(s, row.runId, { status: row.dryRun ? 'dry_run' : 'failed', error: 'superseded by sync reset', finishedAt: now, updatedAt: now });
      await dropRunTables(s, row.runId);
    }
    const segment = workspace.segments.find((x) => x.id === sync.segment);
    const b = s.binder();
    const [last] = await s.query<{ audience_name: string }>('audience-last', { syncId: b.bind(syncId) }, b);
    const audienceName = sync.audienceName ?? segment?.alias ?? last?.audience_name;
    if (audienceName === undefined) return { target: undefined, forgotten: 0 };
    const target = { syncId, destinationId: sync.destination, audienceName };
    return { target, forgotten: await forgetSnapshot(s, target) };
  } finally {
    await releaseSyncLock(s, syncId, lock.runId);
  }
}

/**
 * Runs one sync in this process (the CLI, the demo, later the API and the scheduler): the same
 * ordered steps as the Temporal workflow.
 *
 * @example
 * const result = await runSync({ warehouse, workspace, destinations: destinationFactory(workspace, dir) },
 *   { syncId: 'buyers-file', asOf: new Date().toISOString() });
 */
export function runSync(deps: SyncDeps, input: SyncRunInput): Promise<SyncRunResult> {
  return orchestrateSyncRun(createSyncSteps(deps), input);
}
