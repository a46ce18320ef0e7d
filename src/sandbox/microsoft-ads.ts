import { randomUUID } from 'node:crypto';
import type { IdentifierKind } from '../config/schema';
import { type Fault, type FakeReply, type FakeRequest, isLowerHexHash, isRecord } from './fake-server';
import { OAuthFakeBase, OAuthTokens } from './oauth-tokens';
import { SandboxAudience, sha256Hex, trimLower } from './sandbox-audience';

/**
 * Contract fake of Microsoft Advertising customer lists (Campaign Management v13 REST), written
 * from the reference's §5, the service reference (learn.microsoft.com/advertising, MicrosoftDocs)
 * and the REST SDK's models:
 *
 * - OAuth2 refresh-token grant at `/common/oauth2/v2.0/token`; every call carries
 *   `Authorization: Bearer`, `DeveloperToken`, `CustomerId` and `CustomerAccountId` headers.
 *   Failures are ApplicationFault bodies: AdApiFaultDetail 105 InvalidCredentials (401; bad or
 *   revoked token, wrong developer token), 109 AuthenticationTokenExpired (401), 106
 *   UserIsNotAuthorized (403; another customer or account), 116 RequestMissingHeaders (400);
 * - the version in the path, `/CampaignManagement/v13/...` (anything else is 404);
 * - `POST /Audiences` (AddAudiences, Type CustomerList, name unique: 4853 DuplicateAudienceName),
 *   `POST /Audiences/QueryByIds` (all lists of the account when AudienceIds is null),
 *   `POST /CustomerListUserData/Apply` with ActionType Add/Remove/Replace (Replace empties the list
 *   first, on every call), at most 1,000 CustomerListItems per call (4603 CountExceedsLimit), and
 *   per-item PartialErrors: 8004 EmailMustBeHashed for an Email item that is not 64-hex lowercase
 *   SHA-256, 8005 CRMIdLengthExceedLimitation for a CRM id over 100 characters;
 * - 8003 CustomerListTermsAndConditionsNotAccepted until the Customer Match terms are accepted;
 * - throttling as AdApiFaultDetail 117 CallRateExceeded (HTTP 400; the documented remedy is to
 *   wait 60 seconds, no header says so);
 * - `SearchSize` / `AudienceNetworkSize` null while a list processes, then the matched count.
 *
 * Members are `Email=<hex>` and `CRM=<id>` keys.
 */

export const MICROSOFT_ADS_PATHS = { token: '/common/oauth2/v2.0/token', api: '/CampaignManagement/v13/' } as const;
export const MICROSOFT_ADS_MAX_ITEMS = 1_000;
/** People a list needs before Microsoft Advertising uses it (reference §5). */
export const MICROSOFT_ADS_MIN_AUDIENCE = 300;

export type MicrosoftAdsIdentifierKind = Extract<IdentifierKind, 'email' | 'externalId'>;

/**
 * The key Microsoft Advertising keeps for one raw value (reference §1.2): email trimmed,
 * lowercased and SHA-256 hashed (`Email=<hex>`); a CRM id (externalId) plain and trimmed
 * (`CRM=<id>`). Undefined when empty or, for a CRM id, over 100 characters.
 */
export function normaliseMicrosoftAds(kind: MicrosoftAdsIdentifierKind, raw: string): string | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  if (kind === 'email') return `Email=${sha256Hex(trimLower(value))}`;
  return value.length <= 100 ? `CRM=${value}` : undefined;
}

export interface MicrosoftAdsFakeOptions {
  customerId?: string;
  accountId?: string;
  developerToken?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** False until the Customer Match terms are accepted in the UI (default true). */
  termsAccepted?: boolean;
  /** Reads of a list after a change that still show no sizes (default 1). */
  readsUntilProcessed?: number;
}

interface CustomerList {
  audience: SandboxAudience;
  description: string | null;
  scope: string;
  membershipDuration: number | null;
}

interface ApiError {
  Code: number;
  ErrorCode: string;
  Message: string;
}

