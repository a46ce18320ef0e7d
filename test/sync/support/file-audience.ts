import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FileExportLine } from '../../../connectors/file/writer';

/**
 * Replays a file destination's exports for one audience in order (runs by id, which sorts by
 * start time; removes before adds within a run, as runs send them) and returns the audience it
 * describes, by person and as the set of keys a platform would hold. `violations` lists removes
 * of absent members or keys and adds of present ones: what a duplicated or misordered batch would cause.
 */
export function replayFileAudience(root: string, audience: string): { members: Map<string, string | undefined>; keys: Set<string>; violations: string[] } {
  const dir = path.join(root, audience);
  const members = new Map<string, string | undefined>();
  const keys = new Set<string>();
  const violations: string[] = [];
  if (!existsSync(dir)) return { members, keys, violations };
  for (const run of readdirSync(dir).sort()) {
    const files = readdirSync(path.join(dir, run)).filter((f) => f.endsWith('.jsonl'));
    const ordered = [...files.filter((f) => f.startsWith('remove-')).sort(), ...files.filter((f) => f.startsWith('add-')).sort()];
    for (const file of ordered) {
      for (const line of readFileSync(path.join(dir, run, file), 'utf8').split('\n')) {
        if (!line) continue;
        const row = JSON.parse(line) as FileExportLine;
        for (const [kind, key] of Object.entries(row.identifiers)) {
          const k = `${kind}:${key}`;
          if (row.op === 'remove' ? !keys.delete(k) : keys.has(k)) violations.push(`${run}/${file}: ${row.op}s ${row.op === 'remove' ? 'absent' : 'present'} key ${k}`);
          if (row.op === 'add') keys.add(k);
        }
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
  return { members, keys, violations };
}
