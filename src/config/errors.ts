/**
 * Errors caused by the user's input (workspace file, flags, arguments). The CLI prints them
 * without a stack trace and exits 2. Anything else is a bug or an outage and exits 1.
 */
export interface Problem {
  /** The file the bad value came from, when there is one. */
  file?: string;
  /** Path inside the file, e.g. `segments[2].rules.conditions[0].count.op`. */
  path: string;
  message: string;
  /** 1-based line and column of the value in the file, when known. */
  line?: number;
  column?: number;
}

export class UserInputError extends Error {
  override readonly name = 'UserInputError';
  readonly problems: Problem[];

  constructor(problems: Problem[] | string) {
    const list = typeof problems === 'string' ? [{ path: '', message: problems }] : problems;
    super(list.map(formatProblem).join('\n'));
    this.problems = list;
  }
}

export function formatProblem(p: Problem): string {
  const where = [p.file, p.line !== undefined ? `${p.line}:${p.column ?? 1}` : undefined].filter(Boolean).join(':');
  const prefix = [where, p.path].filter(Boolean).join(': ');
  return prefix ? `${prefix}: ${p.message}` : p.message;
}

/** Formats a path as `segments[2].rules.conditions[0].count.op`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
