/**
 * Errors the store's repositories raise for the API to map (SPEC §6): ConflictError -> 409
 * `conflict`, NotFoundError -> 404 `not_found`. Bad input is a UserInputError (400
 * `invalid_input`, with a path relative to the request body), as in the rest of Outflow.
 *
 * @example
 * try { await store.segments.update('vips', body, { version: 3, actor }); }
 * catch (err) { if (err instanceof ConflictError) reply.code(409).send({ error: { code: err.code, message: err.message } }); }
 */
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';
  readonly code = 'conflict' as const;
  /** The object's version in the store, when the conflict is a stale version. */
  readonly currentVersion: number | undefined;

  constructor(message: string, currentVersion?: number) {
    super(message);
    this.currentVersion = currentVersion;
  }
}

/** A change through the API to an object the workspace file owns; a conflict (409) by SPEC §6. */
export class ManagedByFileError extends ConflictError {
  override readonly name = 'ManagedByFileError';
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found' as const;
}
