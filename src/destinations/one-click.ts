import { UserInputError } from '../config/errors';
import { DEFAULT_MAX_REMOVAL_SHARE, DEFAULT_SCHEDULE, type SyncConfig, syncSchema, type Workspace } from '../config/schema';
import { loadConnector } from './registry';

/**
 * The sync a one-click toggle creates (SPEC §4): mirror mode, the daily default schedule, the
 * audience named by the segment's alias, and identifiers = the kinds the platform accepts (in
 * its order of preference) that the segment's entity maps to a column.
 *
 * @example
 * const sync = await oneClickSync(workspace, 'recent-buyers', 'meta-main');
 * // { id: 'recent-buyers-meta-main', mode: 'mirror', schedule: '0 6 * * *', identifiers: ['email', 'phone'], ... }
 */
export async function oneClickSync(workspace: Workspace, segmentId: string, destinationId: string): Promise<SyncConfig> {
  const segment = workspace.segments.find((s) => s.id === segmentId);
  if (!segment) throw new UserInputError([{ path: 'segments', message: `unknown segment "${segmentId}"` }]);
  const destination = workspace.destinations.find((d) => d.id === destinationId);
  if (!destination) throw new UserInputError([{ path: 'destinations', message: `unknown destination "${destinationId}"` }]);
  const entity = workspace.entities.find((e) => e.id === segment.entity);
  if (!entity) throw new UserInputError([{ path: 'entities', message: `unknown entity "${segment.entity}"` }]);
  if (entity.kind !== 'person')
    throw new UserInputError([{ path: 'entities', message: `only person entities can feed one-click syncs; "${entity.id}" is a ${entity.kind} entity` }]);
  const connector = await loadConnector(destination.type);
  if (!connector) throw new UserInputError([{ path: 'destinations', message: `no connector for destination type "${destination.type}"` }]);
  const identifiers = connector.identifiers.filter((k) => entity.identifiers[k] !== undefined);
  if (identifiers.length === 0)
    throw new UserInputError([
      {
        path: 'entities',
        message: `entity "${entity.id}" maps none of the identifiers ${connector.title} accepts (${connector.identifiers.join(', ')})`,
      },
    ]);
  return syncSchema.parse({
    id: uniqueSyncId(workspace, `${segmentId}-${destinationId}`),
    segment: segmentId,
    destination: destinationId,
    mode: 'mirror',
    schedule: DEFAULT_SCHEDULE,
    identifiers,
    maxRemovalShare: DEFAULT_MAX_REMOVAL_SHARE,
  });
}

/** `base` cut to the id limit, with `-2`, `-3`... when a sync of that id exists. */
function uniqueSyncId(workspace: Workspace, base: string): string {
  const taken = new Set(workspace.syncs.map((s) => s.id));
  const cut = (s: string, room: number) => s.slice(0, 64 - room).replace(/[-_]+$/, '');
  let id = cut(base, 0);
  for (let n = 2; taken.has(id); n++) id = `${cut(base, String(n).length + 1)}-${n}`;
  return id;
}
