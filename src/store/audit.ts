import type { Knex } from 'knex';
import { canonicalJson, type DefinitionKind, nowIso } from './definitions';
import { isSealed, isSecretKey, maskSettings, type SecretKeys } from './secrets';

/**
 * Who made a change: a token's name (API), `apply` (the workspace file, explicitly or because a
 * command was given a changed file) or `cli` (`outflow tokens ...`). `origin` says from where,
 * e.g. `outflow apply, OS user alice` or `api 127.0.0.1`.
 *
 * @example
 * const actor: Actor = { name: 'marketing-bot', origin: 'api 10.0.0.7' };
 */
export interface Actor {
  name: string;
  origin?: string;
}

export type AuditObjectType = DefinitionKind | 'token';
/** Changes to objects, and what the API does to a sync besides: run it now, confirm a run's removals. */
export type AuditAction = 'create' | 'update' | 'delete' | 'run' | 'confirm';

/** The changed part of an object: only keys that differ, at every depth; null for a side that does not exist. */
export interface AuditDiff {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/**
 * One line of the audit log (`GET /audit`).
 *
 * @example
 * { id: 12, at: '2026-01-31T06:00:00.000Z', actor: 'apply', origin: 'outflow apply, OS user alice',
 *   action: 'update', objectType: 'sync', objectId: 'buyers-meta',
 *   diff: { before: { schedule: '0 6 * * *' }, after: { schedule: '0 7 * * *' } } }
 */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  origin: string | null;
  action: AuditAction;
  objectType: AuditObjectType;
  objectId: string;
  diff: AuditDiff;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at' | 'actor' | 'origin'>;

interface AuditRow {
  id: number | string;
  at: string;
  actor: string;
  origin: string | null;
  action: string;
  object_type: string;
  object_id: string;
  diff: string;
}

/** Writes entries inside the caller's transaction, all stamped with one time. */
export async function writeAudit(db: Knex | Knex.Transaction, actor: Actor, entries: readonly NewAuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const at = nowIso();
  const rows = entries.map((e) => ({
    at,
    actor: actor.name,
    origin: actor.origin ?? null,
    action: e.action,
    object_type: e.objectType,
    object_id: e.objectId,
    diff: JSON.stringify(e.diff),
  }));
  // Bounded batches: SQLite allows at most 32,766 bound values per statement.
  for (let i = 0; i < rows.length; i += 500) await db('audit_log').insert(rows.slice(i, i + 500));
}

/**
 * Reads the audit log, newest first.
 *
 * @example
 * await store.audit.list({ limit: 50 });                 // the latest 50
 * await store.audit.list({ limit: 50, before: 1234 });   // the 50 before entry 1234
 */
export class AuditLog {
  readonly #knex: () => Promise<Knex>;

  constructor(knex: () => Promise<Knex>) {
    this.#knex = knex;
  }

