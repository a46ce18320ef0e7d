import { CronExpressionParser } from 'cron-parser';
import { DEFAULT_SCHEDULE, type Workspace } from '../config/schema';
import { type Actor, OpenRunError, type Store, type StoredObject, type WorkspaceSettings } from '../store';
import { refreshOrder, refreshSegment } from '../state/membership';
import { rootMessage } from '../sync/orchestrate';
import { pauseReason } from '../temporal/schedules';
import type { LocalRuns } from './runs';
import type { ServerWarehouse } from './warehouse';

/** Segments are refreshed on this cron (UTC): daily, like a sync's default schedule. */
export const REFRESH_SCHEDULE = DEFAULT_SCHEDULE;
/** A fire time missed by more than this (the server was down) is skipped, as Temporal's catch-up window does. */
export const CATCH_UP_MS = 6 * 60 * 60_000;
const TICK_MS = 30_000;

export interface SchedulerDeps {
  store: Store;
  settings: WorkspaceSettings;
  warehouse: ServerWarehouse;
  runs: LocalRuns;
  log: (event: string, fields?: Record<string, unknown>) => void;
  clock?: () => Date;
  tickMs?: number;
}

/** What one tick decided. */
export interface TickPlan {
  refresh: string[];
  sync: string[];
}

const SCHEDULER: Actor = { name: 'scheduler', origin: 'outflow serve' };

/**
 * The in-process scheduler of `outflow serve` (`orchestrator: local`): every tick it reads the
 * store and runs what is due: first the refreshes of active segments (daily, in dependency order,
 * each segment after those it references), then the syncs whose cron fired (in the same order of
 * their segments), each through `LocalRuns`, so one run per sync at a time through the same lock.
 * Paused, archived and draft segments, and disabled syncs, are skipped.
 *
 * A sync is due when its last cron fire time is later than its last run and than its creation,
 * and no more than CATCH_UP_MS ago; a segment when its last refresh is older than the last fire
 * of REFRESH_SCHEDULE, or it was never refreshed. So a restart neither repeats nor loses a day.
 */
export class LocalScheduler {
  readonly #deps: SchedulerDeps;
  readonly #clock: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<TickPlan> | undefined;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  start(): void {
    const loop = () => {
      this.#timer = setTimeout(() => {
        void this.tick().finally(loop);
      }, this.#deps.tickMs ?? TICK_MS);
      this.#timer.unref();
    };
    void this.tick().finally(loop);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking?.catch(() => undefined);
  }

  /** Runs one tick (at most one at a time); returns what it started. */
  tick(): Promise<TickPlan> {
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async #tick(): Promise<TickPlan> {
    const { store, settings, log } = this.#deps;
    const now = this.#clock();
    try {
      const workspace = await store.workspace(settings);
      const plan = await this.plan(workspace, now);
      for (const segmentId of plan.refresh) await this.#refresh(workspace, segmentId, now);
      for (const syncId of plan.sync) {
        try {
          await this.#deps.runs.request(syncId, {}, SCHEDULER);
        } catch (err) {
          if (!(err instanceof OpenRunError)) throw err;
          log('scheduled_run_skipped', { syncId, openRunId: err.openRunId });
        }
      }
      return plan;
    } catch (err) {
      log('scheduler_error', { error: rootMessage(err) });
      return { refresh: [], sync: [] };
    }
  }

  /** What is due at `now`, in the order it runs. */
  async plan(workspace: Workspace, now: Date): Promise<TickPlan> {
    const { store } = this.#deps;
    const active = new Set(workspace.segments.filter((s) => s.status === 'active').map((s) => s.id));
    const order = refreshOrder(workspace, workspace.segments.map((s) => s.id));
    const refreshes = await store.membership.refreshes();
    const lastRefreshFire = lastFire(REFRESH_SCHEDULE, now);
    const dueSegments = new Set(
      [...active].filter((id) => {
        const last = refreshes.get(id);
        return !last || Date.parse(last.evaluatedAt) < lastRefreshFire.getTime();
      }),
    );
    // A due segment's references are refreshed before it, at the same as-of, when they are active.
    const refresh = refreshOrder(workspace, [...dueSegments]).filter((id) => active.has(id));

    const syncs = new Map((await store.syncs.list()).map((s) => [s.id, s]));
    const due: string[] = [];
    for (const sync of workspace.syncs) {
      if (pauseReason(workspace, sync) !== '') continue;
      const stored = syncs.get(sync.id);
      if (stored && (await this.#syncDue(stored, sync.schedule, now))) due.push(sync.id);
    }
    const rank = new Map(order.map((id, i) => [id, i]));
    due.sort((a, b) => (rank.get(syncs.get(a)!.body.segment) ?? 0) - (rank.get(syncs.get(b)!.body.segment) ?? 0));
    return { refresh, sync: due };
  }

  async #syncDue(sync: StoredObject<'sync'>, schedule: string, now: Date): Promise<boolean> {
    const fired = lastFire(schedule, now);
    if (now.getTime() - fired.getTime() > CATCH_UP_MS) return false;
    if (fired.getTime() <= Date.parse(sync.createdAt)) return false;
    const [last] = await this.#deps.store.runs.list(sync.id, { limit: 1 });
    return !last || Date.parse(last.queuedAt) < fired.getTime();
  }

  async #refresh(workspace: Workspace, segmentId: string, asOf: Date): Promise<void> {
    const { store, warehouse, log } = this.#deps;
    try {
      await warehouse.job((w) => refreshSegment({ warehouse: w, workspace, log, onChanges: (c) => store.membership.take(c).then(() => undefined) }, segmentId, asOf));
    } catch (err) {
      log('scheduled_refresh_failed', { segmentId, error: rootMessage(err) });
    }
  }
}

/** The latest fire time of a 5-field UTC cron at or before `now`. */
export function lastFire(cron: string, now: Date): Date {
  const it = CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date(now.getTime() + 1) });
  return it.prev().toDate();
}
