import { UserInputError } from '../config/errors';
import type { Workspace } from '../config/schema';

/**
 * What a segment's status allows when someone asks for it by hand (`segments refresh`, `sync run`):
 * an archived segment is refused; a paused or draft one runs, with a note saying that scheduled runs
 * skip it. Scheduled runs take active segments only (`refreshDueSegments`).
 *
 * @example
 * const note = checkRunnableByHand(workspace, 'vips', 'refresh', file); // throws for an archived segment
 * if (note) process.stderr.write(`note: ${note}\n`);
 */
export function checkRunnableByHand(ws: Workspace, segmentId: string, action: 'refresh' | 'sync', file?: string): string | undefined {
  const index = ws.segments.findIndex((s) => s.id === segmentId);
  const status = ws.segments[index]?.status;
  const which = `segment "${segmentId}"`;
  if (status === 'archived')
    throw new UserInputError([
      {
        ...(file !== undefined ? { file } : {}),
        path: `segments[${index}].status`,
        message: `${which} is archived: archived segments are neither refreshed nor synced (set its status to active or paused to run it)`,
      },
    ]);
  if (status === 'paused' || status === 'draft') {
    const done = action === 'refresh' ? 'refreshed because you asked; scheduled refreshes skip it' : 'synced because you asked; scheduled runs skip it';
    return `${which} is ${status === 'draft' ? 'a draft' : 'paused'}: ${done}`;
  }
  return undefined;
}
