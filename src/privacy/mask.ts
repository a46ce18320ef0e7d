/**
 * Masks identifier values out of a message before it is printed, logged or stored (`sync_runs.error`,
 * API run records, `sync run` output). Warehouses quote the value they choked on ("Could not convert
 * string 'obrien.ava1@example.com' to INT64"); Outflow's own messages never carry values, so what a
 * message quotes in single quotes is treated as a value. Pure and dependency-free: the orchestration
 * (bundled into Temporal's workflow sandbox) uses it.
 *
 * @example
 * maskMessage("Could not convert string 'obrien.ava1@example.com' to INT64") // "Could not convert string '***' to INT64"
 * maskMessage('invalid input syntax for type bigint: "+1 555 123 4567"') // '… for type bigint: "+***"'
 */
export function maskMessage(message: string): string {
  return message
    .replace(QUOTED, "'***'")
    .replace(DOUBLE_QUOTED, (m, inner: string) => (maskValue(inner) === inner ? m : `"${maskValue(inner)}"`))
    .replace(EMAIL, maskEmail);
}

/**
 * One value shown in place of an identifier (dry-run samples, a double-quoted value in a warehouse
 * error): emails masked, and phone numbers. Bare numbers outside quotes are left in messages: ad
 * account and customer ids look like phone numbers.
 */
export function maskValue(value: string): string {
  return value.replace(EMAIL, maskEmail).replace(PHONE, (m) => (digits(m) >= MIN_PHONE_DIGITS ? '+***' : m));
}

/** A SQL string literal, `''` escapes included. */
const QUOTED = /'(?:[^']|'')*'/g;
/** PostgreSQL quotes the value it could not read in double quotes (`invalid input syntax for type integer: "…"`). */
const DOUBLE_QUOTED = /"([^"]*)"/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*/g;
/**
 * A phone number as people type it: digits with spaces, dots, dashes and brackets, optionally a
 * leading `+`, not touching letters, digits or dashes (so ISO timestamps and run ids stay).
 */
const PHONE = /(?<![\w.+-])(?:\+|\(|\b)\d[\d\s().-]*\d(?![\w.-]*\w)/g;
/** Counts in Outflow's messages stay under a phone number's length. */
const MIN_PHONE_DIGITS = 9;

function digits(s: string): number {
  return s.replace(/\D/g, '').length;
}

/** `jane.doe@example.com` -> `j***@e***.com`: the first character, the domain's first, the last label. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  return `${email[0]}***@${domain[0] ?? ''}***${dot > 0 ? domain.slice(dot) : ''}`;
}
