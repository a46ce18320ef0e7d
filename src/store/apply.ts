import type { Knex } from 'knex';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserInputError } from '../config/errors';
import type { LoadedWorkspace } from '../config/load';
import type { DestinationConfig, DestinationType, SegmentConfig, Workspace } from '../config/schema';
import { settleSplits } from '../segments/splits';
import { type Actor, definitionDiff, type NewAuditEntry, writeAudit } from './audit';
import { bodiesOf, checkDefinitions, describeProblem } from './check';
import { connectorFactsByType } from './connectors';
import {
  canonicalJson,
  DEFINITION_KINDS,
  type DefinitionBodies,
  type DefinitionKind,
  type Definitions,
  nowIso,
  readDefinitionsIn,
  type StoredObject,
  TABLE,
} from './definitions';
import { ConflictError } from './errors';
import { definitionsFingerprint } from './fingerprint';
import { objectRow } from './repository';
import { PREVIEW_SEALER, type Sealer, sealSettings } from './secrets';
import { META } from './reader';
import type { Store } from './store';

/** What apply does to one object. `keep`: file-managed, gone from the file, kept because `--prune` was not given. */
export type PlanAction = 'create' | 'update' | 'unchanged' | 'delete' | 'keep';

/**
 * One line of the plan.
 *
 * @example
 * { action: 'update', kind: 'sync', id: 'buyers-meta', changes: ['schedule'] }
 */
export interface PlanLine {
  action: PlanAction;
  kind: DefinitionKind;
  id: string;
  /** Top-level keys that change; `position` when it moved in the file; `managedBy` when the file takes over a UI object. */
  changes: string[];
}

export interface ApplyResult {
  /** File objects in file order, then those only in the store. */
  lines: PlanLine[];
  counts: Record<PlanAction, number>;
  /** UI-managed objects apply left alone. */
  uiManaged: number;
  /** Whether anything was written (false for a dry run and for a file already applied). */
  wrote: boolean;
}

export interface ApplyOptions {
  actor: Actor;
  dryRun?: boolean;
  /** Delete file-managed objects that are no longer in the file. */
  prune?: boolean;
}

/** The file's objects, each kind in file order; destination settings as written in the file. */
type Desired = { [K in DefinitionKind]: DefinitionBodies[K][] };

function desiredOf(loaded: LoadedWorkspace, text: string): Desired {
  const raw = (loaded.source ?? parseYaml(text)) as { destinations?: { id?: unknown; settings?: Record<string, unknown> }[] } | null;
  const rawSettings = new Map((raw?.destinations ?? []).map((d) => [d.id, d.settings ?? {}]));
  const ws = loaded.workspace;
  return {
    entity: ws.entities,
    segment: ws.segments,
    destination: ws.destinations.map((d) => {
      const settings = rawSettings.get(d.id);
      if (!settings) throw new Error(`${loaded.file} changed while it was read; run the command again`);
      return { ...d, settings };
    }),
    sync: ws.syncs,
  };
}

/**
 * `outflow apply`: stores the workspace file's definitions, in one transaction. Objects the file
 * has are created or updated (a UI-managed object of the same id becomes file-managed); objects
 * only in the store are left alone unless `prune` deletes the file-managed ones. The store as it
 * would be afterwards is checked like a workspace file (a UI segment must not lose its entity).
 * Applying an unchanged file writes nothing.
 *
 * @example
 * const result = await applyWorkspace(store, loaded, text, { actor: { name: 'apply', origin: 'OS user alice' } });
 * process.stdout.write(formatPlan(result, { dryRun: false }));
 */
export async function applyWorkspace(store: Store, loaded: LoadedWorkspace, text: string, options: ApplyOptions): Promise<ApplyResult> {
  const desired = desiredOf(loaded, text);
  const fingerprint = definitionsFingerprint(text, loaded.workspace);
  const facts = await connectorFactsByType(desired.destination.map((d) => d.type));
  const file = path.basename(loaded.file);
  const shown = path.relative(process.cwd(), loaded.file) || loaded.file;
  const planWith = (defs: Definitions, seal: Sealer) => plan(defs, desired, { prune: options.prune ?? false, seal, store, facts });

  const preview = planWith(await store.definitions(), PREVIEW_SEALER);
  const changing = preview.lines.some((l) => l.action !== 'unchanged' && l.action !== 'keep');
  if (options.dryRun || (!changing && (await store.meta(META.fingerprint)) === fingerprint)) return { ...summary(preview), wrote: false };

  const knex = await store.knex();
  const result = await knex.transaction(async (trx) => {
    // A write first: a second process applying at the same time waits here, then sees this one's result.
    await setMeta(trx, META.applyLock, nowIso());
    const defs = await readDefinitionsIn(trx);
    const planned = planWith(defs, (value, context) => store.keyring.seal(value, context));
    checkAfter(planned, loaded.workspace.limits, shown);
    await execute(trx, planned, options.actor);
    await setMeta(trx, META.fingerprint, fingerprint);
    await setMeta(trx, META.appliedFile, file);
    return planned;
  });
  return { ...summary(result), wrote: true };
}

