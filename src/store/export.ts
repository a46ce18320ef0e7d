import { isSeq, parseDocument, type YAMLSeq } from 'yaml';
import type { DestinationConfig } from '../config/schema';
import { connectorFacts } from './connectors';
import { DEFINITION_KINDS, type Definitions, SECTION, type StoredObject } from './definitions';
import { hasEnvReference, isSealed, isSecretKey } from './secrets';

export interface ExportResult {
  /** The workspace file with the UI-managed objects added to their sections. */
  yaml: string;
  /** How many objects were added. */
  exported: number;
  /** Environment variables the exported secrets now read from (`${env:NAME}`); set them before applying. */
  secretVariables: string[];
}

/**
 * `outflow export`: the UI-managed objects written as workspace-file YAML, added to the current
 * workspace file (its comments and `${env:NAME}` references kept) so the result passes
 * `outflow validate` and can replace the file: once applied, those objects are managed in it.
 * Secrets never leave the store: each secret setting becomes a `${env:NAME}` reference whose
 * name is returned.
 *
 * @example
 * const { yaml, secretVariables } = await exportWorkspace(await store.definitions(), readFileSync('outflow.yaml', 'utf8'));
 * // secretVariables: ['OUTFLOW_META_UI_ACCESS_TOKEN']
 */
export async function exportWorkspace(defs: Definitions, fileText: string): Promise<ExportResult> {
  const doc = parseDocument(fileText);
  const secretVariables: string[] = [];
  let exported = 0;
  for (const kind of DEFINITION_KINDS) {
    const objects = defs[kind].filter((o) => o.managedBy === 'ui');
    if (objects.length === 0) continue;
    let seq = doc.get(SECTION[kind], true);
    if (!isSeq(seq)) {
      doc.set(SECTION[kind], doc.createNode([]));
      seq = doc.get(SECTION[kind], true);
    }
    const items = seq as YAMLSeq;
    for (const [i, o] of objects.entries()) {
      const body = kind === 'destination' ? await referenceSecrets(o as StoredObject<'destination'>, secretVariables) : o.body;
      const node = doc.createNode(body);
      if (i === 0) node.commentBefore = ' Exported from the store: created in the UI or API';
      items.add(node);
      exported++;
    }
  }
  const yaml = doc.toString({ lineWidth: 0 });
  return { yaml: yaml.endsWith('\n') ? yaml : `${yaml}\n`, exported, secretVariables };
}

/** A destination with each secret (sealed, or any value of a secret setting) replaced by a `${env:NAME}` reference. */
async function referenceSecrets(o: StoredObject<'destination'>, names: string[]): Promise<DestinationConfig> {
  const { secretKeys } = await connectorFacts(o.body.type);
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o.body.settings)) {
    if (hasEnvReference(value) || (!isSealed(value) && !isSecretKey(secretKeys, key))) {
      settings[key] = value;
      continue;
    }
    const name = envName(`outflow_${o.id}_${key}`);
    names.push(name);
    settings[key] = `\${env:${name}}`;
  }
  return { ...o.body, settings };
}

/** `outflow_meta-ui_accessToken` -> `OUTFLOW_META_UI_ACCESS_TOKEN`. */
function envName(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}
