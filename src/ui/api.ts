import type { z } from 'zod';
import type { meOut } from '../api/routes/admin';
import type { entityFieldsOut, segmentListItem } from '../api/routes/segments';
import type { auditOut, evaluationOut, runOut, segmentDestinationOut } from '../api/schemas';
import type { DestinationConfig, SegmentConfig } from '../config/schema';
import type { Rules } from './rule-model';

/**
 * A typed client of the public API (SPEC §6): the response types are the server's own zod
 * schemas (types only; nothing of the server is bundled). Every call sends the signed-in token.
 */

export type Role = z.infer<typeof meOut>['role'];
export type Me = z.infer<typeof meOut>;
export type SegmentListItem = z.infer<typeof segmentListItem> & Pick<SegmentConfig, 'name' | 'status' | 'labels' | 'type'>;
export interface Stored {
  managedBy: 'file' | 'ui';
  version: number;
  createdAt: string;
  updatedAt: string;
}
export type Segment = SegmentConfig & Stored;
export type Destination = Omit<DestinationConfig, 'settings'> & Stored & { settings: Record<string, unknown> };
export type EntityFields = z.infer<typeof entityFieldsOut>;
export type Run = z.infer<typeof runOut>;
export type Evaluation = z.infer<typeof evaluationOut>;
export type SegmentDestination = z.infer<typeof segmentDestinationOut>;
export type AuditEntry = z.infer<typeof auditOut>;
export interface Connector {
  type: string;
  title: string;
  identifiers: string[];
  secretSettings: string[];
  settingsSchema: JsonSchema;
}
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  enum?: unknown[];
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}
export interface Preview {
  members: { personId: string; traits: Record<string, unknown> }[];
  masked: boolean;
}
export interface Stats {
  evaluations: Evaluation[];
  syncs: { syncId: string; destinationId: string; runs: Run[] }[];
}

/** An API error (`{"error": {code, message, path?}}`), kept whole so the UI can show it at its field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const API_BASE = '/api/v1';

export class ApiClient {
  constructor(readonly token: string) {}

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await fetch(`${API_BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const data: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string; path?: string } } | undefined)?.error;
      throw new ApiError(res.status, err?.code ?? 'internal', err?.message ?? `HTTP ${res.status}`, err?.path);
    }
    return data as T;
  }

  me = () => this.request<Me>('GET', '/me');
  segments = (status?: string) => this.request<SegmentListItem[]>('GET', `/segments${status ? `?status=${encodeURIComponent(status)}` : ''}`);
  segment = (id: string) => this.request<Segment>('GET', `/segments/${enc(id)}`);
  createSegment = (body: Record<string, unknown>) => this.request<Segment>('POST', '/segments', body);
  patchSegment = (id: string, body: Record<string, unknown>) => this.request<Segment>('PATCH', `/segments/${enc(id)}`, body);
  archiveSegment = (id: string) => this.request<void>('DELETE', `/segments/${enc(id)}`);
  duplicateSegment = (id: string) => this.request<Segment>('POST', `/segments/${enc(id)}/duplicate`);
  refreshSegment = (id: string) => this.request<Evaluation[]>('POST', `/segments/${enc(id)}/refresh`);
  estimate = (body: { entity: string; rules: Rules }, signal?: AbortSignal) =>
    this.request<{ count: number; asOf: string; elapsedMs: number }>('POST', '/estimate', body, signal);
  preview = (id: string, limit = 100) => this.request<Preview>('GET', `/segments/${enc(id)}/preview?limit=${limit}`);
  sql = (id: string) => this.request<{ dialect: string; asOf: string; sql: string; params: unknown[] }>('GET', `/segments/${enc(id)}/sql`);
  stats = (id: string) => this.request<Stats>('GET', `/segments/${enc(id)}/stats`);
  segmentDestinations = (id: string) => this.request<SegmentDestination[]>('GET', `/segments/${enc(id)}/destinations`);
  toggle = (id: string, destinationId: string, enabled: boolean) =>
    this.request<SegmentDestination>('PUT', `/segments/${enc(id)}/destinations/${enc(destinationId)}`, { enabled });
  entities = () => this.request<({ id: string } & Stored)[]>('GET', '/entities');
  fields = (entity: string) => this.request<EntityFields>('GET', `/entities/${enc(entity)}/fields`);
  destinations = () => this.request<Destination[]>('GET', '/destinations');
  createDestination = (body: { id: string; type: string; settings: Record<string, unknown> }) => this.request<Destination>('POST', '/destinations', body);
  testDestination = (id: string) => this.request<{ ok: boolean; kind?: string; message?: string; elapsedMs: number }>('POST', `/destinations/${enc(id)}/test`);
  connectors = () => this.request<Connector[]>('GET', '/connectors');
  runSync = (syncId: string, body: { confirmRemovals?: boolean } = {}) => this.request<{ runId: string }>('POST', `/syncs/${enc(syncId)}/runs`, body);
  runs = (limit = 50) => this.request<Run[]>('GET', `/runs?limit=${limit}`);
  syncRuns = (syncId: string, limit = 50) => this.request<Run[]>('GET', `/syncs/${enc(syncId)}/runs?limit=${limit}`);
  confirmRun = (runId: string) => this.request<{ runId: string }>('POST', `/runs/${enc(runId)}/confirm`);
  audit = (limit = 100) => this.request<AuditEntry[]>('GET', `/audit?limit=${limit}`);
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

const RANK: Record<Role, number> = { viewer: 0, marketer: 1, data: 2, admin: 3 };
/** Whether `role` may do what `needed` may (roles are cumulative, SPEC §6). */
export function can(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}