interface Planned {
  lines: PlanLine[];
  /** The store's objects after the plan, by kind, in display order. */
  after: Definitions;
  /** Before and after of each changed object, for the writes and the audit log. */
  steps: { line: PlanLine; before: StoredObject | undefined; after: StoredObject | undefined }[];
  uiManaged: number;
}

function plan(
  defs: Definitions,
  desired: Desired,
  opts: { prune: boolean; seal: Sealer; store: Store; facts: Awaited<ReturnType<typeof connectorFactsByType>> },
): Planned {
  const lines: PlanLine[] = [];
  const steps: Planned['steps'] = [];
  const after = {} as Definitions;
  let uiManaged = 0;
  const now = nowIso();
  for (const kind of DEFINITION_KINDS) {
    const current = new Map<string, StoredObject>(defs[kind].map((o) => [o.id, o]));
    const wanted = new Set<string>();
    const result: StoredObject[] = [];
    desired[kind].forEach((body, position) => {
      wanted.add(body.id);
      const cur = current.get(body.id);
      const stored =
        kind === 'destination'
          ? sealDestination(body as DestinationConfig, cur?.body as DestinationConfig | undefined, opts)
          : kind === 'segment'
            ? settleSplits(body as SegmentConfig, cur?.body as SegmentConfig | undefined)
            : body;
      if (!cur) {
        const created: StoredObject = { kind, id: body.id, body: stored, managedBy: 'file', version: 1, position, createdAt: now, updatedAt: now };
        const line: PlanLine = { action: 'create', kind, id: body.id, changes: [] };
        lines.push(line);
        steps.push({ line, before: undefined, after: created });
        result.push(created);
        return;
      }
      const changes = changedKeys(cur.body, stored);
      if (cur.managedBy !== 'file') changes.push('managedBy');
      else if (cur.position !== position) changes.push('position');
      if (changes.length === 0) {
        lines.push({ action: 'unchanged', kind, id: body.id, changes });
        result.push(cur);
        return;
      }
      const updated: StoredObject = { ...cur, body: stored, managedBy: 'file', position, version: cur.version + 1, updatedAt: now };
      const line: PlanLine = { action: 'update', kind, id: body.id, changes };
      lines.push(line);
      steps.push({ line, before: cur, after: updated });
      result.push(updated);
    });
    for (const cur of defs[kind]) {
      if (wanted.has(cur.id)) continue;
      if (cur.managedBy === 'ui') {
        uiManaged++;
        result.push(cur);
      } else if (opts.prune) {
        const line: PlanLine = { action: 'delete', kind, id: cur.id, changes: [] };
        lines.push(line);
        steps.push({ line, before: cur, after: undefined });
      } else {
        lines.push({ action: 'keep', kind, id: cur.id, changes: [] });
        result.push(cur);
      }
    }
    (after as Record<DefinitionKind, StoredObject[]>)[kind] = result;
  }
  return { lines, after, steps, uiManaged };
}

function sealDestination(
  body: DestinationConfig,
  previous: DestinationConfig | undefined,
  opts: { seal: Sealer; store: Store; facts: Awaited<ReturnType<typeof connectorFactsByType>> },
): DestinationConfig {
  const facts = opts.facts.get(body.type as DestinationType);
  const settings = sealSettings({
    destinationId: body.id,
    settings: body.settings,
    secretKeys: facts?.secretKeys ?? 'all',
    keyring: opts.store.keyring,
    seal: opts.seal,
    // A type change starts afresh: sealed values are bound to what they were sealed for.
    previous: previous?.type === body.type ? previous.settings : undefined,
  });
  return { ...body, settings };
}

function changedKeys(before: object, after: object): string[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => canonicalJson(b[k]) !== canonicalJson(a[k]));
}

/**
 * The store after the plan must hold together: objects left in it (the UI's, or file objects
 * gone from the file and kept) must not lose what they reference. The file alone was checked
 * when it was loaded, so this only runs when the store holds more than the file.
 */
