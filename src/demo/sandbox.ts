import { oneClickSync } from '../destinations/one-click';
import type { LoadedWorkspace } from '../config/load';
import { type DestinationConfig, syncSchema, type Workspace } from '../config/schema';
import { generateAlias } from '../segments/alias';
import type { MatchRate } from '../destinations/contract';
import { destinationFactory, knownConnectorTypes, loadConnector } from '../destinations/registry';
import { orchestrateSyncRun } from '../sync/orchestrate';
import { createSyncSteps } from '../sync/steps';
import { openWarehouse } from '../warehouse';
import { SANDBOX_PLATFORMS, type SandboxDestinationType } from '../sandbox';

/**
 * Sandbox ad platforms for `outflow demo`: the contract fakes (src/sandbox) of every platform
 * Outflow has a connector for (Google Ads, Meta, LinkedIn, Microsoft Advertising, TikTok,
 * Snapchat, ..., and a webhook receiver), started on loopback (127.0.0.1, ephemeral ports) with fixed demo credentials,
 * and destination configs pointing at them through `apiBaseUrl`. They enforce the platforms' documented rules (auth, versions, batch limits, hash
 * format, sessions and jobs) and keep each audience's hashed members, so the demo's adds, removes
 * and match rates are what those platforms would hold.
 *
 * @example
 * const sandbox = await startSandboxPlatforms();
 * workspace.destinations.push(...sandbox.destinations);
 * try { ... } finally { await sandbox.stop(); }
 */
export interface SandboxPlatforms {
  /** `<type>-sandbox` per platform (`google-ads-sandbox`, `meta-sandbox`, `linkedin-sandbox`, ...). */
  destinations: DestinationConfig[];
  stop(): Promise<void>;
}

/** Settings the sandboxes take on top of their own: the LinkedIn fake has no lag between creating a segment and taking users. */
const SANDBOX_EXTRA: Partial<Record<SandboxDestinationType, Record<string, unknown>>> = { linkedin: { segmentReadyDelayMs: 0 } };

/** The sandbox platforms this version of Outflow has a connector for (a fake may land before its connector). */
export function sandboxTypes(): SandboxDestinationType[] {
  const known = new Set<string>(knownConnectorTypes());
  return (Object.keys(SANDBOX_PLATFORMS) as SandboxDestinationType[]).filter((type) => known.has(type));
}

export async function startSandboxPlatforms(): Promise<SandboxPlatforms> {
  const types = sandboxTypes();
  const fakes = types.map((type) => [type, SANDBOX_PLATFORMS[type]()] as const);
  // The demo reads each audience back once, right after its upload: show it processed, as Google's and Meta's sandboxes do.
  for (const [, fake] of fakes) if ('readsUntilProcessed' in fake) fake.readsUntilProcessed = 0;
  await Promise.all(fakes.map(([, fake]) => fake.start()));
  return {
    // The sandboxes take audiences of any size, so small demo and test segments sync there; real
    // platforms' documented minimums apply to real destinations (docs/destinations.md).
    destinations: fakes.map(([type, fake]) => ({ id: `${type.replace('_', '-')}-sandbox`, type, minAudienceSize: 0, settings: fake.settings(SANDBOX_EXTRA[type]) })),
    stop: async () => {
      await Promise.all(fakes.map(([, fake]) => fake.stop()));
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
 * Syncs `segmentIds` to every sandbox platform with one-click defaults and reads the match rates
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
        // A classic sync (the webhook) is not a one-click toggle: the same defaults, with the destination's own mapping.
        const classic = (await loadConnector(d.type))?.records !== undefined;
        const made = classic ? syncSchema.parse({ id: `${segmentId}-${d.id}`, segment: segmentId, destination: d.id }) : await oneClickSync(workspace, segmentId, d.id);
        const sync = { ...made, audienceName };
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
  const rate = m?.matchRate !== undefined ? `match rate ${Math.round(m.matchRate * 100)}%` : m?.status === 'ready' ? 'no match rate reported' : 'match rate pending';
  const size = m?.audienceSize !== undefined ? `, size ${m.audienceSize}${m.audienceSizeUpper !== undefined ? `-${m.audienceSizeUpper}` : ''}` : '';
  const warnings = (m?.warnings ?? []).map((w) => `; warning: ${w}`).join('');
  return `${head}; ${rate}${size}${warnings}`;
}