const ERRORS = {
  nullRequest: { Code: 100, ErrorCode: 'NullRequest', Message: 'The request message is null.' },
  invalidCredentials: { Code: 105, ErrorCode: 'InvalidCredentials', Message: 'Authentication failed. Either supplied credentials are invalid or the account is inactive.' },
  notAuthorized: { Code: 106, ErrorCode: 'UserIsNotAuthorized', Message: 'The user is not authorized to perform this action.' },
  tokenExpired: { Code: 109, ErrorCode: 'AuthenticationTokenExpired', Message: 'Authentication token expired. Please renew it or obtain a new token.' },
  missingHeaders: { Code: 116, ErrorCode: 'RequestMissingHeaders', Message: 'One or more required header elements are missing from the request.' },
  callRate: {
    Code: 117,
    ErrorCode: 'CallRateExceeded',
    Message: 'You have exceeded the number of calls that you are allowed to make in a minute. Please reduce the number of calls that you make per minute.',
  },
  countExceeds: { Code: 4603, ErrorCode: 'CountExceedsLimit', Message: 'The list exceeds the maximum allowed limit.' },
  invalidAudienceId: { Code: 4835, ErrorCode: 'InvalidAudienceId', Message: 'The audience ID is invalid.' },
  invalidAudienceName: { Code: 4838, ErrorCode: 'InvalidAudienceName', Message: 'The audience name is invalid.' },
  invalidDescription: { Code: 4841, ErrorCode: 'InvalidAudienceDescription', Message: 'Audience description is invalid.' },
  invalidDuration: { Code: 4842, ErrorCode: 'InvalidAudienceMembershipDuration', Message: 'Audience membership duration is invalid.' },
  audiencesRequired: { Code: 4844, ErrorCode: 'AudiencesArrayShouldNotBeNullOrEmpty', Message: 'Audiences are required.' },
  invalidScope: { Code: 4849, ErrorCode: 'InvalidAudienceScope', Message: 'Audience scope is invalid or not specified.' },
  idsExceed: { Code: 4852, ErrorCode: 'AudienceIdsArrayExceedsLimit', Message: 'Audience ids array exceeds the limit size.' },
  duplicateName: { Code: 4853, ErrorCode: 'DuplicateAudienceName', Message: 'Audience name is duplicate.' },
  invalidType: { Code: 4859, ErrorCode: 'InvalidAudienceType', Message: 'Audience Type is invalid.' },
  invalidList: { Code: 8000, ErrorCode: 'InvalidCustomerListId', Message: 'Invalid CustomerList Id' },
  invalidAction: { Code: 8001, ErrorCode: 'InvalidCustomerListActionType', Message: 'The Customer List Action Type can only be Add, Replace, or Delete.' },
  invalidSubType: { Code: 8002, ErrorCode: 'CustomerListItemSubTypeNotSupported', Message: 'The Customer List Item sub type is not supported.' },
  termsNotAccepted: {
    Code: 8003,
    ErrorCode: 'CustomerListTermsAndConditionsNotAccepted',
    Message: "The Customer Match 'Terms And Conditions' are not yet Accepted in the Microsoft Advertising web UI.",
  },
  emailMustBeHashed: { Code: 8004, ErrorCode: 'EmailMustBeHashed', Message: "Email address can't be in plain text and must be hashed." },
  crmTooLong: { Code: 8005, ErrorCode: 'CRMIdLengthExceedLimitation', Message: 'CRM Id exceeds the limitation of 100 characters.' },
  noItems: { Code: 8006, ErrorCode: 'EitherEmailOrCRMIDShouldBeProvided', Message: 'Either email address or CRM Id should be provided.' },
} satisfies Record<string, ApiError>;

/** An AdApiFaultDetail (generic errors: authentication, throttling). */
function adApiFault(status: number, error: ApiError): FakeReply {
  const trackingId = randomUUID();
  return { status, headers: { TrackingId: trackingId }, body: { TrackingId: trackingId, Type: 'AdApiFaultDetail', Errors: [{ ...error, Detail: null }] } };
}

/** An ApiFaultDetail (the operation failed as a whole). */
function apiFault(error: ApiError): FakeReply {
  const trackingId = randomUUID();
  return {
    status: 400,
    headers: { TrackingId: trackingId },
    body: { TrackingId: trackingId, Type: 'ApiFaultDetail', BatchErrors: [], OperationErrors: [{ ...error, Details: null }] },
  };
}

function batchError(index: number, error: ApiError, fieldPath: string | null = null): Record<string, unknown> {
  return { ...error, Details: null, FieldPath: fieldPath, ForwardCompatibilityMap: [], Index: index, Type: 'BatchError' };
}

/** An int64 as the REST API carries it (a JSON string; numbers are accepted too). */
function longOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return undefined;
}

export class MicrosoftAdsFake extends OAuthFakeBase {
  readonly customerId: string;
  readonly accountId: string;
  readonly developerToken: string;
  termsAccepted: boolean;
  readsUntilProcessed: number;
  readonly lists = new Map<string, CustomerList>();
  /** Every Apply call: its action, subtype and item count. */
  readonly applies: { action: string; subType: string; items: number }[] = [];
  #nextId = 820_000_000;