function checkAfter(planned: Planned, limits: Workspace['limits'], file: string): void {
  const kept = new Set(planned.lines.filter((l) => l.action === 'keep').map((l) => `${l.kind}/${l.id}`));
  const deletes = planned.lines.some((l) => l.action === 'delete');
  if (planned.uiManaged === 0 && kept.size === 0 && !deletes) return;
  const problems = checkDefinitions(bodiesOf((k) => planned.after[k].map((o) => o.body)), limits);
  if (problems.length === 0) return;
  const ui = new Set(DEFINITION_KINDS.flatMap((k) => planned.after[k].filter((o) => o.managedBy === 'ui').map((o) => `${k}/${o.id}`)));
  const whose = (key: string) => (ui.has(key) ? ' (managed in the UI)' : kept.has(key) ? ' (no longer in the file, kept in the store)' : '');
  throw new UserInputError(
    problems.map((p) => ({ file, path: '', message: `applying it would break ${describeProblem(p)}${whose(`${p.kind}/${p.id}`)}` })),
  );
}

async function execute(trx: Knex.Transaction, planned: Planned, actor: Actor): Promise<void> {
  const audit: NewAuditEntry[] = [];
  const facts = await connectorFactsByType(
    planned.steps.flatMap((s) => [s.before, s.after]).filter((o) => o?.kind === 'destination').map((o) => (o!.body as DestinationConfig).type),
  );
  const secretKeysOf = (o: StoredObject | undefined) => (o?.kind === 'destination' ? (facts.get((o.body as DestinationConfig).type)?.secretKeys ?? 'all') : []);
  for (const kind of DEFINITION_KINDS) {
    const steps = planned.steps.filter((s) => s.line.kind === kind);
    const inserts = steps.filter((s) => s.line.action === 'create').map((s) => objectRow(s.after!));
    // Bounded batches: SQLite allows at most 32,766 bound values per statement.
    for (let i = 0; i < inserts.length; i += 500) await trx(TABLE[kind]).insert(inserts.slice(i, i + 500));
    for (const s of steps) {
      if (s.line.action === 'update') {
        const n = await trx(TABLE[kind]).where({ id: s.before!.id, version: s.before!.version }).update(objectRow(s.after!));
        if (n !== 1) throw new ConflictError(`${kind} "${s.line.id}" changed while the file was applied; run apply again`);
      } else if (s.line.action === 'delete') {
        await trx(TABLE[kind]).where({ id: s.before!.id }).delete();
      }
      const only = s.line.changes.length > 0 && s.line.changes.every((c) => c === 'position' || c === 'managedBy');
      const diff = definitionDiff(kind, s.before?.body ?? null, s.after?.body ?? null, secretKeysOf(s.after ?? s.before));
      if (only) {
        diff.before = { ...diff.before, managedBy: s.before!.managedBy, position: s.before!.position };
        diff.after = { ...diff.after, managedBy: s.after!.managedBy, position: s.after!.position };
      }
      audit.push({ action: s.line.action === 'create' ? 'create' : s.line.action === 'delete' ? 'delete' : 'update', objectType: kind, objectId: s.line.id, diff });
    }
  }
  await writeAudit(trx, actor, audit);
}

async function setMeta(trx: Knex.Transaction, key: string, value: string): Promise<void> {
  await trx('store_meta').insert({ key, value }).onConflict('key').merge();
}

function summary(planned: Pick<Planned, 'lines' | 'uiManaged'>): Omit<ApplyResult, 'wrote'> {
  const counts: Record<PlanAction, number> = { create: 0, update: 0, unchanged: 0, delete: 0, keep: 0 };
  for (const l of planned.lines) counts[l.action]++;
  return { lines: planned.lines, counts, uiManaged: planned.uiManaged };
}

const SIGN: Record<PlanAction, string> = { create: '+ created  ', update: '~ updated  ', unchanged: '= unchanged', delete: '- deleted  ', keep: '= unchanged' };

/**
 * The plan as `outflow apply` prints it: one line per object, then a summary.
 *
 * @example
 * + created   segment recent-buyers
 * ~ updated   sync buyers-meta (schedule)
 * = unchanged entity person
 * - deleted   destination old-meta
 * apply: 1 created, 1 updated, 1 unchanged, 1 deleted
 */
export function formatPlan(result: ApplyResult, opts: { dryRun: boolean; file: string }): string {
  const out = result.lines.map((l) => {
    const note =
      l.action === 'keep'
        ? ` (no longer in ${opts.file}; --prune deletes it)`
        : l.changes.length > 0
          ? ` (${l.changes.map((c) => (c === 'managedBy' ? `now managed in ${opts.file}` : c === 'position' ? 'moved' : c)).join(', ')})`
          : '';
    return `${SIGN[l.action]} ${l.kind} ${l.id}${note}`;
  });
  const c = result.counts;
  const tally = `${c.create} created, ${c.update} updated, ${c.unchanged + c.keep} unchanged, ${c.delete} deleted`;
  const ui = result.uiManaged > 0 ? `; ${result.uiManaged} managed in the UI left as they are` : '';
  out.push(opts.dryRun ? `dry run: would apply ${tally}${ui}; nothing was written` : `apply: ${tally}${ui}`);
  return `${out.join('\n')}\n`;
}
