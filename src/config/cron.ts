import { createRequire } from 'node:module';
import type { CronExpressionParser } from 'cron-parser';

/** cron-parser (with its date library) loads only when a workspace has a schedule to check. */
let parser: typeof CronExpressionParser | undefined;
function cronParser(): typeof CronExpressionParser {
  parser ??= (createRequire(import.meta.url)('cron-parser') as { CronExpressionParser: typeof CronExpressionParser }).CronExpressionParser;
  return parser;
}

const FIELDS = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const EXAMPLE = 'a 5-field cron expression in UTC, such as "0 6 * * *" (minute hour day-of-month month day-of-week)';

/**
 * Checks a 5-field cron expression; returns what is wrong, naming the field, or undefined. Each
 * field is checked on its own (the others `*`) so cron-parser's message can be pinned to it.
 */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `expected ${EXAMPLE}; got ${fields.length} field${fields.length === 1 ? '' : 's'}`;
  for (const [i, field] of fields.entries()) {
    const alone = FIELDS.map((_, j) => (j === i ? field : '*')).join(' ');
    const problem = parseError(alone);
    if (problem !== undefined) return `the ${FIELDS[i]} field ${JSON.stringify(field)} is invalid: ${problem}`;
  }
  const whole = parseError(expr);
  return whole === undefined ? undefined : `${JSON.stringify(expr)} never matches a date (${whole})`;
}

function parseError(expr: string): string | undefined {
  try {
    cronParser().parse(expr, { tz: 'UTC', strict: false });
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^(Constraint|Validation) error, /, '');
  }
}