  /**
   * Records entries for changes that are not definition writes (those record themselves), e.g. a
   * run started or removals confirmed through the API.
   *
   * @example
   * await store.audit.record({ name: 'marketing-bot' }, [{ action: 'update', objectType: 'sync', objectId: 'buyers-meta', diff: { before: { enabled: false }, after: { enabled: true } } }]);
   */
  async record(actor: Actor, entries: readonly NewAuditEntry[]): Promise<void> {
    await writeAudit(await this.#knex(), actor, entries);
  }

  async list(opts: { limit?: number; before?: number; objectType?: AuditObjectType; objectId?: string } = {}): Promise<AuditEntry[]> {
    const knex = await this.#knex();
    let q = knex<AuditRow>('audit_log').select('*').orderBy('id', 'desc').limit(Math.min(Math.max(opts.limit ?? 50, 1), 1000));
    if (opts.before !== undefined) q = q.where('id', '<', opts.before);
    if (opts.objectType !== undefined) q = q.where('object_type', opts.objectType);
    if (opts.objectId !== undefined) q = q.where('object_id', opts.objectId);
    return (await q).map((r) => ({
      id: Number(r.id),
      at: r.at,
      actor: r.actor,
      origin: r.origin,
      action: r.action as AuditAction,
      objectType: r.object_type as AuditObjectType,
      objectId: r.object_id,
      diff: JSON.parse(r.diff) as AuditDiff,
    }));
  }
}

/**
 * The audit diff of a definition: secrets redacted to `{"set": true}` (a changed secret shows as a
 * changed key with both sides redacted), a static segment's members summarised as counts (they are
 * person keys), everything else as written.
 */
export function definitionDiff(
  kind: DefinitionKind,
  before: object | null,
  after: object | null,
  secretKeys: SecretKeys = [],
): AuditDiff {
  const b = before === null ? null : redact(kind, before, secretKeys);
  const a = after === null ? null : redact(kind, after, secretKeys);
  if (b === null || a === null) return { before: b, after: a };
  const { members: _b, ...bRest } = b;
  const { members: _a, ...aRest } = a;
  const changed = changedPart(bRest, aRest);
  if (kind === 'segment') memberChange(before as { members?: string[] }, after as { members?: string[] }, changed);
  // Secrets are redacted to the same text on both sides: compare their sealed forms instead.
  if (kind === 'destination')
    markChangedSecrets(before as { settings?: Record<string, unknown> }, after as { settings?: Record<string, unknown> }, changed, secretKeys);
  return changed;
}

function redact(kind: DefinitionKind, body: object, secretKeys: SecretKeys): Record<string, unknown> {
  const out = { ...(body as Record<string, unknown>) };
  if (kind === 'destination' && out.settings && typeof out.settings === 'object')
    out.settings = maskSettings(out.settings as Record<string, unknown>, secretKeys);
  if (kind === 'segment' && Array.isArray(out.members)) out.members = { count: out.members.length };
  return out;
}

/** A static segment's member change as counts: person keys stay out of the audit log. */
function memberChange(before: { members?: string[] }, after: { members?: string[] }, diff: AuditDiff): void {
  if (canonicalJson(before.members) === canonicalJson(after.members)) return;
  const old = new Set(before.members ?? []);
  const now = new Set(after.members ?? []);
  diff.before = { ...diff.before, members: before.members ? { count: before.members.length } : null };
  diff.after = {
    ...diff.after,
    members: after.members
      ? { count: after.members.length, added: [...now].filter((m) => !old.has(m)).length, removed: [...old].filter((m) => !now.has(m)).length }
      : null,
  };
}

function markChangedSecrets(
  before: { settings?: Record<string, unknown> },
  after: { settings?: Record<string, unknown> },
  diff: AuditDiff,
  secretKeys: SecretKeys,
): void {
  const bs = before.settings ?? {};
  const as = after.settings ?? {};
  for (const key of new Set([...Object.keys(bs), ...Object.keys(as)])) {
    if (!isSealed(bs[key]) && !isSealed(as[key]) && !isSecretKey(secretKeys, key)) continue;
    if (canonicalJson(bs[key]) === canonicalJson(as[key])) continue;
    const side = (d: Record<string, unknown> | null, v: unknown) => {
      const settings = ((d ??= {}).settings ??= {}) as Record<string, unknown>;
      settings[key] = v === undefined ? null : { set: true };
      return d;
    };
    diff.before = side(diff.before, bs[key]);
    diff.after = side(diff.after, as[key]);
  }
}

/** The keys whose values differ, recursing into plain objects; arrays and scalars compare whole. */
function changedPart(before: Record<string, unknown>, after: Record<string, unknown>): AuditDiff {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const x = before[key];
    const y = after[key];
    if (canonicalJson(x) === canonicalJson(y)) continue;
    if (isPlainObject(x) && isPlainObject(y)) {
      const inner = changedPart(x, y);
      b[key] = inner.before;
      a[key] = inner.after;
    } else {
      b[key] = x === undefined ? null : x;
      a[key] = y === undefined ? null : y;
    }
  }
  return { before: b, after: a };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
