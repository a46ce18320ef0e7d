import { randomBytes } from 'node:crypto';
import { type Fault, type FakeReply, type FakeRequest, FakeServerBase, isLowerHexHash, isRecord, matches } from './fake-server';

/**
 * Contract fake of Google Ads Customer Match (REST), enforcing what the reference documents:
 * OAuth2 refresh-token flow and bearer tokens, the developer-token and login-customer-id headers,
 * CRM-based user lists unique by name, OfflineUserDataJobs with their state machine
 * (PENDING -> run -> RUNNING -> SUCCESS), no create/remove mixing in one job
 * (CONFLICTING_OPERATION), removeAll only first, <= 100,000 identifiers per request and <= 20 per
 * user (TOO_MANY_USER_IDENTIFIERS), 64-hex lowercase hashes, plain country and postal codes,
 * partial failures per operation, quota errors with a retry delay, and list size / match rate
 * that stay null until a job has succeeded.
 *
 * Members are kept as canonical identifier tuples (see `googleTupleKey`).
 */

export interface GoogleAdsFakeOptions {
  customerId?: string;
  loginCustomerId?: string;
  developerToken?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Polls a RUNNING job answers before it reports SUCCESS (default 1). */
  pollsUntilDone?: number;
}

interface UserList {
  resourceName: string;
  name: string;
  uploadKeyType: string;
  members: Set<string>;
  sizeForSearch: number | null;
  matchRatePercentage: number | null;
}

type OpKind = 'create' | 'remove' | 'removeAll';

interface Job {
  resourceName: string;
  userList: string;
  status: 'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED';
  kind: 'create' | 'remove' | undefined;
  ops: { kind: OpKind; keys: string[] }[];
  polls: number;
}

const API_VERSION = /^\/v\d+\//;
const MAX_IDS_PER_REQUEST = 100_000;
const MAX_IDS_PER_USER = 20;

/** The canonical form of a UserData: its identifiers, sorted, joined. */
/**
 * The keys of a UserData: each identifier is one (`email:<hash>`, `phone:<hash>`,
 * `address:<first>|<last>|<country>|<zip>`). A list holds a set of keys, as Customer Match matches a
 * person on any of them: adding a UserData adds each key, removing one removes each key.
 */
export function googleKeys(userData: unknown): string[] {
  return googleTupleKey(userData).split(',').filter((k) => k !== '');
}

export function googleTupleKey(userData: unknown): string {
  const ids = isRecord(userData) && Array.isArray(userData.userIdentifiers) ? userData.userIdentifiers : [];
  const parts: string[] = [];
  for (const id of ids) {
    if (!isRecord(id)) continue;
    if (typeof id.hashedEmail === 'string') parts.push(`email:${id.hashedEmail}`);
    else if (typeof id.hashedPhoneNumber === 'string') parts.push(`phone:${id.hashedPhoneNumber}`);
    else if (isRecord(id.addressInfo)) {
      const a = id.addressInfo;
      parts.push(`address:${String(a.hashedFirstName)}|${String(a.hashedLastName)}|${String(a.countryCode)}|${String(a.postalCode)}`);
    }
  }
  return parts.sort().join(',');
}

function failure(status: number, grpc: string, errors: { errorCode: Record<string, string>; index?: number; details?: unknown }[]): FakeReply {
  return {
    status,
    body: {
      error: {
        code: status,
        message: 'Request failed.',
        status: grpc,
        details: [
          {
            '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
            errors: errors.map((e) => ({
              errorCode: e.errorCode,
              message: 'fake',
              ...(e.index !== undefined ? { location: { fieldPathElements: [{ fieldName: 'operations', index: e.index }] } } : {}),
              ...(e.details !== undefined ? { details: e.details } : {}),
            })),
          },
        ],
      },
    },
  };
}

export class GoogleAdsFake extends FakeServerBase {
  readonly customerId: string;
  readonly loginCustomerId: string | undefined;
  readonly developerToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  refreshToken: string;
  pollsUntilDone: number;
  readonly lists = new Map<string, UserList>();
  readonly jobs = new Map<string, Job>();
  /** Hashes the fake treats as invalid identifiers (per-row partial failures). */
  readonly invalidHashes = new Set<string>();
  /** Jobs to fail instead of succeeding. */
  failNextJobs = 0;
  #tokens = new Map<string, number>();
  #refreshRevoked = false;
  #nextId = 1000;
  /** Largest number of identifiers seen in one addOperations request. */
  maxIdentifiersSeen = 0;
  /** Count of operations received, by kind. */
  operationsReceived = { create: 0, remove: 0 };

