import path from 'node:path';
import { type Problem, UserInputError } from '../config/errors';
import { type LoadedWorkspace, unsetVariables, zodProblems } from '../config/load';
import type { DestinationConfig, DestinationType, Workspace } from '../config/schema';
import { type ConnectorDefinition, DEFAULT_AUDIENCE_NAME_RULE, type Destination, DestinationError, type RecordSpec } from './contract';

/**
 * The destination registry: which connectors exist, and how a workspace's destination config
 * becomes a Destination (settings checked against the connector's own schema, problems pointing
 * at `destinations[i].settings.<key>`). What a connector implements is the contract
 * (src/destinations/contract.ts).
 */

/**
 * Every destination type Outflow can sync to. Loaded lazily so a command that never talks to
 * a platform never loads its client. Add one line per connector.
 */
const CONNECTORS: Partial<Record<DestinationType, () => Promise<ConnectorDefinition>>> = {
  file: async () => (await import('../../connectors/file')).default as unknown as ConnectorDefinition,
  google_ads: async () => (await import('../../connectors/google-ads')).default as unknown as ConnectorDefinition,
  meta: async () => (await import('../../connectors/meta')).default as unknown as ConnectorDefinition,
  linkedin: async () => (await import('../../connectors/linkedin')).default as unknown as ConnectorDefinition,
  microsoft_ads: async () => (await import('../../connectors/microsoft-ads')).default as unknown as ConnectorDefinition,
  tiktok: async () => (await import('../../connectors/tiktok')).default as unknown as ConnectorDefinition,
  snapchat: async () => (await import('../../connectors/snapchat')).default as unknown as ConnectorDefinition,
  pinterest: async () => (await import('../../connectors/pinterest')).default as unknown as ConnectorDefinition,
  reddit: async () => (await import('../../connectors/reddit')).default as unknown as ConnectorDefinition,
  x: async () => (await import('../../connectors/x')).default as unknown as ConnectorDefinition,
  stackadapt: async () => (await import('../../connectors/stackadapt')).default as unknown as ConnectorDefinition,
  viant: async () => (await import('../../connectors/viant')).default as unknown as ConnectorDefinition,
  webhook: async () => (await import('../../connectors/webhook')).default as unknown as ConnectorDefinition,
};

export async function loadConnector(type: DestinationType): Promise<ConnectorDefinition | undefined> {
  const load = CONNECTORS[type];
  return load ? load() : undefined;
}

export function knownConnectorTypes(): DestinationType[] {
  return Object.keys(CONNECTORS) as DestinationType[];
}

/**
 * Loads the connector of `destinations[index]` and parses its settings with the connector's own
 * schema; problems point at `destinations[index].type` or `destinations[index].settings.<key>`.
 */
export async function connectorFor(
  dest: DestinationConfig,
  index: number,
): Promise<{ connector?: ConnectorDefinition; settings?: Record<string, unknown>; problems: Problem[] }> {
  const at = `destinations[${index}]`;
  const connector = await loadConnector(dest.type);
  if (!connector) return { problems: [{ path: `${at}.type`, message: `no connector for "${dest.type}" in this version of Outflow` }] };
  const unset = unsetVariables(dest.settings, `${at}.settings`);
  if (unset.length > 0) return { connector, problems: unset };
  const parsed = connector.settingsSchema.safeParse(dest.settings);
  if (!parsed.success)
    return {
      connector,
      problems: zodProblems(parsed.error).map((p) => ({
        path: `${at}.settings${p.path ? `.${p.path}` : ''}`.replace('.settings.[', '.settings['),
        message: p.message,
      })),
    };
  return { connector, settings: parsed.data, problems: [] };
}

/** Creates the Destination a workspace's destination config describes. */
export type DestinationFactory = (config: DestinationConfig) => Promise<Destination>;

