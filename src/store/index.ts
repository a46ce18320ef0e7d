/**
 * The control-plane store (SPEC §6, docs/store.md): definitions, runs, tokens and the audit log.
 * Everything the CLI, the worker and the server need of it is exported here.
 */
export { type ApplyOptions, type ApplyResult, applyWorkspace, formatPlan, type PlanAction, type PlanLine } from './apply';
export { definitionsFingerprint } from './fingerprint';
export { type Actor, type AuditAction, type AuditDiff, type AuditEntry, AuditLog, type AuditObjectType, type NewAuditEntry } from './audit';
export { bodiesOf, checkDefinitions, type DefinitionProblem } from './check';
export { DEFINITION_KINDS, type DefinitionKind, type Definitions, type ManagedBy, type StoredObject } from './definitions';
export { ConflictError, ManagedByFileError, NotFoundError } from './errors';
export { type ExportResult, exportWorkspace } from './export';
export { applyActor, applyIfChanged, commandActor, loadWorkspaceThroughStore, type LoadThroughStoreOptions, openStoreFor } from './load';
export { DEFAULT_STORE_PATH, storeLocation, type StoreLocation } from './location';
export { type MembershipRefresh, MembershipRepository, type PersonSegments } from './membership';
export { MIGRATIONS, type StoreMigration } from './migrations';
export { type DefinitionRepository, type ListFilters } from './repository';
export { OPEN_RUN_STATUSES, OpenRunError, RUN_STATUSES, type RunOptions, type RunPatch, type RunRecord, RunRepository, type RunStatus } from './runs';
export { maskSettings, SECRET_KEY_ENV, SECRET_SET } from './secrets';
export { META, type OpenStoreOptions, openStoreReader, StoreReader, type WorkspaceSettings } from './reader';
export { openStore, Store } from './store';
export { hashToken, isRole, type Role, roleAllows, ROLES, type TokenIdentity, type TokenInfo, TokenRepository } from './tokens';
