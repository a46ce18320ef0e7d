import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OAuth 1.0a request signatures (RFC 5849 §3.4), computed here with node:crypto so that the X fake
 * checks a connector's signing library against an independent implementation.
 *
 * @example
 * const header = parseOAuthHeader(req.headers.authorization);        // { oauth_consumer_key: …, … }
 * const base = signatureBaseString('POST', 'http://127.0.0.1:5000/12/accounts/1/custom_audiences', params);
 * hmacSha1Signature(base, consumerSecret, tokenSecret);             // 'hCtSmYh+iHYCEqBWrE7C7hYmtUk='
 */

/** RFC 3986 percent-encoding as RFC 5849 §3.6 asks: everything but unreserved characters. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The parameters of an `Authorization: OAuth …` header, decoded; undefined when it is not one. */
export function parseOAuthHeader(header: string | string[] | undefined): Record<string, string> | undefined {
  if (typeof header !== 'string' || !/^OAuth\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_.~%-]+)="([^"]*)"/g;
  let m: RegExpExecArray | null;
  try {
    while ((m = re.exec(header.slice(6))) !== null) params[decodeURIComponent(m[1] as string)] = decodeURIComponent(m[2] as string);
  } catch {
    return undefined;
  }
  return params;
}

/**
 * The signature base string (§3.4.1): method, base URI and the normalised parameters (§3.4.1.3.2:
 * each name and value encoded, sorted by name then value, joined with `=` and `&`).
 */
export function signatureBaseString(method: string, baseUri: string, params: readonly (readonly [string, string])[]): string {
  const normalised = params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return [method.toUpperCase(), percentEncode(baseUri), percentEncode(normalised)].join('&');
}

/** HMAC-SHA1 over the base string with key `consumerSecret&tokenSecret` (§3.4.2), base64. */
export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret: string): string {
  return createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(baseString).digest('base64');
}

/** Constant-time comparison of two signatures. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