/**
 * The default factory: loads the connector, validates its settings, creates one Destination per
 * destination id and reuses it (a connector keeps its HTTP agent and limits across runs).
 *
 * @example
 * const destinations = destinationFactory(workspace, loaded.dir);
 * const meta = await destinations(workspace.destinations[0]);
 */
export function destinationFactory(
  workspace: Workspace,
  baseDir: string,
  log?: (event: string, fields?: Record<string, unknown>) => void,
): DestinationFactory {
  const made = new Map<string, Promise<Destination>>();
  return (config) => {
    let d = made.get(config.id);
    if (!d) {
      d = create(workspace, config, baseDir, log);
      made.set(config.id, d);
    }
    return d;
  };
}

async function create(
  workspace: Workspace,
  config: DestinationConfig,
  baseDir: string,
  log?: (event: string, fields?: Record<string, unknown>) => void,
): Promise<Destination> {
  const checked = await connectorFor(config, workspace.destinations.findIndex((d) => d.id === config.id));
  const { connector, settings, problems } = checked;
  if (!connector || !settings) throw new UserInputError(problems);
  return checkingAudienceNames(connector, connector.create(settings, { baseDir, destinationId: config.id, ...(log ? { log } : {}) }));
}

/** Why `connector`'s platform would refuse `name` as an audience name, if it would. */
export function audienceNameProblem(connector: ConnectorDefinition, name: string): string | undefined {
  const rule = connector.audienceNames ?? DEFAULT_AUDIENCE_NAME_RULE;
  if (name.length > rule.maxLength)
    return `${connector.title} takes audience names of at most ${rule.maxLength} characters; "${name}" has ${name.length}`;
  if (rule.pattern && !rule.pattern.test.test(name)) return `${connector.title} takes audience names of ${rule.pattern.expected}; got "${name}"`;
  return undefined;
}

/**
 * The destination, refusing an audience name its platform would refuse before asking the platform
 * (a sync made in the UI is not checked by `outflow validate`). Everything else is the destination's own.
 */
