/** A workflow that reads a file: the bundler must refuse it. */
import { readFileSync } from 'node:fs';

export async function readsAFileWorkflow(): Promise<string> {
  return readFileSync('/etc/hostname', 'utf8');
}
