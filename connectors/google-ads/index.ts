import { z } from 'zod';
import {
  type AudienceRef,
  type BatchContext,
  type ConnectorDefinition,
  type ConnectorDeps,
  DestinationError,
  type IdentifierKind,
  type MatchRate,
  type MemberRow,
  type RowResult,
} from '../../src/destinations/contract';
import { findOrCreateAudience } from '../shared/audience';
import { sendInBatches } from '../shared/batches';
import { KitDestination } from '../shared/destination';
import { asRecord, destinationLabel } from '../shared/http';
import { countOf } from '../shared/readback';
import { errorCodeName, GoogleAdsApi } from './api';
import { userDataOf } from './keys';

/**
 * Google Ads Customer Match: a CRM-based user list (upload key type CONTACT_INFO) kept in sync
 * through OfflineUserDataJobs.
 * https://developers.google.com/google-ads/api/docs/remarketing/audience-segments/customer-match/get-started
 */

/** Pinned API version; see https://developers.google.com/google-ads/api/docs/release-notes before moving it. */
export const GOOGLE_ADS_API_VERSION = 'v26';
/** Hard limit of user identifiers in one AddOperations request, summed over its UserData. */
export const MAX_IDENTIFIERS_PER_REQUEST = 100_000;

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

/**
 * Codes of "a list of this name exists" on create (Google answers a taken name with INVALID_NAME
 * in the sandbox and NAME_ALREADY_USED in the API reference).
 */
const NAME_TAKEN = ['userListError.NAME_ALREADY_USED', 'userListError.INVALID_NAME'];