  constructor(options: GoogleAdsFakeOptions = {}) {
    super();
    this.customerId = options.customerId ?? '1234567890';
    this.loginCustomerId = options.loginCustomerId;
    this.developerToken = options.developerToken ?? 'fake-developer-token';
    this.clientId = options.clientId ?? 'fake-client-id';
    this.clientSecret = options.clientSecret ?? 'fake-client-secret';
    this.refreshToken = options.refreshToken ?? `fake-refresh-${randomBytes(6).toString('hex')}`;
    this.pollsUntilDone = options.pollsUntilDone ?? 1;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      customerId: this.customerId,
      ...(this.loginCustomerId ? { loginCustomerId: this.loginCustomerId } : {}),
      developerToken: this.developerToken,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      refreshToken: this.refreshToken,
      apiBaseUrl: this.url,
      oauthTokenUrl: `${this.url}/token`,
      jobPollIntervalMs: 0,
      ...extra,
    };
  }

  /** Revokes the refresh token and every access token issued from it (a user disconnecting the app). */
  revokeRefreshToken(): void {
    this.#refreshRevoked = true;
    this.#tokens.clear();
  }

  /** Expires the access tokens only; the refresh token still works. */
  expireAccessTokens(): void {
    this.#tokens.clear();
  }

  listByName(name: string): UserList | undefined {
    for (const l of this.lists.values()) if (l.name === name) return l;
    return undefined;
  }

  /** The member tuples of the list named `name` (empty when there is none). */
  members(name: string): Set<string> {
    return this.listByName(name)?.members ?? new Set();
  }

  protected override exemptFromFaults(path: string): boolean {
    return path === '/token';
  }

  protected override throttleReply(fault: Fault): FakeReply {
    const seconds = (fault.retryAfterMs ?? 1000) / 1000;
    return failure(429, 'RESOURCE_EXHAUSTED', [
      {
        errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' },
        details: { quotaErrorDetails: { rateScope: 'DEVELOPER', rateName: 'Requests per developer', retryDelay: `${seconds}s` } },
      },
    ]);
  }

  protected override handle(req: FakeRequest): FakeReply {
    if (req.path === '/token') return this.#token(req);
    const auth = this.#authorize(req);
    if (auth) return auth;
    if (req.method !== 'POST' || !API_VERSION.test(req.path)) return { status: 404, body: { error: { code: 404, status: 'NOT_FOUND' } } };
    const path = req.path.replace(API_VERSION, '');
    const body = isRecord(req.body) ? req.body : {};
    let m: RegExpExecArray | null;
    if ((m = /^customers\/(\d+)\/googleAds:search$/.exec(path))) return this.#search(m[1] as string, String(body.query ?? ''));
    if ((m = /^customers\/(\d+)\/userLists:mutate$/.exec(path))) return this.#mutateLists(m[1] as string, body);
    if ((m = /^customers\/(\d+)\/offlineUserDataJobs:create$/.exec(path))) return this.#createJob(m[1] as string, body);
    if ((m = /^(customers\/\d+\/offlineUserDataJobs\/\d+):addOperations$/.exec(path))) return this.#addOperations(m[1] as string, body);
    if ((m = /^(customers\/\d+\/offlineUserDataJobs\/\d+):run$/.exec(path))) return this.#run(m[1] as string);
    return { status: 404, body: { error: { code: 404, status: 'NOT_FOUND' } } };
  }

  #token(req: FakeRequest): FakeReply {
    const b = isRecord(req.body) ? req.body : {};
    if (b.grant_type !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (b.client_id !== this.clientId || b.client_secret !== this.clientSecret) return { status: 401, body: { error: 'invalid_client' } };
    if (this.#refreshRevoked || b.refresh_token !== this.refreshToken)
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } };
    const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
    this.#tokens.set(token, Date.now() + 3600_000);
    return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/adwords' } };
  }

  #authorize(req: FakeRequest): FakeReply | undefined {
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const expiry = bearer ? this.#tokens.get(bearer) : undefined;
    if (expiry === undefined || expiry < Date.now())
      return failure(401, 'UNAUTHENTICATED', [{ errorCode: { authenticationError: 'OAUTH_TOKEN_INVALID' } }]);
    if (req.headers['developer-token'] !== this.developerToken)
      return failure(401, 'UNAUTHENTICATED', [{ errorCode: { authenticationError: 'DEVELOPER_TOKEN_INVALID' } }]);
    if (this.loginCustomerId !== undefined && req.headers['login-customer-id'] !== this.loginCustomerId)
      return failure(403, 'PERMISSION_DENIED', [{ errorCode: { authorizationError: 'USER_PERMISSION_DENIED' } }]);
    const cid = /\/customers\/(\d+)\//.exec(req.path)?.[1];
    if (cid !== undefined && cid !== this.customerId)
      return failure(403, 'PERMISSION_DENIED', [{ errorCode: { authorizationError: 'USER_PERMISSION_DENIED' } }]);
    return undefined;
  }

  #search(_cid: string, query: string): FakeReply {
    const where = /WHERE\s+(\w+)\.(name|resource_name)\s*=\s*'((?:[^'\\]|\\.)*)'/i.exec(query);
    const value = where?.[3]?.replace(/\\(.)/g, '$1');
    if (/FROM\s+customer\b/i.test(query)) return { status: 200, body: { results: [{ customer: { resourceName: `customers/${this.customerId}`, id: this.customerId } }] } };
    if (/FROM\s+user_list\b/i.test(query)) {
      const results = [...this.lists.values()]
        .filter((l) => !where || (where[2] === 'name' ? l.name === value : l.resourceName === value))
        .map((l) => ({
          userList: {
            resourceName: l.resourceName,
            name: l.name,
            crmBasedUserList: { uploadKeyType: l.uploadKeyType },
            // int64 fields are JSON strings; null until computed.
            ...(l.sizeForSearch !== null ? { sizeForSearch: String(l.sizeForSearch), sizeForDisplay: String(l.sizeForSearch) } : {}),
            ...(l.matchRatePercentage !== null ? { matchRatePercentage: l.matchRatePercentage } : {}),
          },
        }));
      return { status: 200, body: { results } };
    }
    if (/FROM\s+offline_user_data_job\b/i.test(query) && /status\s*=\s*'RUNNING'/i.test(query)) {
      // Running jobs of one list; each look counts as a poll of those jobs.
      const list = /user_list\s*=\s*'((?:[^'\\]|\\.)*)'/i.exec(query)?.[1];
      const running = [...this.jobs.values()].filter((j) => j.status === 'RUNNING' && (list === undefined || j.userList === list));
      for (const job of running) if (++job.polls >= this.pollsUntilDone) this.#finish(job);
      const still = running.filter((j) => j.status === 'RUNNING');
      return { status: 200, body: { results: still.map((j) => ({ offlineUserDataJob: { resourceName: j.resourceName, status: j.status } })) } };
    }
    if (/FROM\s+offline_user_data_job\b/i.test(query)) {
      const job = value ? this.jobs.get(value) : undefined;
      if (!job) return { status: 200, body: { results: [] } };
      if (job.status === 'RUNNING' && ++job.polls >= this.pollsUntilDone) this.#finish(job);
      return {
        status: 200,
        body: { results: [{ offlineUserDataJob: { resourceName: job.resourceName, status: job.status, ...(job.status === 'FAILED' ? { failureReason: 'UNSPECIFIED' } : {}) } }] },
      };
    }
    return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { queryError: 'PROHIBITED_RESOURCE_TYPE_IN_FROM_CLAUSE' } }]);
  }

  #mutateLists(cid: string, body: Record<string, unknown>): FakeReply {
    const ops = Array.isArray(body.operations) ? body.operations : [];
    const results: { resourceName: string }[] = [];
    for (const [i, op] of ops.entries()) {
      const create = isRecord(op) && isRecord(op.create) ? op.create : undefined;
      const crm = create && isRecord(create.crmBasedUserList) ? create.crmBasedUserList : undefined;
      if (!create || typeof create.name !== 'string' || !crm)
        return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { requestError: 'REQUIRED_FIELD_MISSING' }, index: i }]);
      if (!['CONTACT_INFO', 'CRM_ID', 'MOBILE_ADVERTISING_ID'].includes(String(crm.uploadKeyType)))
        return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { userListError: 'UPLOAD_KEY_TYPE_IS_REQUIRED' }, index: i }]);
      if (this.listByName(create.name)) return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { userListError: 'INVALID_NAME' }, index: i }]);
      const resourceName = `customers/${cid}/userLists/${this.#nextId++}`;
      this.lists.set(resourceName, {
        resourceName,
        name: create.name,
        uploadKeyType: String(crm.uploadKeyType),
        members: new Set(),
        sizeForSearch: null,
        matchRatePercentage: null,
      });
      results.push({ resourceName });
    }
    return { status: 200, body: { results } };
  }

  #createJob(cid: string, body: Record<string, unknown>): FakeReply {
    const job = isRecord(body.job) ? body.job : {};
    const meta = isRecord(job.customerMatchUserListMetadata) ? job.customerMatchUserListMetadata : {};
    if (job.type !== 'CUSTOMER_MATCH_USER_LIST' || typeof meta.userList !== 'string' || !this.lists.has(meta.userList))
      return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { offlineUserDataJobError: 'INVALID_USER_LIST_ID' } }]);
    const consent = isRecord(meta.consent) ? meta.consent : {};
    if (consent.adUserData === 'DENIED')
      return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { offlineUserDataJobError: 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS' } }]);
    const resourceName = `customers/${cid}/offlineUserDataJobs/${this.#nextId++}`;
    this.jobs.set(resourceName, { resourceName, userList: meta.userList, status: 'PENDING', kind: undefined, ops: [], polls: 0 });
    return { status: 200, body: { resourceName } };
  }

  #addOperations(name: string, body: Record<string, unknown>): FakeReply {
    const job = this.jobs.get(name);
    if (!job) return failure(404, 'NOT_FOUND', [{ errorCode: { offlineUserDataJobError: 'INVALID_JOB_ID' } }]);
    if (job.status !== 'PENDING') return failure(400, 'FAILED_PRECONDITION', [{ errorCode: { offlineUserDataJobError: 'INVALID_JOB_STATUS' } }]);
    const ops = Array.isArray(body.operations) ? body.operations : [];
    const partial = body.enablePartialFailure === true;
    // Whole-request checks first: identifier total, create/remove mixing, removeAll position.
    let total = 0;
    let kind = job.kind;
    for (const [i, op] of ops.entries()) {
      if (!isRecord(op)) return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { requestError: 'REQUIRED_FIELD_MISSING' }, index: i }]);
      const k: OpKind | undefined = isRecord(op.create) ? 'create' : isRecord(op.remove) ? 'remove' : op.removeAll === true ? 'removeAll' : undefined;
      if (!k) return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { requestError: 'REQUIRED_FIELD_MISSING' }, index: i }]);
      if (k === 'removeAll') {
        if (job.ops.length > 0 || i > 0) return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { offlineUserDataJobError: 'INVALID_REMOVE_ALL_OPERATION' }, index: i }]);
        kind = 'remove';
        continue;
      }
      if (kind !== undefined && kind !== k)
        return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { offlineUserDataJobError: 'CONFLICTING_OPERATION' }, index: i }]);
      kind = k;
      const data = op[k] as Record<string, unknown>;
      total += Array.isArray(data.userIdentifiers) ? data.userIdentifiers.length : 0;
    }
    this.maxIdentifiersSeen = Math.max(this.maxIdentifiersSeen, total);
    if (total > MAX_IDS_PER_REQUEST)
      return failure(400, 'INVALID_ARGUMENT', [{ errorCode: { offlineUserDataJobError: 'TOO_MANY_USER_IDENTIFIERS' } }]);

    const errors: { errorCode: Record<string, string>; index: number }[] = [];
    const accepted: { kind: OpKind; keys: string[] }[] = [];
    for (const [i, op] of ops.entries()) {
      const rec = op as Record<string, unknown>;
      if (rec.removeAll === true) {
        accepted.push({ kind: 'removeAll', keys: [] });
        continue;
      }
      const k = isRecord(rec.create) ? 'create' : 'remove';
      const problem = this.#checkUserData(rec[k]);
      if (problem) errors.push({ errorCode: problem, index: i });
      else accepted.push({ kind: k, keys: googleKeys(rec[k]) });
    }
    if (errors.length > 0 && !partial) return failure(400, 'INVALID_ARGUMENT', errors);
    job.kind = kind;
    job.ops.push(...accepted);
    for (const a of accepted) if (a.kind !== 'removeAll') this.operationsReceived[a.kind]++;
    if (errors.length === 0) return { status: 200, body: {} };
    const f = failure(400, 'INVALID_ARGUMENT', errors).body as { error: Record<string, unknown> };
    return { status: 200, body: { partialFailureError: { code: 3, message: 'Multiple errors in user identifiers.', details: f.error.details } } };
  }

  #checkUserData(data: unknown): Record<string, string> | undefined {
    const ids = isRecord(data) && Array.isArray(data.userIdentifiers) ? data.userIdentifiers : undefined;
    if (!ids || ids.length === 0) return { offlineUserDataJobError: 'MISSING_USER_IDENTIFIER' };
    if (ids.length > MAX_IDS_PER_USER) return { offlineUserDataJobError: 'TOO_MANY_USER_IDENTIFIERS' };
    for (const id of ids) {
      if (!isRecord(id) || Object.keys(id).length !== 1) return { offlineUserDataJobError: 'INVALID_USER_IDENTIFIER' };
      const hashes: unknown[] = [];
      if ('hashedEmail' in id) hashes.push(id.hashedEmail);
      else if ('hashedPhoneNumber' in id) hashes.push(id.hashedPhoneNumber);
      else if (isRecord(id.addressInfo)) {
        const a = id.addressInfo;
        hashes.push(a.hashedFirstName, a.hashedLastName);
        // Country and postal code travel in plain text.
        if (typeof a.countryCode !== 'string' || !/^[A-Z]{2}$/.test(a.countryCode)) return { offlineUserDataJobError: 'INVALID_COUNTRY_CODE' };
        if (typeof a.postalCode !== 'string' || a.postalCode === '' || isLowerHexHash(a.postalCode)) return { offlineUserDataJobError: 'INVALID_POSTAL_CODE' };
      } else return { offlineUserDataJobError: 'INVALID_USER_IDENTIFIER' };
      for (const h of hashes) {
        if (typeof h !== 'string' || !isLowerHexHash(h)) return { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' };
        if (this.invalidHashes.has(h)) return { offlineUserDataJobError: 'INVALID_USER_IDENTIFIER' };
      }
    }
    return undefined;
  }

  #run(name: string): FakeReply {
    const job = this.jobs.get(name);
    if (!job) return failure(404, 'NOT_FOUND', [{ errorCode: { offlineUserDataJobError: 'INVALID_JOB_ID' } }]);
    if (job.status !== 'PENDING') return failure(400, 'FAILED_PRECONDITION', [{ errorCode: { offlineUserDataJobError: 'INVALID_JOB_STATUS' } }]);
    job.status = 'RUNNING';
    if (this.pollsUntilDone <= 0) this.#finish(job);
    return { status: 200, body: { name: `${name.replace('offlineUserDataJobs', 'operations')}`, metadata: {} } };
  }

  #finish(job: Job): void {
    if (this.failNextJobs > 0) {
      this.failNextJobs--;
      job.status = 'FAILED';
      return;
    }
    const list = this.lists.get(job.userList);
    if (!list) return;
    for (const op of job.ops) {
      if (op.kind === 'removeAll') list.members.clear();
      else if (op.kind === 'create') for (const key of op.keys) list.members.add(key);
      else for (const key of op.keys) list.members.delete(key);
    }
    job.status = 'SUCCESS';
    const matched = [...list.members].filter((k) => matches(/[0-9a-f]{64}/.exec(k)?.[0] ?? '')).length;
    list.sizeForSearch = matched;
    list.matchRatePercentage = list.members.size === 0 ? 0 : Math.round((100 * matched) / list.members.size);
  }
}
