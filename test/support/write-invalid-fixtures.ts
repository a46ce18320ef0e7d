/** Writes the invalid workspace files of invalid-workspaces.ts to test/fixtures/invalid/. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invalidWorkspaceFiles } from './invalid-workspaces';

const dir = fileURLToPath(new URL('../fixtures/invalid/', import.meta.url));
for (const [name, text] of invalidWorkspaceFiles()) {
  writeFileSync(`${dir}${name}`, text);
  console.log(`wrote ${dir}${name}`);
}