  constructor(options: MicrosoftAdsFakeOptions = {}) {
    const client = {
      clientId: options.clientId ?? 'sandbox-msads-client-id',
      clientSecret: options.clientSecret ?? 'sandbox-msads-client-secret',
      refreshToken: options.refreshToken ?? 'sandbox-msads-refresh-token',
    };
    super(new OAuthTokens(client, 'EwBsandbox', 3600, 'https://ads.microsoft.com/msads.manage offline_access'), MICROSOFT_ADS_PATHS.token);
    this.customerId = options.customerId ?? '251000001';
    this.accountId = options.accountId ?? '180000001';
    this.developerToken = options.developerToken ?? 'sandbox-developer-token';
    this.termsAccepted = options.termsAccepted ?? true;
    this.readsUntilProcessed = options.readsUntilProcessed ?? 1;
  }

  /** Destination settings pointing at this fake. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { customerId: this.customerId, accountId: this.accountId, developerToken: this.developerToken, ...this.oauthSettings(), ...extra };
  }

  /** The key Microsoft Advertising keeps for a raw value (see `normaliseMicrosoftAds`). */
  static expectedKey(kind: MicrosoftAdsIdentifierKind, raw: string): string | undefined {
    return normaliseMicrosoftAds(kind, raw);
  }

  listByName(name: string): CustomerList | undefined {
    for (const l of this.lists.values()) if (l.audience.name === name) return l;
    return undefined;
  }

  /** The list's member keys (a copy). */
  members(audienceId: string): Set<string> {
    return new Set(this.lists.get(audienceId)?.audience.members);
  }

  protected override throttleReply(_fault: Fault): FakeReply {
    return adApiFault(400, ERRORS.callRate);
  }

  protected override handleApi(req: FakeRequest): FakeReply {
    if (!req.path.startsWith(MICROSOFT_ADS_PATHS.api) || req.method !== 'POST') return { status: 404, body: { Message: `No HTTP resource was found that matches ${req.path}` } };
    const denied = this.#authorize(req);
    if (denied) return denied;
    const body = isRecord(req.body) ? req.body : undefined;
    if (!body) return apiFault(ERRORS.nullRequest);
    switch (req.path.slice(MICROSOFT_ADS_PATHS.api.length)) {
      case 'Audiences':
        return this.#addAudiences(body);
      case 'Audiences/QueryByIds':
        return this.#getAudiences(body);
      case 'CustomerListUserData/Apply':
        return this.#apply(body);
      default:
        return { status: 404, body: { Message: `No HTTP resource was found that matches ${req.path}` } };
    }
  }

