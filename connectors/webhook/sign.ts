import { createHmac } from 'node:crypto';

/**
 * The webhook signature: `X-Outflow-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
 * HMAC-SHA256, keyed with the destination's `signingSecret`, over `<t>.<raw body>` (the timestamp,
 * a full stop, then the body bytes exactly as sent). A receiver recomputes it over the body it
 * read, compares in constant time, and refuses a timestamp older than its tolerance (replays).
 */
export const SIGNATURE_HEADER = 'x-outflow-signature';

/** The header value for `body` sent at `unixSeconds`. */
export function signatureHeader(secret: string, unixSeconds: number, body: string | Buffer): string {
  const hex = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${hex}`;
}


