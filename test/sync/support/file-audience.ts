import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FileExportLine } from '../../../connectors/file/writer';

/**
 * Replays a file destination's exports for one audience in order (runs by id, which sorts by
 * start time; removes before adds within a run, as runs send them) and returns the audience it
 * describes. `violations` lists removes of absent members and adds of present ones: what a
 * duplicated or misordered batch would cause.
 */
export function replayFileAudience(root: string, audience: string): { members: Map<string, string | undefined>; violations: string[] } {
  const dir = path.join(root, audience);
  const members = new Map<string, string | undefined>();
  const violations: string[] = [];
  if (!existsSync(dir)) return { members, violations };
  for (const run of readdirSync(dir).sort()) {
    const files = readdirSync(path.join(dir, run)).filter((f) => f.endsWith('.jsonl'));
    const ordered = [...files.filter((f) => f.startsWith('remove-')).sort(), ...files.filter((f) => f.startsWith('add-')).sort()];
    for (const file of ordered) {
      for (const line of readFileSync(path.join(dir, run, file), 'utf8').split('\n')) {
        if (!line) continue;
        const row = JSON.parse(line) as FileExportLine;
        if (row.op === 'remove') {
          if (!members.has(row.personId)) violations.push(`${run}/${file}: removes absent ${row.personId}`);
          members.delete(row.personId);
        } else {
          if (members.has(row.personId)) violations.push(`${run}/${file}: adds present ${row.personId}`);
          members.set(row.personId, row.identifiers.email);
        }
      }
    }
  }
  return { members, violations };
}
