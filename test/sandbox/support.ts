import { createHash } from 'node:crypto';

/** Helpers for driving the sandbox fakes with plain HTTP, as a platform's docs describe it. */

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** `mary@example.com` → its SHA-256, the test vector Meta publishes (reference §3). */
export const MARY_SHA256 = 'f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79';

export interface JsonReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function send(url: string, init: RequestInit = {}): Promise<JsonReply> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** A refresh-token grant at an OAuth2 token endpoint; returns the access token. */
export async function refreshGrant(tokenUrl: string, client: { clientId: string; clientSecret: string; refreshToken: string }): Promise<string> {
  const r = await send(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: client.refreshToken }),
  });
  if (r.status !== 200) throw new Error(`token endpoint answered ${r.status}`);
  return r.body.access_token as string;
}
