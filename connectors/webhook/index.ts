import { z } from 'zod';
import {
  type AudienceRef,
  type BatchContext,
  buildRecord,
  columnFields,
  type ConnectorDefinition,
  type ConnectorDeps,
  decodeRecordValues,
  type Destination,
  type FieldSource,
  type IdentifierKind,
  type MatchRate,
  type MemberRow,
  type PreparedRow,
  type RecordSpec,
  type RowResult,
} from '../../src/destinations/contract';
import { checkConnection } from '../shared/connection';
import { destinationLabel } from '../shared/http';
import { WebhookApi } from './api';

/**
 * The `webhook` destination (a classic sync): each member goes to an HTTP endpoint as a record of
 * the fields the user maps (entity columns, relation columns, constants), in signed JSON batches.
 * The request and response format, the signature and the modes are in docs/destinations.md
 * ("Webhook"). Values leave as the warehouse holds them: nothing is hashed, so personal data goes
 * out only when a field maps it (and `outflow validate` then warns).
 *
 * @example
 * destinations:
 *   - id: crm-hook
 *     type: webhook
 *     settings:
 *       url: https://hooks.example.com/outflow
 *       signingSecret: ${env:HOOK_SECRET}
 *       mode: upsert
 *       fields: { plan: plan, industry: company.industry, source: { value: outflow } }
 */

/** A field name in the record: letters, digits, `_`, `-`, `.`, starting with a letter or `_`. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
/** `column` or `relation.column`. */
const COLUMN_REF = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

const fieldSchema = z.union(
  [
    z.string().regex(COLUMN_REF, 'a column ("plan") or a relation column ("company.industry")'),
    z.strictObject({ value: z.union([z.string(), z.number(), z.boolean(), z.null()]) }),
  ],
  { error: 'a column ("plan"), a relation column ("company.industry") or a constant ({ value: ... })' },
);

export const webhookSettingsSchema = z.strictObject({
  /** The endpoint every batch is POSTed to. */
  url: z.url({ protocol: /^https?$/ }),
  /** Keys the HMAC-SHA256 signature of every request. */
  signingSecret: z.string().min(16, 'at least 16 characters'),
  /** Record field name -> source. */
  fields: z
    .record(z.string().regex(FIELD_NAME, 'a field name of letters, digits, "_", "-" and "." (at most 64)'), fieldSchema)
    .refine((f) => Object.keys(f).length > 0, 'map at least one field'),
  mode: z.enum(['mirror', 'add_only', 'upsert']),
  /** Records per request (and per idempotency key). */
  batchSize: z.number().int().min(1).max(10_000).default(500),
  /** Requests in flight at once. */
  concurrency: z.number().int().min(1).max(16).default(2),
  requestTimeoutMs: z.number().int().min(1).default(30_000),
  /** Sends to this base instead of `url` (a proxy or test endpoint); `url`'s path is kept. */
  apiBaseUrl: z.url().optional(),
});
export type WebhookSettings = z.infer<typeof webhookSettingsSchema>;

/** A mapping entry as a field source: `relation.column`, `column`, or a constant. */
export function fieldSource(entry: WebhookSettings['fields'][string]): FieldSource {
  if (typeof entry !== 'string') return { value: entry.value };
  const dot = entry.indexOf('.');
  return dot < 0 ? { column: entry } : { relation: entry.slice(0, dot), column: entry.slice(dot + 1) };
}

/** The record spec of webhook settings. */
export function recordSpec(settings: Pick<WebhookSettings, 'fields' | 'mode'>): RecordSpec {
  return { fields: Object.fromEntries(Object.entries(settings.fields).map(([name, entry]) => [name, fieldSource(entry)])), mode: settings.mode };
}

/** The one identifier column a record travels in (src/sync/steps.ts). */
const ACCEPTED: readonly IdentifierKind[] = ['externalId'];

export class WebhookDestination implements Destination {
  readonly batchLimit: number;
  readonly concurrency: number;
  readonly acceptedIdentifiers = ACCEPTED;
  readonly records: RecordSpec;
  readonly #api: WebhookApi;
  readonly #label: string;
  readonly #columns: number;

  constructor(settings: WebhookSettings, deps: ConnectorDeps) {
    this.records = recordSpec(settings);
    this.#columns = columnFields(this.records).length;
    this.batchLimit = settings.batchSize;
    this.concurrency = settings.concurrency;
    const url = new URL(settings.url);
    this.#label = destinationLabel('Webhook', deps.destinationId, url.host);
    const endpoint = settings.apiBaseUrl ? new URL(url.pathname + url.search, settings.apiBaseUrl).toString() : settings.url;
    this.#api = new WebhookApi({ endpoint, secret: settings.signingSecret, timeoutMs: settings.requestTimeoutMs, label: this.#label, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  }

  testConnection(): Promise<void> {
    return checkConnection(this.#label, () => this.#api.ping());
  }

  /** An endpoint has no audiences to create: the audience name travels in every request. */
  createAudience(input: { name: string }): Promise<AudienceRef> {
    return Promise.resolve({ id: input.name, name: input.name });
  }

  /** Each row's encoded record (its `externalId` value) as the record's JSON, the key the snapshot keeps. */
  prepareKeys(rows: readonly MemberRow[]): Promise<PreparedRow[]> {
    return Promise.resolve(
      rows.map((row) => {
        const text = row.identifiers.externalId;
        if (text === undefined || text === null) return { personId: row.personId, keys: {}, rejected: 'no record' };
        const record = buildRecord(this.records, row.personId, decodeRecordValues(text, this.#columns));
        return { personId: row.personId, keys: { externalId: JSON.stringify(record) } };
      }),
    );
  }

  addMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const records = rows.map((r) => ({ personId: r.personId, record: JSON.parse(r.identifiers.externalId ?? 'null') as unknown }));
    return this.#api.send({ action: 'upsert', audience: audience.name, records, ctx });
  }

  /** Removes carry the member's id alone: the endpoint needs no more to drop a record. */
  removeMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const records = rows.map((r) => ({ personId: r.personId, record: { id: r.personId } }));
    return this.#api.send({ action: 'remove', audience: audience.name, records, ctx });
  }

  /** An endpoint reports no match rate. */
  readMatchRate(): Promise<MatchRate> {
    return Promise.resolve({ status: 'ready' });
  }
}

const webhookConnector: ConnectorDefinition<WebhookSettings> = {
  type: 'webhook',
  title: 'Webhook',
  settingsSchema: webhookSettingsSchema,
  secretSettings: ['signingSecret'],
  identifiers: ACCEPTED,
  // The audience name only travels in the request body.
  audienceNames: { maxLength: 200 },
  records: recordSpec,
  create: (settings, deps) => new WebhookDestination(settings, deps),
};

export default webhookConnector;
