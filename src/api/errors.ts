import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { formatProblem, type Problem, UserInputError } from '../config/errors';
import { structureProblems, zodProblems } from '../config/load';
import { ConflictError, NotFoundError, OpenRunError } from '../store';

/**
 * The error body of every failed request (SPEC §6):
 * `{"error": {"code", "message", "path"?}}`, plus `openRunId` when a run is already open and
 * `currentVersion` when a `version` was stale.
 */
export interface ApiErrorBody {
  error: { code: string; message: string; path?: string; openRunId?: string; currentVersion?: number };
}

/** Status and code of each error kind the API answers with. */
export const ERROR_CODES = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  internal: 500,
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error a handler raises with its status and code already decided. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, path?: string) {
    super(message);
    this.code = code;
    this.path = path;
  }

  get statusCode(): number {
    return ERROR_CODES[this.code];
  }
}

/** A request part that failed its zod schema: the problems with the workspace file's paths. */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  readonly problems: Problem[];
  validationContext?: string;

  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('; '));
    this.problems = problems;
  }
}

/** How far down a workspace file a request body's object sits (`segments[i]`). */
const BODY_DEPTH = 2;

/**
 * Validates every request part with its zod schema (the workspace file's schemas for bodies), so
 * the API reports the same problems at the same paths as `outflow validate`.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data: unknown) => {
    // A body is an object of the workspace file (a segment sits at `segments[i]`, two levels
    // down): the file's limits on nesting and NUL bytes apply to it first, as they do in the file.
    const structural = httpPart === 'body' ? structureProblems(data, BODY_DEPTH) : [];
    if (structural.length > 0) return { error: new RequestValidationError(structural) };
    const parsed = schema.safeParse(data);
    if (parsed.success) return { value: parsed.data };
    return { error: new RequestValidationError(zodProblems(parsed.error).map(({ path, message }) => ({ path, message }))) };
  };

/** The status and body an error is answered with. Nothing of an unexpected error leaves the server. */
export function errorReply(err: unknown): { status: number; body: ApiErrorBody } {
  const reply = (code: ErrorCode, message: string, extra: Omit<ApiErrorBody['error'], 'code' | 'message'> = {}) => ({
    status: ERROR_CODES[code],
    body: { error: { code, message, ...extra } },
  });
  if (err instanceof ApiError) return reply(err.code, err.message, err.path !== undefined ? { path: err.path } : {});
  if (err instanceof RequestValidationError || err instanceof UserInputError) {
    const [first] = err.problems;
    const where = err instanceof RequestValidationError && err.validationContext && err.validationContext !== 'body' ? err.validationContext : undefined;
    const message = err.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
    return reply('invalid_input', where ? `${where}: ${message}` : message, first?.path ? { path: first.path } : {});
  }
  if (err instanceof OpenRunError) return reply('conflict', err.message, { openRunId: err.openRunId });
  if (err instanceof ConflictError) return reply('conflict', err.message, err.currentVersion !== undefined ? { currentVersion: err.currentVersion } : {});
  if (err instanceof NotFoundError) return reply('not_found', err.message);
  const fastify = err as Partial<FastifyError>;
  switch (fastify.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply('payload_too_large', 'the request body is larger than the server accepts (1 MB)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply('invalid_input', 'expected a JSON body (Content-Type: application/json)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply('invalid_input', 'the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return reply('invalid_input', 'the body is not valid JSON');
  }
  // JSON the parser refused (syntax, a forbidden __proto__ key): a client error, said plainly.
  if (err instanceof SyntaxError || (fastify.statusCode !== undefined && fastify.statusCode >= 400 && fastify.statusCode < 500))
    return reply('invalid_input', 'the request could not be read: send JSON matching the documented schema');
  return reply('internal', 'internal error; the server log has the details');
}

/** Installs the error and not-found handlers. Unexpected errors are logged, never sent. */
export function installErrorHandling(
  app: FastifyInstance,
  log: (event: string, fields: Record<string, unknown>) => void,
  /** Answers a request no route takes before the 404 does (the web UI's pages); undefined passes. */
  fallback?: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined,
): void {
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = errorReply(err);
    if (status >= 500) log('request_failed', { requestId: request.id, method: request.method, route: request.routeOptions.url, error: errorSummary(err) });
    return reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    fallback?.(request, reply) ??
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } } satisfies ApiErrorBody),
  );
}

/** An error for the server's own log: its name and message, and the chain of causes. */
export function errorSummary(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) parts.push(`${e.name}: ${e.message}`);
  return parts.join(' <- ') || String(err);
}
