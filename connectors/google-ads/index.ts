import { z } from 'zod';
import { GOOGLE_ADS_IDENTITY } from '../../src/identity/google-ads';
import { Invalid, prepareIdentifiers } from '../../src/identity/rules';
import {
  type AudienceRef,
  type BatchContext,
  type ConnectorDefinition,
  type ConnectorDeps,
  type Destination,
  DestinationError,
  type IdentifierKind,
  type MatchRate,
  type MemberRow,
  type RowResult,
} from '../../src/destinations/contract';
import { asRecord, destinationLabel } from '../shared/http';
import { noUsableIdentifier, prepareRows, rejected } from '../shared/rows';
import { errorCodeName, GoogleAdsApi, type JobOperation, type JobStatus, type UserData, type UserIdentifier } from './api';

/**
 * Google Ads Customer Match: a CRM-based user list (upload key type CONTACT_INFO) kept in sync
 * through OfflineUserDataJobs.
 * https://developers.google.com/google-ads/api/docs/remarketing/audience-segments/customer-match/get-started
 */

/** Pinned API version; see https://developers.google.com/google-ads/api/docs/release-notes before moving it. */
export const GOOGLE_ADS_API_VERSION = 'v26';
/** Hard limit of user identifiers in one AddOperations request, summed over its UserData. */
export const MAX_IDENTIFIERS_PER_REQUEST = 100_000;
/** Hard limit of identifiers inside one UserData. */
export const MAX_IDENTIFIERS_PER_USER = 20;

const digits = (what: string) =>
  z
    .string()
    .transform((s) => s.replace(/-/g, ''))
    .pipe(z.string().regex(/^\d{10}$/, `${what}: ten digits, with or without dashes (123-456-7890)`));

const consentStatus = z.enum(['GRANTED', 'DENIED', 'UNSPECIFIED']);

export const googleAdsSettingsSchema = z.strictObject({
  /** The advertiser account that owns the lists. */
  customerId: digits('customerId'),
  /** Manager (MCC) account the calls go through, when access comes from one. */
  loginCustomerId: digits('loginCustomerId').optional(),
  developerToken: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
  apiVersion: z.string().regex(/^v\d+$/, 'a version such as "v26"').default(GOOGLE_ADS_API_VERSION),
  apiBaseUrl: z.url().default('https://googleads.googleapis.com'),
  oauthTokenUrl: z.url().default('https://oauth2.googleapis.com/token'),
  /** Days a member stays on the list without being re-uploaded (Google's maximum is 540). */
  membershipLifeSpanDays: z.number().int().min(0).max(540).default(540),
  /** EU consent signals sent with add jobs; leave unset unless you have collected them. */
  consent: z.strictObject({ adUserData: consentStatus, adPersonalization: consentStatus }).optional(),
  /** Rows (users) per job, i.e. per addMembers/removeMembers call. */
  rowsPerJob: z.number().int().min(1).max(1_000_000).default(100_000),
  /** Identifiers per AddOperations request; Google recommends about 10,000 and allows 100,000. */
  identifiersPerRequest: z.number().int().min(1).max(MAX_IDENTIFIERS_PER_REQUEST).default(10_000),
  /**
   * How often to poll a running job, and for how long one call waits: first for an earlier job on
   * the list to finish, then for its own. Two waits stay under the sync engine's two-minute
   * heartbeat; a job still running after its wait finishes on its own.
   */
  jobPollIntervalMs: z.number().int().min(0).default(5_000),
  jobWaitTimeoutMs: z.number().int().min(0).default(45_000),
  requestTimeoutMs: z.number().int().min(1).default(120_000),
});
export type GoogleAdsSettings = z.infer<typeof googleAdsSettingsSchema>;

const ACCEPTED: readonly IdentifierKind[] = ['email', 'phone', 'firstName', 'lastName', 'countryCode', 'postalCode'];

export const googleAdsConnector: ConnectorDefinition<GoogleAdsSettings> = {
  type: 'google_ads',
  title: 'Google Ads Customer Match',
  settingsSchema: googleAdsSettingsSchema,
  secretSettings: ['developerToken', 'clientSecret', 'refreshToken'],
  identifiers: ACCEPTED,
  // 100 active users on every network since Dec 2024 (reference §2 "Minimum size"; unverified).
  minAudienceSize: 100,
  create: (settings, deps) => new GoogleAdsDestination(settings, deps),
};
export default googleAdsConnector;

