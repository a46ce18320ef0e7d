import { UserInputError } from '../config/errors';
import { refreshWithDependencies } from '../state/membership';
import { getRun, updateRun } from '../state/runs';
import { ensureStateSchema } from '../state/state-sql';
import type { Destination, MatchRate } from '../destinations/contract';
import type { DestinationFactory } from '../destinations/registry';
import {
  commitSnapshot,
  computeDiff,
  ensureAudience,
  evaluateSegment,
  finishRun,
  startRun,
  uploadChanges,
  type SyncDeps,
} from '../sync/local-activities';
import type { RunRef } from '../sync/orchestrate';
import type { SyncSteps } from './types';

/**
 * The real sync steps (src/sync, src/state) bound to one warehouse, workspace and destination
 * factory: what the worker hands to `createActivities`.
 */
export function bindSyncSteps(deps: SyncDeps): SyncSteps {
  const clock = deps.clock ?? (() => new Date());
  const state = () => ensureStateSchema(deps.warehouse, deps.workspace.stateSchema);

  const runRow = async (ref: RunRef) => {
    const s = await state();
    const row = await getRun(s, ref.runId);
    if (!row) throw new Error(`run ${ref.runId} of sync "${ref.syncId}" is not in ${s.t.runs}`);
    return { s, row };
  };

  return {
    startRun: (input) => startRun(deps, input),
    evaluateSegment: (run) => evaluateSegment(deps, run),
    computeDiff: (run) => computeDiff(deps, run),
    ensureAudience: (run) => ensureAudience(deps, run),
    // The ledger is what makes a resumed upload skip acknowledged batches; the activity's
    // cursor rides along as progress. Cancellation reaches the uploader through its destination:
    // once Temporal cancels, no further batch is sent and the error ends the upload.
    uploadChanges: (run, o) =>
      uploadChanges(
        {
          ...deps,
          destinations: abortable(deps.destinations, o.signal),
          onProgress: (p) => {
            deps.onProgress?.(p);
            o.onProgress({ kind: p.kind, done: p.done, total: p.total });
          },
        },
        run,
      ),
    commitSnapshot: (run) => commitSnapshot(deps, run),
    finishRun: (input) => finishRun(deps, input),

    async refreshSegment(input) {
      const evaluations = await refreshWithDependencies({ ...deps }, input.segmentId, new Date(input.asOf));
      const own = evaluations.find((e) => e.segmentId === input.segmentId);
      if (!own) throw new Error(`refreshing segment "${input.segmentId}" produced no evaluation of it`);
      return { segmentId: own.segmentId, asOf: own.asOf.toISOString(), memberCount: own.memberCount, added: own.added, removed: own.removed };
    },

    async readMatchRate(ref): Promise<MatchRate> {
      const { row } = await runRow(ref);
      if (!row.audienceId || !row.audienceName) throw new Error(`run ${ref.runId} has no audience to read a match rate from`);
      const sync = deps.workspace.syncs.find((s) => s.id === ref.syncId);
      const config = sync && deps.workspace.destinations.find((d) => d.id === sync.destination);
      if (!config) throw new UserInputError([{ path: 'syncs', message: `sync "${ref.syncId}" is no longer in the workspace` }]);
      const destination = await deps.destinations(config);
      return destination.readMatchRate({ id: row.audienceId, name: row.audienceName });
    },

    async recordMatchRate(ref, rate) {
      const { s } = await runRow(ref);
      // Platforms that only report a size leave match_rate empty rather than guessed.
      if (rate.matchRate !== undefined) await updateRun(s, ref.runId, { matchRate: rate.matchRate, updatedAt: clock() });
      deps.log?.('match_rate_recorded', { runId: ref.runId, syncId: ref.syncId, status: rate.status, matchRate: rate.matchRate, audienceSize: rate.audienceSize });
    },
  };
}

/** Destinations whose batch calls refuse to start once `signal` is aborted. */
function abortable(factory: DestinationFactory, signal: AbortSignal): DestinationFactory {
  return async (config) => {
    const d = await factory(config);
    const guard = (): void => {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('upload cancelled');
    };
    // Delegate member by member: connectors are classes with private fields, so their methods
    // must keep `d` as `this`.
    return {
      batchLimit: d.batchLimit,
      concurrency: d.concurrency,
      acceptedIdentifiers: d.acceptedIdentifiers,
      testConnection: () => d.testConnection(),
      createAudience: (input) => d.createAudience(input),
      addMembers: (audience, rows, ctx) => {
        guard();
        return d.addMembers(audience, rows, { ...ctx, signal });
      },
      removeMembers: (audience, rows, ctx) => {
        guard();
        return d.removeMembers(audience, rows, { ...ctx, signal });
      },
      readMatchRate: (audience) => d.readMatchRate(audience),
      ...(d.close ? { close: () => d.close!() } : {}),
    } satisfies Destination;
  };
}