export class GoogleAdsDestination extends KitDestination {
  readonly #s: GoogleAdsSettings;
  readonly #api: GoogleAdsApi;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(settings: GoogleAdsSettings, deps: ConnectorDeps) {
    const label = destinationLabel('Google Ads', deps.destinationId, `customer ${settings.customerId}`);
    // One job at a time: jobs on the same list must not overlap, and removes must be applied
    // before the adds of the same run (a changed email is a remove of the old row plus an add).
    super({ label, deps, requestsInFlight: 1, concurrency: 1, rowsPerRequest: settings.rowsPerJob, batchLimit: settings.rowsPerJob, encoder: 'google_ads_keys', acceptedIdentifiers: ACCEPTED });
    this.#s = settings;
    this.#sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#api = new GoogleAdsApi({ ...settings, timeoutMs: settings.requestTimeoutMs, label, fetch: deps.fetch });
  }

  protected probe(): Promise<unknown> {
    return this.#api.search(this.#s.customerId, 'SELECT customer.id FROM customer LIMIT 1');
  }

  async createAudience(input: { name: string; description?: string }): Promise<AudienceRef> {
    const create = {
      name: input.name,
      ...(input.description ? { description: input.description } : {}),
      membershipStatus: 'OPEN',
      membershipLifeSpan: String(this.#s.membershipLifeSpanDays),
      crmBasedUserList: { uploadKeyType: 'CONTACT_INFO', dataSourceType: 'FIRST_PARTY' },
    };
    return findOrCreateAudience(input.name, {
      find: () => this.#findList(input.name),
      create: async () => ({ id: await this.#api.createUserList(this.#s.customerId, create), name: input.name }),
      duplicateCodes: NAME_TAKEN,
    });
  }

  async #findList(name: string): Promise<AudienceRef | undefined> {
    const rows = await this.#api.search(
      this.#s.customerId,
      `SELECT user_list.resource_name, user_list.name, user_list.crm_based_user_list.upload_key_type FROM user_list WHERE user_list.name = '${gaqlString(name)}'`,
    );
    const list = asRecord(rows[0]?.userList);
    if (!list || typeof list.resourceName !== 'string') return undefined;
    if (asRecord(list.crmBasedUserList)?.uploadKeyType !== 'CONTACT_INFO')
      throw new DestinationError(
        'invalid_payload',
        `${this.label}: a user list named "${name}" already exists but is not a CONTACT_INFO customer list; rename it or set audienceName`,
        { code: 'LIST_TYPE_MISMATCH' },
      );
    return { id: list.resourceName, name };
  }

  /**
   * One job per call: create -> addOperations (<= identifiersPerRequest each, in order) -> run ->
   * poll. Adds and removes never share a job (Google rejects that with CONFLICTING_OPERATION).
   * The rows hold keys (prepareKeys), sent as they are.
   */
  protected async send(kind: 'add' | 'remove', audience: AudienceRef, rows: readonly MemberRow[], ctx: BatchContext): Promise<RowResult[]> {
    let job: string | undefined;
    const size = (row: MemberRow) => userDataOf(row.identifiers).userIdentifiers.length;
    // No gate: the job's requests go one after another.
    const results = await sendInBatches(rows, { limit: this.#s.identifiersPerRequest, size }, async (chunk) => {
      job ??= await this.#createJob(kind, audience, ctx);
      const operations = chunk.map((row) => (kind === 'add' ? { create: userDataOf(row.identifiers) } : { remove: userDataOf(row.identifiers) }));
      const rejected = new Map<number, string>();
      for (const e of await this.#api.addOperations(job, operations, ctx.signal)) {
        const at = e.location?.fieldPathElements?.find((f) => f.fieldName === 'operations')?.index;
        if (at !== undefined && at < chunk.length) rejected.set(at, `Google Ads rejected the row: ${errorCodeName(e)}`);
        else this.deps.log?.('google_ads.unplaced_partial_failure', { code: errorCodeName(e) });
      }
      return rejected;
    });
    if (job) {
      await this.#api.runJob(job, ctx.signal);
      await this.#waitForJob(job, ctx);
    }
    return results;
  }

  /** The call's job, once no earlier job is running on the list. */
  async #createJob(kind: 'add' | 'remove', audience: AudienceRef, ctx: BatchContext): Promise<string> {
    await this.#waitForIdleList(audience.id, ctx);
    const consent = this.#s.consent;
    // Consent applies to the data being added; remove jobs do not need it.
    const metadata = { userList: audience.id, ...(kind === 'add' && consent ? { consent } : {}) };
    return this.#api.createJob(this.#s.customerId, { type: 'CUSTOMER_MATCH_USER_LIST', customerMatchUserListMetadata: metadata }, ctx.signal);
  }

  /**
   * Waits until no job is RUNNING on the list, so jobs apply in order: a run's removes before its
   * adds, and this run's changes after the previous run's. Still busy after jobWaitTimeoutMs:
   * a retryable error, and the sync engine tries the batch again later.
   */
  async #waitForIdleList(list: string, ctx: BatchContext): Promise<void> {
    const query = `SELECT offline_user_data_job.resource_name FROM offline_user_data_job WHERE offline_user_data_job.status = 'RUNNING' AND offline_user_data_job.customer_match_user_list_metadata.user_list = '${gaqlString(list)}'`;
    const idle = await this.#poll(async () => (await this.#api.search(this.#s.customerId, query, ctx.signal)).length === 0);
    if (!idle) throw new DestinationError('retryable', `${this.label}: an earlier job on user list ${list} is still running`, { code: 'LIST_BUSY' });
  }

  /** Polls the job until SUCCESS/FAILED; past jobWaitTimeoutMs the job is left to finish on its own. */
  async #waitForJob(job: string, ctx: BatchContext): Promise<void> {
    const query = `SELECT offline_user_data_job.resource_name, offline_user_data_job.status, offline_user_data_job.failure_reason FROM offline_user_data_job WHERE offline_user_data_job.resource_name = '${gaqlString(job)}'`;
    let status: unknown;
    const done = await this.#poll(async () => {
      const found = asRecord((await this.#api.search(this.#s.customerId, query, ctx.signal))[0]?.offlineUserDataJob);
      status = found?.status;
      if (status !== 'FAILED') return status === 'SUCCESS';
      const reason = typeof found?.failureReason === 'string' ? found.failureReason : 'UNKNOWN';
      throw new DestinationError('retryable', `${this.label}: offline user data job failed (${reason})`, { code: `JOB_FAILED.${reason}` });
    });
    if (!done) this.deps.log?.('google_ads.job_still_running', { job, status: typeof status === 'string' ? status : 'unknown' });
  }

  /**
   * Asks `check` until it says yes or jobWaitTimeoutMs has passed (then false), waiting
   * jobPollIntervalMs, doubled each time up to a minute: polling too often spends quota
   * (https://developers.google.com/google-ads/api/docs/best-practices/quotas).
   */
  async #poll(check: () => Promise<boolean>): Promise<boolean> {
    const started = Date.now();
    for (let interval = this.#s.jobPollIntervalMs; ; interval = Math.min(Math.max(interval * 2, 1), 60_000)) {
      if (await check()) return true;
      if (Date.now() - started >= this.#s.jobWaitTimeoutMs) return false;
      await this.#sleep(interval);
    }
  }

  async readMatchRate(audience: AudienceRef): Promise<MatchRate> {
    const rows = await this.#api.search(
      this.#s.customerId,
      `SELECT user_list.size_for_search, user_list.size_for_display, user_list.match_rate_percentage FROM user_list WHERE user_list.resource_name = '${gaqlString(audience.id)}'`,
    );
    const list = asRecord(rows[0]?.userList);
    if (!list) throw new DestinationError('invalid_payload', `${this.label}: user list ${audience.id} not found`, { code: 'NOT_FOUND' });
    // int64 fields arrive as JSON strings; both fields stay null until Google has computed them.
    const size = countOf(list.sizeForSearch);
    const rate = countOf(list.matchRatePercentage);
    return {
      status: size === undefined ? 'processing' : 'ready',
      ...(rate !== undefined ? { matchRate: rate / 100 } : {}),
      ...(size !== undefined ? { audienceSize: size } : {}),
    };
  }
}

/** A string literal inside GAQL single quotes. */
function gaqlString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