function checkingAudienceNames(connector: ConnectorDefinition, destination: Destination): Destination {
  const createAudience: Destination['createAudience'] = async (input) => {
    const problem = audienceNameProblem(connector, input.name);
    if (problem) throw new DestinationError('invalid_payload', problem);
    return destination.createAudience(input);
  };
  return new Proxy(destination, {
    get(target, key) {
      if (key === 'createAudience') return createAudience;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A record destination as one sync's entity sees it: `destinations[destinationIndex]` fed from `entities[entityIndex]`. */
export interface RecordMapping {
  destinationIndex: number;
  entityIndex: number;
  spec: RecordSpec;
}

/** Field sources that are probably personal data: the entity's identifier columns, or names that say so. */
const PERSONAL_NAME = /e-?mail|phone|mobile|first_?name|last_?name|address|birth/i;

/**
 * Checks what the workspace schema alone cannot: each destination's settings against its
 * connector's own schema, each sync's identifiers against what the destination accepts and the
 * entity maps, and a record destination's fields against each sync's entity. Async because
 * connectors load lazily. Returns warnings (a record destination that receives unhashed
 * personal data); throws a UserInputError with every problem.
 */
export async function validateDestinations(loaded: LoadedWorkspace): Promise<{ warnings: Problem[] }> {
  const { workspace } = loaded;
  const file = path.relative(process.cwd(), loaded.file) || loaded.file;
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const accepted = new Map<string, readonly string[]>();
  const connectors = new Map<string, ConnectorDefinition>();

  for (const [i, dest] of workspace.destinations.entries()) {
    const checked = await connectorFor(dest, i);
    problems.push(...checked.problems.map((p) => ({ file, ...p })));
    if (checked.connector) {
      accepted.set(dest.id, checked.connector.identifiers);
      connectors.set(dest.id, checked.connector);
    }
  }

  for (const [i, sync] of workspace.syncs.entries()) {
    // The name the audience gets on the platform: the sync's audienceName, else the segment's alias
    // (a generated alias is three short words, within every platform's rule).
    const connector = connectors.get(sync.destination);
    const segmentIndex = workspace.segments.findIndex((s) => s.id === sync.segment);
    const name = sync.audienceName ?? workspace.segments[segmentIndex]?.alias;
    const nameProblem = connector && name !== undefined ? audienceNameProblem(connector, name) : undefined;
    if (nameProblem) problems.push({ file, path: sync.audienceName !== undefined ? `syncs[${i}].audienceName` : `segments[${segmentIndex}].alias`, message: nameProblem });
    const kinds = accepted.get(sync.destination);
    const segment = workspace.segments.find((s) => s.id === sync.segment);
    const entity = workspace.entities.find((e) => e.id === segment?.entity);
    if (connector?.records) {
      if (sync.identifiers)
        problems.push({ file, path: `syncs[${i}].identifiers`, message: `destination "${sync.destination}" sends the fields its settings map (settings.fields), not identifiers: leave identifiers out` });
      continue;
    }
    if (!kinds || !entity || !sync.identifiers) continue;
    sync.identifiers.forEach((kind, j) => {
      if (!kinds.includes(kind))
        problems.push({ file, path: `syncs[${i}].identifiers[${j}]`, message: `destination "${sync.destination}" does not accept ${kind} (it accepts ${kinds.join(', ')})` });
      else if (!entity.identifiers[kind])
        problems.push({ file, path: `syncs[${i}].identifiers[${j}]`, message: `entity "${entity.id}" maps no ${kind} column (entities[].identifiers.${kind})` });
    });
  }

  const seen = new Set<string>();
  for (const { destinationIndex, entityIndex, spec } of await recordMappings(workspace)) {
    const entity = workspace.entities[entityIndex]!;
    const dest = workspace.destinations[destinationIndex]!;
    for (const [field, source] of Object.entries(spec.fields)) {
      if (!('column' in source)) continue;
      const at = { file, path: `destinations[${destinationIndex}].settings.fields.${field}` };
      if (source.relation !== undefined && !entity.relations.some((r) => r.name === source.relation)) {
        const known = entity.relations.map((r) => r.name).join(', ') || 'none';
        problems.push({ ...at, message: `entity "${entity.id}" (synced here by a sync) has no relation "${source.relation}" (relations: ${known})` });
        continue;
      }
      const identifier = source.relation === undefined ? Object.entries(entity.identifiers).find(([, column]) => column === source.column)?.[0] : undefined;
      if ((identifier !== undefined || PERSONAL_NAME.test(source.column)) && !seen.has(at.path)) {
        seen.add(at.path);
        const what = identifier !== undefined ? `the ${identifier} identifier of entity "${entity.id}"` : `column "${source.column}"`;
        warnings.push({ ...at, message: `destination "${dest.id}" receives unhashed personal data: ${what} goes out as it is` });
      }
    }
  }
  if (problems.length > 0) throw new UserInputError(problems);
  return { warnings };
}

/**
 * The record destinations of the workspace's syncs, one per (destination, entity a sync feeds it
 * from); destinations whose settings do not parse are left out (validate reports them).
 */
export async function recordMappings(workspace: Workspace): Promise<RecordMapping[]> {
  const out: RecordMapping[] = [];
  const pairs = new Set<string>();
  for (const sync of workspace.syncs) {
    const destinationIndex = workspace.destinations.findIndex((d) => d.id === sync.destination);
    const segment = workspace.segments.find((s) => s.id === sync.segment);
    const entityIndex = workspace.entities.findIndex((e) => e.id === segment?.entity);
    if (destinationIndex < 0 || entityIndex < 0 || pairs.has(`${destinationIndex}/${entityIndex}`)) continue;
    pairs.add(`${destinationIndex}/${entityIndex}`);
    const { connector, settings } = await connectorFor(workspace.destinations[destinationIndex]!, destinationIndex);
    if (connector?.records && settings) out.push({ destinationIndex, entityIndex, spec: connector.records(settings) });
  }
  return out;
}
