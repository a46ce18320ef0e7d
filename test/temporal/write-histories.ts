/** Writes the built histories of histories.ts to test/fixtures/histories/ (see docs/temporal.md). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HISTORIES } from './histories';

const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
for (const [name, build] of Object.entries(HISTORIES)) {
  writeFileSync(`${dir}${name}.json`, build().toJSON());
  console.log(`wrote ${dir}${name}.json`);
}
