import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { UserInputError } from '../config/errors';
import type { DestinationConfig, IdentifierKind, SegmentConfig, SyncConfig, Workspace } from '../config/schema';
import { generateAlias } from '../segments/alias';
import { loadCatalog } from '../segments/load-catalog';
import { acknowledgedBatches } from '../state/run-tables';
import { acquireSyncLock, releaseSyncLock, renewSyncLock } from '../state/runs';
import { membersQuery } from '../state/members-query';
import { applyDiffToSnapshot, dropRunTables, materialiseDiff, sampleChanges } from '../state/run-tables';
import { getRun, insertRun, listRuns, type SyncRunRow, updateRun } from '../state/runs';
import { ensureStateSchema } from '../state/state-sql';
import type { StateSql } from '../state/state-sql';
import type { WarehouseDriver } from '../warehouse/driver';
import type { Destination } from '../destinations/contract';
import type {
  DiffSummary,
  EvaluateResult,
  FinishInput,
  StartedRun,
  SyncActivities,
  SyncRunInput,
  UploadSummary,
} from './orchestrate';
import { type RetryPolicy, withRetry } from './retry';
import { type UploadProgress, uploadDiff } from './upload';

/**
 * What the steps of a sync run need. The CLI passes real ones; the Temporal activities pass
 * the worker's; tests pass a controllable clock, sleep and destination factory.
 */
