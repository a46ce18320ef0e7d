import { oneClickSync } from '../destinations/one-click';
import type { LoadedWorkspace } from '../config/load';
import type { DestinationConfig, Workspace } from '../config/schema';
import { generateAlias } from '../segments/alias';
import type { MatchRate } from '../destinations/contract';
import { destinationFactory, loadConnector } from '../destinations/registry';
import { orchestrateSyncRun } from '../sync/orchestrate';
import { createSyncSteps } from '../sync/steps';
import { openWarehouse } from '../warehouse';
import { GoogleAdsFake } from '../sandbox/google-ads';
import { MetaFake } from '../sandbox/meta';

/**
 * Sandbox ad platforms for `outflow demo`: the Google Ads and Meta contract fakes, started on
 * loopback (127.0.0.1, ephemeral ports) with fixed demo credentials, and destination configs
 * pointing at them through `apiBaseUrl`. They enforce the platforms' documented rules (auth,
 * batch limits, hash format, sessions and jobs) and keep each audience's hashed members, so the
 * demo's adds, removes and match rates are what those platforms would hold.
 *
 * @example
 * const sandbox = await startSandboxPlatforms();
 * workspace.destinations.push(...sandbox.destinations);
 * try { ... } finally { await sandbox.stop(); }
 */
export interface SandboxPlatforms {
  /** `google-ads-sandbox` (type google_ads) and `meta-sandbox` (type meta). */
  destinations: DestinationConfig[];
  stop(): Promise<void>;
}

/** Fixed, obviously fake credentials: the sandboxes accept nothing else. */
export const SANDBOX_CREDENTIALS = {
  googleAds: {
    customerId: '1234567890',
    developerToken: 'sandbox-developer-token',
    clientId: 'sandbox-client-id',
    clientSecret: 'sandbox-client-secret',
    refreshToken: 'sandbox-refresh-token',
  },
  meta: { adAccountId: '1234567890', accessToken: 'sandbox-access-token' },
} as const;

export async function startSandboxPlatforms(): Promise<SandboxPlatforms> {
  const google = new GoogleAdsFake(SANDBOX_CREDENTIALS.googleAds);
  const meta = new MetaFake(SANDBOX_CREDENTIALS.meta);
  await Promise.all([google.start(), meta.start()]);
  return {
    // The sandboxes take audiences of any size, so small demo and test segments sync there; real
    // platforms' documented minimums apply to real destinations (docs/destinations.md).
    destinations: [
      { id: 'google-ads-sandbox', type: 'google_ads', minAudienceSize: 0, settings: google.settings() },
      { id: 'meta-sandbox', type: 'meta', minAudienceSize: 0, settings: meta.settings() },
    ],
    stop: async () => {
      await Promise.all([google.stop(), meta.stop()]);
    },
  };
}

/** One line of the sandbox report: a segment's sync to one sandbox platform. */
export interface SandboxSyncReport {
  syncId: string;
  segment: string;
  destination: string;
  audienceName: string;
  status: string;
  added: number;
  removed: number;
  rejected: number;
  reason?: string;
  matchRate?: MatchRate;
}

/**
 * Syncs `segmentIds` to both sandbox platforms with one-click defaults and reads the match rates
 * back, printing one line per sync: what `outflow demo` shows after the segment sizes.
 *
 * Sync state goes to its own schema (`stateSchema`, dropped first), because the sandbox
 * platforms start empty on every demo run: a snapshot left by an earlier demo would make the diff
 * empty and the sandbox audiences would stay empty. Segments without an alias get a random one
 * (the only name that leaves Outflow).
 *
 * @example
 * await syncSegmentsToSandbox({ loaded: ctx.workspace, segmentIds: ['recent-buyers', 'win-back'], print: ctx.print, asOf: ctx.anchor.toISOString() });
 */
export async function syncSegmentsToSandbox(input: {
  loaded: LoadedWorkspace;
  segmentIds: readonly string[];
  print: (line: string) => void;
  asOf?: string;
  stateSchema?: string;
  /** Rounds of runs; a second round shows that an unchanged segment sends nothing. */
  rounds?: number;
}): Promise<SandboxSyncReport[]> {
  const stateSchema = input.stateSchema ?? 'outflow_sandbox';
  const sandbox = await startSandboxPlatforms();
  const warehouse = await openWarehouse(input.loaded.workspace.warehouse, input.loaded.dir);
  try {
    await warehouse.execute(`drop schema if exists ${warehouse.dialect.quoteIdentifier(stateSchema)} cascade`);
    let workspace: Workspace = { ...input.loaded.workspace, stateSchema, destinations: [...input.loaded.workspace.destinations, ...sandbox.destinations], syncs: [] };
    for (const segmentId of input.segmentIds) {
      const segment = workspace.segments.find((s) => s.id === segmentId);
      const audienceName = segment?.alias ?? generateAlias();
      for (const d of sandbox.destinations) {
        const sync = { ...(await oneClickSync(workspace, segmentId, d.id)), audienceName };
        workspace = { ...workspace, syncs: [...workspace.syncs, sync] };
      }
    }
    const steps = createSyncSteps({ warehouse, workspace, destinations: destinationFactory(workspace, input.loaded.dir) });
    const titles = await Promise.all(sandbox.destinations.map(async (d) => (await loadConnector(d.type))?.title ?? d.type));
    const hosts = sandbox.destinations.map((d, i) => `${titles[i]} ${String(d.settings.apiBaseUrl)}`).join(', ');
    input.print(`Sandbox ad platforms on loopback: ${hosts}`);
    const reports: SandboxSyncReport[] = [];
    for (let round = 1; round <= (input.rounds ?? 1); round++) {
      for (const sync of workspace.syncs) {
        const r = await orchestrateSyncRun(steps, { syncId: sync.id, asOf: input.asOf ?? new Date().toISOString() });
        const audienceName = sync.audienceName ?? '';
        const matchRate: MatchRate | undefined = r.status === 'synced' ? await steps.readMatchRate(r) : undefined;
        const report: SandboxSyncReport = {
          syncId: sync.id,
          segment: sync.segment,
          destination: sync.destination,
          audienceName,
          status: r.status,
          added: r.added,
          removed: r.removed,
          rejected: r.rejected,
          ...(r.reason !== undefined ? { reason: r.reason } : {}),
          ...(matchRate ? { matchRate } : {}),
        };
        reports.push(report);
        input.print(`  ${formatReport(report)}`);
      }
    }
    return reports;
  } finally {
    await warehouse.close();
    await sandbox.stop();
  }
}

function formatReport(r: SandboxSyncReport): string {
  const head = `${r.segment} -> ${r.destination} (audience "${r.audienceName}"): ${r.status}, added ${r.added}, removed ${r.removed}, rejected ${r.rejected}`;
  if (r.status !== 'synced') return `${head}${r.reason ? ` (${r.reason})` : ''}`;
  const m = r.matchRate;
  const rate = m?.matchRate !== undefined ? `match rate ${Math.round(m.matchRate * 100)}%` : 'match rate pending';
  const size = m?.audienceSize !== undefined ? `, size ${m.audienceSize}${m.audienceSizeUpper !== undefined ? `-${m.audienceSizeUpper}` : ''}` : '';
  return `${head}; ${rate}${size}`;
}