/** A row's UserData: hashed email, hashed phone and an address when all four parts are there. */
export function userDataOf(row: MemberRow): UserData | Invalid {
  const { values, problems } = prepareIdentifiers(GOOGLE_ADS_IDENTITY, row.identifiers);
  const ids: UserIdentifier[] = [];
  if (values.email) ids.push({ hashedEmail: values.email });
  if (values.phone) ids.push({ hashedPhoneNumber: values.phone });
  const { firstName, lastName, countryCode, postalCode } = values;
  if (firstName && lastName && countryCode && postalCode)
    ids.push({ addressInfo: { hashedFirstName: firstName, hashedLastName: lastName, countryCode, postalCode } });
  if (ids.length === 0) {
    const partialAddress = firstName || lastName || postalCode;
    return noUsableIdentifier(partialAddress ? [...problems, 'address: needs firstName, lastName, countryCode and postalCode together'] : problems);
  }
  if (ids.length > MAX_IDENTIFIERS_PER_USER) return new Invalid(`more than ${MAX_IDENTIFIERS_PER_USER} identifiers`);
  return { userIdentifiers: ids };
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(['SUCCESS', 'FAILED']);

export class GoogleAdsDestination implements Destination {
  readonly batchLimit: number;
  /**
   * One job at a time: jobs on the same list must not overlap, and removes must be applied
   * before the adds of the same run (a changed email is a remove of the old row plus an add).
   */
  readonly concurrency = 1;
  readonly acceptedIdentifiers = ACCEPTED;
  readonly #s: GoogleAdsSettings;
  readonly #api: GoogleAdsApi;
  readonly #deps: ConnectorDeps;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #label: string;

  constructor(settings: GoogleAdsSettings, deps: ConnectorDeps) {
    this.#s = settings;
    this.#deps = deps;
    this.#label = destinationLabel('Google Ads', deps.destinationId, `customer ${settings.customerId}`);
    this.batchLimit = settings.rowsPerJob;
    this.#sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#api = new GoogleAdsApi({
      apiBaseUrl: settings.apiBaseUrl,
      apiVersion: settings.apiVersion,
      oauthTokenUrl: settings.oauthTokenUrl,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      refreshToken: settings.refreshToken,
      developerToken: settings.developerToken,
      loginCustomerId: settings.loginCustomerId,
      timeoutMs: settings.requestTimeoutMs,
      label: this.#label,
      fetch: deps.fetch,
    });
  }

  async testConnection(): Promise<void> {
    await this.#api.search(this.#s.customerId, 'SELECT customer.id FROM customer LIMIT 1');
  }

  async createAudience(input: { name: string; description?: string }): Promise<AudienceRef> {
    const existing = await this.#findList(input.name);
    if (existing) return existing;
    try {
      const [resourceName] = await this.#api.mutateUserLists(this.#s.customerId, [
        {
          create: {
            name: input.name,
            ...(input.description ? { description: input.description } : {}),
            membershipStatus: 'OPEN',
            membershipLifeSpan: String(this.#s.membershipLifeSpanDays),
            crmBasedUserList: { uploadKeyType: 'CONTACT_INFO', dataSourceType: 'FIRST_PARTY' },
          },
        },
      ]);
      if (!resourceName) throw new DestinationError('retryable', `${this.#label}: list create returned no resource name`);
      return { id: resourceName, name: input.name };
    } catch (err) {
      // Created by a concurrent run between our search and create: use that one.
      if (err instanceof DestinationError && err.kind === 'invalid_payload') {
        const raced = await this.#findList(input.name);
        if (raced) return raced;
      }
      throw err;
    }
  }

  async #findList(name: string): Promise<AudienceRef | undefined> {
    const rows = await this.#api.search(
      this.#s.customerId,
      `SELECT user_list.resource_name, user_list.name, user_list.crm_based_user_list.upload_key_type FROM user_list WHERE user_list.name = '${gaqlString(name)}'`,
    );
    const list = asRecord(rows[0]?.userList);
    if (!list || typeof list.resourceName !== 'string') return undefined;
    const keyType = asRecord(list.crmBasedUserList)?.uploadKeyType;
    if (keyType !== 'CONTACT_INFO')
      throw new DestinationError(
        'invalid_payload',
        `${this.#label}: a user list named "${name}" already exists but is not a CONTACT_INFO customer list; rename it or set audienceName`,
        { code: 'LIST_TYPE_MISMATCH' },
      );
    return { id: list.resourceName, name };
  }

  addMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return this.#upload('create', audience, rows, ctx);
  }

  removeMembers(audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    return this.#upload('remove', audience, rows, ctx);
  }

  /**
   * One job per call: create -> addOperations (<= identifiersPerRequest each) -> run -> poll.
   * Adds and removes never share a job (Google rejects that with CONFLICTING_OPERATION).
   */
  async #upload(op: 'create' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    const results: RowResult[] = new Array(rows.length);
    const prepared = await prepareRows(rows, userDataOf);
    const pending: { index: number; operation: JobOperation; size: number }[] = [];
    prepared.forEach((p, i) => {
      const row = rows[i] as MemberRow;
      if (p instanceof Invalid) results[i] = rejected(row, p.reason);
      else {
        results[i] = { personId: row.personId, ok: true };
        pending.push({ index: i, operation: op === 'create' ? { create: p } : { remove: p }, size: p.userIdentifiers.length });
      }
    });
    if (pending.length === 0) return results;

    await this.#waitForIdleList(audience.id, ctx);
    const consent = this.#s.consent;
    const job = await this.#api.createJob(
      this.#s.customerId,
      {
        type: 'CUSTOMER_MATCH_USER_LIST',
        customerMatchUserListMetadata: {
          userList: audience.id,
          // Consent applies to the data being added; remove jobs do not need it.
          ...(op === 'create' && consent ? { consent } : {}),
        },
      },
      ctx.signal,
    );
    for (const chunk of chunkBySize(pending, this.#s.identifiersPerRequest)) {
      const errors = await this.#api.addOperations(
        job,
        chunk.map((c) => c.operation),
        ctx.signal,
      );
      for (const e of errors) {
        const at = e.location?.fieldPathElements?.find((f) => f.fieldName === 'operations')?.index;
        const entry = at === undefined ? undefined : chunk[at];
        if (entry) results[entry.index] = rejected(rows[entry.index] as MemberRow, `Google Ads rejected the row: ${errorCodeName(e)}`);
        else this.#deps.log?.('google_ads.unplaced_partial_failure', { code: errorCodeName(e) });
      }
    }
    await this.#api.runJob(job, ctx.signal);
    await this.#waitForJob(job, ctx);
    return results;
  }

  /**
   * Waits until no job is RUNNING on the list, so jobs apply in order: a run's removes before its
   * adds, and this run's changes after the previous run's. Still busy after jobWaitTimeoutMs:
   * a retryable error, and the sync engine tries the batch again later.
   */
  async #waitForIdleList(list: string, ctx: BatchContext): Promise<void> {
    const started = Date.now();
    let interval = this.#s.jobPollIntervalMs;
    while (true) {
      const running = await this.#api.search(
        this.#s.customerId,
        `SELECT offline_user_data_job.resource_name FROM offline_user_data_job WHERE offline_user_data_job.status = 'RUNNING' AND offline_user_data_job.customer_match_user_list_metadata.user_list = '${gaqlString(list)}'`,
        ctx.signal,
      );
      if (running.length === 0) return;
      if (Date.now() - started >= this.#s.jobWaitTimeoutMs)
        throw new DestinationError('retryable', `${this.#label}: an earlier job on user list ${list} is still running`, { code: 'LIST_BUSY' });
      await this.#sleep(interval);
      interval = Math.min(Math.max(interval * 2, 1), 60_000);
    }
  }

  /** Polls the job until SUCCESS/FAILED; past jobWaitTimeoutMs the job is left to finish on its own. */
  async #waitForJob(job: string, ctx: BatchContext): Promise<void> {
    const started = Date.now();
    let interval = this.#s.jobPollIntervalMs;
    while (true) {
      const rows = await this.#api.search(
        this.#s.customerId,
        `SELECT offline_user_data_job.resource_name, offline_user_data_job.status, offline_user_data_job.failure_reason FROM offline_user_data_job WHERE offline_user_data_job.resource_name = '${gaqlString(job)}'`,
        ctx.signal,
      );
      const found = asRecord(rows[0]?.offlineUserDataJob);
      const status = found?.status as JobStatus | undefined;
      if (status === 'FAILED') {
        const reason = typeof found?.failureReason === 'string' ? found.failureReason : 'UNKNOWN';
        throw new DestinationError('retryable', `${this.#label}: offline user data job failed (${reason})`, { code: `JOB_FAILED.${reason}` });
      }
      if (status !== undefined && TERMINAL.has(status)) return;
      if (Date.now() - started >= this.#s.jobWaitTimeoutMs) {
        this.#deps.log?.('google_ads.job_still_running', { job, status: status ?? 'unknown' });
        return;
      }
      await this.#sleep(interval);
      // Polling too often spends quota (https://developers.google.com/google-ads/api/docs/best-practices/quotas).
      interval = Math.min(Math.max(interval * 2, 1), 60_000);
    }
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const rows = await this.#api.search(
      this.#s.customerId,
      `SELECT user_list.size_for_search, user_list.size_for_display, user_list.match_rate_percentage FROM user_list WHERE user_list.resource_name = '${gaqlString(audience.id)}'`,
    );
    const list = asRecord(rows[0]?.userList);
    if (!list) throw new DestinationError('invalid_payload', `${this.#label}: user list ${audience.id} not found`, { code: 'NOT_FOUND' });
    // int64 fields arrive as JSON strings; both fields stay null until Google has computed them.
    const size = numberOf(list.sizeForSearch);
    const rate = numberOf(list.matchRatePercentage);
    return {
      status: size === undefined ? 'processing' : 'ready',
      ...(rate !== undefined ? { matchRate: rate / 100 } : {}),
      ...(size !== undefined ? { audienceSize: size } : {}),
    };
  }
}

function numberOf(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** A string literal inside GAQL single quotes. */
function gaqlString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/** Consecutive chunks whose summed `size` stays within `limit`. */
function chunkBySize<T extends { size: number }>(items: readonly T[], limit: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let total = 0;
  for (const item of items) {
    if (current.length > 0 && total + item.size > limit) {
      chunks.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += item.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