export interface SyncDeps {
  warehouse: WarehouseDriver;
  workspace: Workspace;
  /** Creates the Destination of a destination config (see `destinationFactory`). */
  destinations: (config: DestinationConfig) => Promise<Destination>;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Structured events; never given personal data or secrets. */
  log?: (event: string, fields?: Record<string, unknown>) => void;
  onProgress?: (p: UploadProgress) => void;
  /** Dry runs receive a few person ids of each side of the diff here. */
  onDiffSample?: (sample: { runId: string; added: string[]; removed: string[] }) => void;
  retry?: RetryPolicy;
  /** Lock holder identity; defaults to this host and process. */
  host?: string;
  pid?: number;
  /** How long a lock stays valid without renewal (other hosts take over after it). */
  leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 10 * 60_000;
const DRY_RUN_SAMPLE = 10;

interface SyncContext {
  sync: SyncConfig;
  segment: SegmentConfig;
  destinationConfig: DestinationConfig;
}

function syncContext(ws: Workspace, syncId: string): SyncContext {
  const sync = ws.syncs.find((s) => s.id === syncId);
  if (!sync) {
    const known = ws.syncs.map((s) => s.id).join(', ') || 'none';
    throw new UserInputError([{ path: 'syncs', message: `unknown sync "${syncId}" (known: ${known})` }]);
  }
  return {
    sync,
    segment: ws.segments.find((s) => s.id === sync.segment)!,
    destinationConfig: ws.destinations.find((d) => d.id === sync.destination)!,
  };
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

class Steps {
  readonly deps: SyncDeps;
  readonly clock: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly host: string;
  readonly pid: number;
  readonly leaseMs: number;
  #renewed: { runId: string; at: number } | undefined;

  constructor(deps: SyncDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? (() => new Date());
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.host = deps.host ?? hostname();
    this.pid = deps.pid ?? process.pid;
    this.leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  }

  state(): Promise<StateSql> {
    return ensureStateSchema(this.deps.warehouse, this.deps.workspace.stateSchema);
  }

  log(event: string, fields?: Record<string, unknown>): void {
    this.deps.log?.(event, fields);
  }

  /** The run's row, after renewing its lock; throws if another process took the lock over. */
  async run(state: StateSql, ref: { runId: string; syncId: string }): Promise<SyncRunRow> {
    await this.heartbeat(state, ref);
    const row = await getRun(state, ref.runId);
    if (!row) throw new Error(`run ${ref.runId} of sync "${ref.syncId}" is not in ${state.t.runs}`);
    return row;
  }

  async heartbeat(state: StateSql, ref: { runId: string; syncId: string }): Promise<void> {
    // Renewing is a warehouse write; within one process, once per tenth of the lease is enough.
    const now = Date.now();
    if (this.#renewed?.runId === ref.runId && now - this.#renewed.at < this.leaseMs / 10) return;
    this.#renewed = { runId: ref.runId, at: now };
    const ok = await renewSyncLock(state, { ...ref, host: this.host, pid: this.pid, now: this.clock(), leaseMs: this.leaseMs });
    if (!ok) throw new Error(`run ${ref.runId} lost the lock of sync "${ref.syncId}" to another process`);
  }

  started(row: SyncRunRow, ctx: SyncContext, resumed: boolean): StartedRun {
    return {
      runId: row.runId,
      syncId: row.syncId,
      asOf: row.asOf.toISOString(),
      mode: row.mode,
      maxRemovalShare: ctx.sync.maxRemovalShare,
      allowEmpty: ctx.sync.allowEmpty,
      resumed,
      confirmRemovals: row.confirmRemovals,
    };
  }

  async startRun(input: SyncRunInput): Promise<StartedRun> {
    const ctx = syncContext(this.deps.workspace, input.syncId);
    const asOf = parseAsOf(input.asOf);
    const destination = await this.deps.destinations(ctx.destinationConfig);
    const kinds = syncIdentifiers(this.deps.workspace, ctx.sync, destination.acceptedIdentifiers);
    const state = await this.state();
    const now = this.clock();
    const runId = newRunId(now);
    const takenOver = await acquireSyncLock(state, { syncId: ctx.sync.id, runId, host: this.host, pid: this.pid, now, leaseMs: this.leaseMs });
    if (takenOver) this.log('lock_taken_over', { syncId: ctx.sync.id, fromRunId: takenOver.runId, fromPid: takenOver.pid, fromHost: takenOver.host });
    try {
      let resume: SyncRunRow | undefined;
      for (const row of await listRuns(state, ctx.sync.id, { status: 'syncing' })) {
        const resumable = row.phase !== 'started' && !row.dryRun;
        if (resumable && !input.dryRun && !resume) {
          resume = row;
          continue;
        }
        // A resumable run waits for the next real run; a dry run never takes it over.
        if (resumable) continue;
        await updateRun(state, row.runId, {
          status: row.dryRun ? 'dry_run' : 'failed',
          error: `interrupted before its diff was complete; superseded by run ${runId}`,
          finishedAt: now,
          updatedAt: now,
        });
        await dropRunTables(state, row.runId);
      }
      if (resume) {
        await renewSyncLock(state, { syncId: ctx.sync.id, runId, newRunId: resume.runId, host: this.host, pid: this.pid, now, leaseMs: this.leaseMs });
        await updateRun(state, resume.runId, { updatedAt: now });
        this.log('run_resumed', { syncId: ctx.sync.id, runId: resume.runId, phase: resume.phase });
        return this.started(resume, ctx, true);
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
        mode: ctx.sync.mode,
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
      };
      await insertRun(state, row);
      this.log('run_started', { syncId: ctx.sync.id, runId, asOf: row.asOf.toISOString(), dryRun: row.dryRun });
      return this.started(row, ctx, false);
    } catch (err) {
      await releaseSyncLock(state, ctx.sync.id, runId).catch(() => undefined);
      throw err;
    }
  }

  async evaluateSegment(run: StartedRun): Promise<EvaluateResult> {
    const state = await this.state();
    const row = await this.run(state, run);
    if (row.phase === 'started') await this.evaluateAndDiff(state, row);
    return { memberCount: row.memberCount ?? 0 };
  }

  /**
   * Evaluates the segment at the run's as-of and diffs it against the confirmed snapshot, in one
   * warehouse statement; the diff and the run's `diffed` phase commit together. Updates `row`.
   */
  async evaluateAndDiff(state: StateSql, row: SyncRunRow): Promise<void> {
    const kinds = parseKinds(row.identifiers);
    const catalog = await loadCatalog(this.deps.warehouse, this.deps.workspace);
    const query = membersQuery(this.deps.workspace, row.segmentId, { dialect: this.deps.warehouse.dialect, asOf: row.asOf, identifiers: kinds, catalog });
    const t0 = Date.now();
    const counts = await materialiseDiff(state, { runId: row.runId, syncId: row.syncId, query, kinds });
    // Only now is the diff complete: a run that crashed before this line is superseded, not resumed.
    await updateRun(state, row.runId, { phase: 'diffed', ...counts, updatedAt: this.clock() });
    Object.assign(row, counts, { phase: 'diffed' });
    const { memberCount, added, removed, changed } = counts;
    this.log('diff_computed', { runId: row.runId, memberCount, added, removed, changed, ms: Date.now() - t0 });
  }

  async computeDiff(run: StartedRun): Promise<DiffSummary> {
    const state = await this.state();
    const row = await this.run(state, run);
    if (row.phase === 'started') await this.evaluateAndDiff(state, row);
    if (row.dryRun && this.deps.onDiffSample) {
      const added = await sampleChanges(state, row.runId, 'add', DRY_RUN_SAMPLE);
      const removed = row.mode === 'mirror' ? await sampleChanges(state, row.runId, 'remove', DRY_RUN_SAMPLE) : [];
      this.deps.onDiffSample({ runId: row.runId, added, removed });
    }
    return { added: row.added ?? 0, removed: row.removed ?? 0, snapshotCount: row.snapshotCount ?? 0 };
  }

  async ensureAudience(run: StartedRun): Promise<{ audienceId: string; audienceName: string }> {
    const state = await this.state();
    const row = await this.run(state, run);
    if (row.audienceId && row.audienceName) return { audienceId: row.audienceId, audienceName: row.audienceName };
    const ctx = syncContext(this.deps.workspace, row.syncId);
    const destination = await this.deps.destinations(ctx.destinationConfig);
    // The alias is the only name that leaves Outflow; without one, the sync keeps the random name it got first.
    const name = ctx.sync.audienceName ?? ctx.segment.alias ?? (await this.lastAudienceName(state, row.syncId)) ?? generateAlias();
    const audience = await withRetry(() => destination.createAudience({ name }), { sleep: this.sleep, ...(this.deps.retry ? { policy: this.deps.retry } : {}) });
    await updateRun(state, row.runId, { audienceId: audience.id, audienceName: audience.name, updatedAt: this.clock() });
    return { audienceId: audience.id, audienceName: audience.name };
  }

  async lastAudienceName(state: StateSql, syncId: string): Promise<string | undefined> {
    const b = state.binder();
    const [last] = await state.query<{ audience_name: string }>('audience-last', { syncId: b.bind(syncId) }, b);
    return last?.audience_name;
  }

  async uploadChanges(run: StartedRun & { kind: 'add' | 'remove' }): Promise<UploadSummary> {
    const state = await this.state();
    const row = await this.run(state, run);
    const total = (run.kind === 'add' ? row.added : row.removed) ?? 0;
    if (total === 0 || (run.kind === 'remove' && row.mode !== 'mirror'))
      return { kind: run.kind, batches: 0, skippedBatches: 0, sent: 0, rejected: 0 };
    if (!row.audienceId || !row.audienceName) throw new Error(`run ${row.runId} has no audience yet (ensureAudience first)`);
    const ctx = syncContext(this.deps.workspace, row.syncId);
    const destination = await this.deps.destinations(ctx.destinationConfig);
    let batchSize = row.batchSize;
    if (batchSize === null) {
      batchSize = destination.batchLimit;
      await updateRun(state, row.runId, { batchSize, updatedAt: this.clock() });
    }
    let lastBeat = Date.now();
    const summary = await uploadDiff({
      state,
      runId: row.runId,
      kind: run.kind,
      kinds: parseKinds(row.identifiers),
      total,
      batchSize,
      acknowledged: await acknowledgedBatches(state, row.runId),
      destination,
      audience: { id: row.audienceId, name: row.audienceName },
      clock: this.clock,
      sleep: this.sleep,
      ...(this.deps.retry ? { retry: this.deps.retry } : {}),
      ...(this.deps.log ? { log: this.deps.log } : {}),
      ...(this.deps.onProgress ? { onProgress: this.deps.onProgress } : {}),
      heartbeat: async () => {
        if (Date.now() - lastBeat < this.leaseMs / 4) return;
        lastBeat = Date.now();
        await this.heartbeat(state, row);
      },
    });
    this.log('upload_done', { runId: row.runId, kind: run.kind, batches: summary.batches, skipped: summary.skippedBatches, sent: summary.sent, rejected: summary.rejected });
    return summary;
  }

  async commitSnapshot(run: StartedRun): Promise<void> {
    const state = await this.state();
    const row = await this.run(state, run);
    if (row.phase === 'committed') return;
    if (row.phase !== 'diffed') throw new Error(`run ${run.runId} cannot commit before its diff is complete`);
    // Read before the transaction (some engines read nothing inside one); the run's lock keeps
    // any other process from committing it meanwhile.
    await this.deps.warehouse.transaction(async (tx) => {
      await applyDiffToSnapshot(state, { runId: row.runId, syncId: row.syncId, mode: row.mode, kinds: parseKinds(row.identifiers) }, tx);
      await updateRun(state, row.runId, { phase: 'committed', updatedAt: this.clock() }, tx);
    });
    this.log('snapshot_committed', { runId: run.runId });
  }

  async finishRun(input: FinishInput): Promise<void> {
    const state = await this.state();
    const now = this.clock();
    await updateRun(state, input.runId, {
      status: input.status,
      finishedAt: now,
      updatedAt: now,
      error: input.error ?? null,
      ...(input.added !== undefined ? { added: input.added } : {}),
      ...(input.removed !== undefined ? { removed: input.removed } : {}),
      ...(input.rejected !== undefined ? { rejected: input.rejected } : {}),
      ...(input.batches !== undefined ? { batches: input.batches } : {}),
    });
    await dropRunTables(state, input.runId);
    await releaseSyncLock(state, input.syncId, input.runId);
    this.log('run_finished', { syncId: input.syncId, runId: input.runId, status: input.status });
  }
}

/** Step functions of a run, each a plain async function of deps and its JSON input. */
export const startRun = (deps: SyncDeps, input: SyncRunInput) => new Steps(deps).startRun(input);
export const evaluateSegment = (deps: SyncDeps, run: StartedRun) => new Steps(deps).evaluateSegment(run);
export const computeDiff = (deps: SyncDeps, run: StartedRun) => new Steps(deps).computeDiff(run);
export const ensureAudience = (deps: SyncDeps, run: StartedRun) => new Steps(deps).ensureAudience(run);
export const uploadChanges = (deps: SyncDeps, run: StartedRun & { kind: 'add' | 'remove' }) => new Steps(deps).uploadChanges(run);
export const commitSnapshot = (deps: SyncDeps, run: StartedRun) => new Steps(deps).commitSnapshot(run);
export const finishRun = (deps: SyncDeps, input: FinishInput) => new Steps(deps).finishRun(input);

/** The in-process implementation of every step, for `orchestrateSyncRun`. */
export function createLocalActivities(deps: SyncDeps): SyncActivities {
  const steps = new Steps(deps);
  return {
    startRun: (input) => steps.startRun(input),
    evaluateSegment: (run) => steps.evaluateSegment(run),
    computeDiff: (run) => steps.computeDiff(run),
    ensureAudience: (run) => steps.ensureAudience(run),
    uploadChanges: (run) => steps.uploadChanges(run),
    commitSnapshot: (run) => steps.commitSnapshot(run),
    finishRun: (input) => steps.finishRun(input),
  };
}
