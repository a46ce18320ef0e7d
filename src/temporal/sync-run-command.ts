import type { LoadedWorkspace } from '../config/load';
import { UserInputError } from '../config/errors';
import { SYNC_EXIT_CODES, type SyncRunResult } from '../sync/orchestrate';
import type { UploadCursor } from '../activities/heartbeat';
import type { SyncRunStatus } from '../../workflows';
import { connectClient, temporalConfigFromEnv } from './connection';
import { followSyncRun, startSyncRun } from './start-sync-run';
import { countsLine } from '../sync/run-report';

export interface ViaTemporalOptions {
  asOf: Date;
  dryRun?: boolean;
  confirmRemovals?: boolean;
  /** Re-send the whole audience (`--full`). */
  full?: boolean;
  /** Print step changes on stderr (terminals only; quiet when piped). */
  progress: boolean;
}

/**
 * `outflow sync run <id> --via temporal`: starts the run on the Temporal cluster (a worker does
 * the work), follows it through its status query and prints the outcome. Ctrl-C asks the run to
 * stop cleanly. Returns the process exit code.
 */
export async function syncRunViaTemporal(loaded: LoadedWorkspace, syncId: string, opts: ViaTemporalOptions): Promise<number> {
  if (!loaded.workspace.syncs.some((s) => s.id === syncId)) {
    const known = loaded.workspace.syncs.map((s) => s.id).join(', ') || 'none defined';
    throw new UserInputError([{ file: loaded.file, path: 'syncs', message: `no sync "${syncId}" (known: ${known})` }]);
  }
  const config = temporalConfigFromEnv();
  const { client, close } = await connectClient(config);
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    const started = Date.now();
    const handle = await startSyncRun(client, config.taskQueue, {
      syncId,
      asOf: opts.asOf.toISOString(),
      dryRun: opts.dryRun ?? false,
      confirmRemovals: opts.confirmRemovals ?? false,
      ...(opts.full ? { full: true } : {}),
    });
    if (opts.progress) process.stderr.write(`started workflow ${handle.workflowId} on task queue ${config.taskQueue}\n`);
    const result = await followSyncRun(handle, {
      signal: interrupt.signal,
      ...(opts.progress
        ? {
            onStatus: (s: SyncRunStatus) => process.stderr.write(statusLine(s)),
            onUpload: (c: UploadCursor) => process.stderr.write(`    ${c.kind === 'add' ? 'added' : 'removed'} ${c.done} of ${c.total} rows\n`),
          }
        : {}),
    });
    for (const n of result.notes ?? []) process.stderr.write(`note: ${n}\n`);
    process.stdout.write(resultLines(result, handle.workflowId, Date.now() - started));
    return SYNC_EXIT_CODES[result.status];
  } finally {
    process.off('SIGINT', onSigint);
    await close();
  }
}

function statusLine(s: SyncRunStatus): string {
  if (s.cancelRequested !== undefined && s.phase !== 'finished') return `  stopping: ${s.cancelRequested}\n`;
  if (s.phase === 'finished') return '';
  const last = s.uploads.at(-1);
  const uploaded = last ? ` (last upload: ${last.kind} ${last.sent} rows in ${last.batches} batches)` : '';
  return `  ${s.step ?? s.phase}${uploaded}\n`;
}

function resultLines(r: SyncRunResult, workflowId: string, ms: number): string {
  const lines = [`sync ${r.syncId}: ${r.status === 'dry_run' ? 'dry run' : r.status.replace('_', ' ')} (run ${r.runId}, as of ${r.asOf}, workflow ${workflowId})`];
  lines.push(`  ${countsLine(r)}${r.status === 'dry_run' ? '' : `, ${(ms / 1000).toFixed(1)}s`}`);
  if (r.status === 'needs_confirmation') lines.push(`  stopped: ${r.reason ?? ''}`);
  if (r.status === 'failed') lines.push(`  failed: ${r.reason ?? ''}`);
  return `${lines.join('\n')}\n`;
}