  #authorize(req: FakeRequest): FakeReply | undefined {
    const h = req.headers;
    if (h.authorization === undefined || h.developertoken === undefined || h.customerid === undefined || h.customeraccountid === undefined)
      return adApiFault(400, ERRORS.missingHeaders);
    const state = this.tokens.check(h.authorization);
    if (state === 'expired') return adApiFault(401, ERRORS.tokenExpired);
    if (state !== 'valid' || h.developertoken !== this.developerToken) return adApiFault(401, ERRORS.invalidCredentials);
    if (h.customerid !== this.customerId || h.customeraccountid !== this.accountId) return adApiFault(403, ERRORS.notAuthorized);
    return undefined;
  }

  #addAudiences(body: Record<string, unknown>): FakeReply {
    if (!Array.isArray(body.Audiences) || body.Audiences.length === 0) return apiFault(ERRORS.audiencesRequired);
    const ids: (string | null)[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const [i, a] of body.Audiences.entries()) {
      const problem = this.#audienceProblem(a);
      if (problem) {
        ids.push(null);
        errors.push(batchError(i, problem));
        continue;
      }
      const audience = a as Record<string, unknown>;
      const id = String(this.#nextId++);
      this.lists.set(id, {
        audience: new SandboxAudience(id, audience.Name as string),
        description: typeof audience.Description === 'string' ? audience.Description : null,
        scope: typeof audience.Scope === 'string' ? audience.Scope : 'Customer',
        membershipDuration: typeof audience.MembershipDuration === 'number' ? audience.MembershipDuration : null,
      });
      ids.push(id);
    }
    return { status: 200, body: { AudienceIds: ids, PartialErrors: errors } };
  }

  #audienceProblem(a: unknown): ApiError | undefined {
    if (!isRecord(a)) return ERRORS.audiencesRequired;
    if (a.Type !== 'CustomerList') return ERRORS.invalidType;
    if (typeof a.Name !== 'string' || a.Name.trim() === '' || a.Name.length > 128) return ERRORS.invalidAudienceName;
    if (a.Description !== undefined && a.Description !== null && (typeof a.Description !== 'string' || a.Description.length > 1024)) return ERRORS.invalidDescription;
    const d = a.MembershipDuration;
    if (d !== undefined && d !== null && (typeof d !== 'number' || !(d === -1 || (Number.isInteger(d) && d >= 1 && d <= 180)))) return ERRORS.invalidDuration;
    if (a.Scope !== undefined && a.Scope !== 'Customer' && a.Scope !== 'Account') return ERRORS.invalidScope;
    if (this.listByName(a.Name)) return ERRORS.duplicateName;
    return undefined;
  }

  #getAudiences(body: Record<string, unknown>): FakeReply {
    if (body.Type !== 'CustomerList') return apiFault(ERRORS.invalidType);
    const requested = body.AudienceIds;
    if (requested === undefined || requested === null || (Array.isArray(requested) && requested.length === 0))
      return { status: 200, body: { Audiences: [...this.lists.values()].map((l) => this.#view(l)), PartialErrors: [] } };
    if (!Array.isArray(requested)) return apiFault(ERRORS.invalidAudienceId);
    if (requested.length > 100) return apiFault(ERRORS.idsExceed);
    const errors: Record<string, unknown>[] = [];
    const audiences = requested.map((raw, i) => {
      const list = this.lists.get(longOf(raw) ?? '');
      if (!list) errors.push(batchError(i, ERRORS.invalidAudienceId));
      return list ? this.#view(list) : null;
    });
    return { status: 200, body: { Audiences: audiences, PartialErrors: errors } };
  }

  /** A list as GetAudiencesByIds shows it; each view counts as a read-back of its processing. */
  #view(l: CustomerList): Record<string, unknown> {
    const processing = l.audience.observe();
    const size = processing || !l.audience.processed ? null : String(l.audience.processed.matched);
    return {
      AudienceNetworkSize: size,
      CustomerShare: null,
      Description: l.description,
      ForwardCompatibilityMap: [],
      Id: l.audience.id,
      MembershipDuration: l.membershipDuration,
      Name: l.audience.name,
      ParentId: this.accountId,
      Scope: l.scope,
      SearchSize: size,
      SupportedCampaignTypes: ['Search', 'DynamicSearchAds', 'Shopping', 'Audience'],
      Type: 'CustomerList',
    };
  }

  #apply(body: Record<string, unknown>): FakeReply {
    const data = body.CustomerListUserData;
    if (!isRecord(data)) return apiFault(ERRORS.nullRequest);
    const action = data.ActionType;
    if (action !== 'Add' && action !== 'Remove' && action !== 'Replace') return apiFault(ERRORS.invalidAction);
    const subType = data.CustomerListItemSubType;
    if (subType !== 'Email' && subType !== 'CRM') return apiFault(ERRORS.invalidSubType);
    const list = this.lists.get(longOf(data.AudienceId) ?? '');
    if (!list) return apiFault(ERRORS.invalidList);
    if (!this.termsAccepted) return apiFault(ERRORS.termsNotAccepted);
    const items = data.CustomerListItems;
    if (!Array.isArray(items) || items.length === 0) return apiFault(ERRORS.noItems);
    if (items.length > MICROSOFT_ADS_MAX_ITEMS) return apiFault(ERRORS.countExceeds);
    this.applies.push({ action, subType, items: items.length });

    const errors: Record<string, unknown>[] = [];
    const keys: string[] = [];
    for (const [i, item] of items.entries()) {
      const problem = itemProblem(subType, item);
      if (problem) errors.push(batchError(i, problem, `CustomerListItems[${i}]`));
      else keys.push(`${subType}=${item as string}`);
    }
    const members = list.audience.members;
    // Replace drops everything the list held, on every call: a replace sent in pages keeps only the last page.
    if (action === 'Replace') members.clear();
    for (const key of keys) {
      if (action === 'Remove') members.delete(key);
      else members.add(key);
    }
    list.audience.changed(this.readsUntilProcessed);
    return { status: 200, body: { PartialErrors: errors } };
  }
}

function itemProblem(subType: 'Email' | 'CRM', item: unknown): ApiError | undefined {
  if (subType === 'Email') return typeof item === 'string' && isLowerHexHash(item) ? undefined : ERRORS.emailMustBeHashed;
  if (typeof item !== 'string' || item.trim() === '') return ERRORS.noItems;
  return item.length > 100 ? ERRORS.crmTooLong : undefined;
}
