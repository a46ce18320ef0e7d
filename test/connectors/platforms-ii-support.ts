import type { FakeReply, FakeRequest } from '../../src/sandbox/fake-server';
import { LinkedInFake } from '../../src/sandbox/linkedin';
import { MicrosoftAdsFake } from '../../src/sandbox/microsoft-ads';
import { PinterestFake } from '../../src/sandbox/pinterest';
import { RedditFake } from '../../src/sandbox/reddit';
import { XFake } from '../../src/sandbox/x';
import { SnapchatFake } from '../../src/sandbox/snapchat';
import { StackAdaptFake } from '../../src/sandbox/stackadapt';
import { ViantFake } from '../../src/sandbox/viant';
import { TikTokFake } from '../../src/sandbox/tiktok';
import type { FakeServerBase } from '../../src/sandbox/fake-server';
import { initialPeople, type Person, sha } from './e2e-support';

/**
 * The LinkedIn, Microsoft Advertising, TikTok, Snapchat, Pinterest, Reddit and X cases of the
 * end-to-end and fault tests: each platform's contract fake, its settings with secrets as `${env:...}` references,
 * and the audience a segment should leave on it, computed with the fake's own expected-key
 * function (written from the reference, independently of the connector).
 */

export type PlatformName = 'linkedin' | 'microsoft_ads' | 'tiktok' | 'snapchat' | 'pinterest' | 'reddit' | 'x' | 'stackadapt' | 'viant';
export const PLATFORMS: PlatformName[] = ['linkedin', 'microsoft_ads', 'tiktok', 'snapchat', 'pinterest', 'reddit', 'x', 'stackadapt', 'viant'];

const validEmail = (p: Person) => (p.email && p.email.includes('@') && p.email.includes('.') ? p.email : undefined);
const validPhone = (p: Person) => (p.phone && p.phone.replace(/\D/g, '').length >= 11 ? p.phone : undefined);

/** A LinkedIn fake that refuses, element by element, the emails whose hash is in `rejected` (a bad idValue, as LinkedIn would answer it). */
export class RejectingLinkedInFake extends LinkedInFake {
  readonly rejected = new Set<string>();
  protected override handleApi(req: FakeRequest): FakeReply {
    const elements = (req.body as { elements?: { userIds?: { idValue: string }[] }[] } | undefined)?.elements;
    if (req.path.endsWith('/users') && Array.isArray(elements))
      for (const e of elements) for (const id of e.userIds ?? []) if (this.rejected.has(id.idValue)) id.idValue = 'refused';
    return super.handleApi(req);
  }
}

/** A Microsoft Advertising fake that answers 8004 for the items in `rejected` (a PartialError at the item's index). */
export class RejectingMicrosoftAdsFake extends MicrosoftAdsFake {
  readonly rejected = new Set<string>();
  protected override handleApi(req: FakeRequest): FakeReply {
    const data = (req.body as { CustomerListUserData?: { CustomerListItems?: string[] } } | undefined)?.CustomerListUserData;
    if (req.path.endsWith('/Apply') && Array.isArray(data?.CustomerListItems)) data.CustomerListItems = data.CustomerListItems.map((item) => (this.rejected.has(item) ? 'plain text' : item));
    return super.handleApi(req);
  }
}

/** A Reddit fake that finds the emails whose hash is in `rejected` invalid (a bad cell: Reddit refuses the request and names the row). */
export class RejectingRedditFake extends RedditFake {
  readonly rejected = new Set<string>();
  protected override handleApi(req: FakeRequest): FakeReply {
    const rows = (req.body as { data?: { user_data?: string[][] } } | undefined)?.data?.user_data;
    if (req.path.endsWith('/users') && Array.isArray(rows)) for (const row of rows) row.forEach((cell, j) => this.rejected.has(cell) && (row[j] = 'refused'));
    return super.handleApi(req);
  }
}

/** An X fake that finds the emails whose hash is in `rejected` invalid (a bad email value, as X would answer it: the request fails with indexed operation_errors). */
export class RejectingXFake extends XFake {
  readonly rejected = new Set<string>();
  protected override handle(req: FakeRequest): FakeReply {
    if (req.path.endsWith('/users') && Array.isArray(req.body))
      for (const op of req.body as { params?: { users?: { email?: string[] }[] } }[])
        for (const u of op.params?.users ?? []) if (u.email?.some((e) => this.rejected.has(e))) u.email = ['refused'];
    return super.handle(req);
  }
}

/**
/** A StackAdapt fake that finds the emails in `rejected` (normalised) invalid: a userError at the profile's index, the others applied. */
export class RejectingStackAdaptFake extends StackAdaptFake {
  readonly rejected = new Set<string>();
  protected override handle(req: FakeRequest): FakeReply {
    const body = req.body as { query?: string } | undefined;
    // The profiles travel as JSON inside a GraphQL string literal: an email appears there as it is.
    if (typeof body?.query === 'string') for (const email of this.rejected) body.query = body.query.split(email).join('refused');
    return super.handle(req);
  }
}

/** A Viant fake that names the values in `rejected` as bad records (the others are published). */
export class RejectingViantFake extends ViantFake {
  readonly rejected = new Set<string>();
  protected override recordProblem(value: unknown, dataType: Parameters<ViantFake['recordProblem']>[1]): string | undefined {
    return typeof value === 'string' && this.rejected.has(value) ? 'invalid record' : super.recordProblem(value, dataType);
  }
}

/**
 * Every fake here processes uploads at once (in life minutes to 48 hours), so the read-back after
 * a run shows the audience's size and, below the platform's minimum, the warning.
 */
export interface PlatformCase {
  name: PlatformName;
  fake: FakeServerBase & { revokeToken(): void; members(id: string): Set<string>; requests: { path: string }[] };
  /** The destination's settings, secrets as `${env:...}`, and the environment that fills them. */
  settings(): Record<string, unknown>;
  env: Record<string, string>;
  /** Values no log line may hold. */
  secrets: string[];
  /** Text that marks an issued access token. */
  tokenPrefix?: RegExp;
  people: () => Person[];
  /** Identifier kinds the sync sends from the entity's email and phone (a changed phone is no change without phone). */
  kinds: ('email' | 'phone')[];
  /** The members the fake should hold for these people (the VIPs' keys). */
  expected(people: readonly Person[]): Set<string>;
  /** The fake's audience of the sync. */
  audience(): Set<string>;
  /** A path part of the upload calls (faults aim there). */
  uploadPath: string;
  /** How errors name the destination (`dest` is its id in these tests). */
  label: RegExp;
  /** What a rate-limited call waits: the platform's own signal, when it has one. */
  throttleWaitMs?: number;
  /** How far the wait may be from `throttleWaitMs` (X announces the epoch second its window resets). */
  throttleWaitToleranceMs?: number;
  /** False where the platform documents no minimum size (no warning on the run). */
  minimum?: boolean;
  /** Refuses a person's email at the platform, row by row, and the reason the run shows; undefined where the platform reports no per-row result. */
  rejectEmail?: (p: Person) => string;
}

/** 1,200 people for TikTok (an audience is created from 1,000 entries), the usual 30 elsewhere. */
function people(n: number): () => Person[] {
  return () => {
    const base = initialPeople();
    const more = Array.from({ length: Math.max(0, n - base.length) }, (_, k) => {
      const i = base.length + k;
      return { id: `p${String(i).padStart(4, '0')}`, email: `Member${i}@Example.com`, phone: `+1 (646) 555-${String(1000 + (i % 9000))}`, vip: i % 10 !== 9 };
    });
    return [...base, ...more];
  };
}

/** Reddit's canonical email (reference §9), written out here for the refused-row test. */
const reddit = (email: string) => {
  const lower = email.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  return `${lower.slice(0, at).replace(/\+.*$/, '').replace(/[^a-z0-9]/g, '')}${lower.slice(at)}`;
};

const keysOf = (people: readonly Person[], keys: (p: Person) => (string | undefined)[]) => {
  const out = new Set<string>();
  for (const p of people) if (p.vip) for (const k of keys(p)) if (k) out.add(k);
  return out;
};

export function platformCase(name: PlatformName, extra: Record<string, unknown> = {}): PlatformCase {
  switch (name) {
    case 'linkedin': {
      const fake = new RejectingLinkedInFake({ readsUntilProcessed: 0 });
      const c = fake.tokens.client;
      return {
        name,
        fake,
        settings: () => ({ ...fake.settings({ elementsPerRequest: 4, concurrency: 2, segmentReadyDelayMs: 0, ...extra }), clientSecret: '${env:T_SECRET}', refreshToken: '${env:T_REFRESH}' }),
        env: { T_SECRET: c.clientSecret, T_REFRESH: c.refreshToken },
        secrets: [c.clientSecret, c.refreshToken],
        tokenPrefix: /AQsandbox-/,
        people: people(30),
        kinds: ['email'],
        expected: (ps) => keysOf(ps, (p) => [validEmail(p) && LinkedInFake.expectedTuple({ email: validEmail(p)! })]),
        audience: () => fake.members(fake.segmentsNamed('aud-vips')[0]?.audience.id ?? ''),
        uploadPath: '/users',
        label: /^LinkedIn destination "dest" \(ad account 508000001\)/,
        rejectEmail: (p) => (fake.rejected.add(sha(p.email!.trim().toLowerCase())), 'LinkedIn rejected the element (status 400)'),
      };
    }
    case 'microsoft_ads': {
      const fake = new RejectingMicrosoftAdsFake({ readsUntilProcessed: 0 });
      const c = fake.tokens.client;
      return {
        name,
        fake,
        settings: () => ({ ...fake.settings({ itemsPerCall: 4, concurrency: 2, ...extra }),
          clientSecret: '${env:T_SECRET}',
          refreshToken: '${env:T_REFRESH}',
          developerToken: '${env:T_DEV}',
        }),
        env: { T_SECRET: c.clientSecret, T_REFRESH: c.refreshToken, T_DEV: fake.developerToken },
        secrets: [c.clientSecret, c.refreshToken, fake.developerToken],
        tokenPrefix: /EwBsandbox-/,
        people: people(30),
        kinds: ['email'],
        expected: (ps) => keysOf(ps, (p) => [validEmail(p) && MicrosoftAdsFake.expectedKey('email', validEmail(p)!)]),
        audience: () => fake.members(fake.listByName('aud-vips')?.audience.id ?? ''),
        uploadPath: '/Apply',
        label: /^Microsoft Advertising destination "dest" \(account 180000001\)/,
        throttleWaitMs: 60_000,
        rejectEmail: (p) => (fake.rejected.add(sha(p.email!.trim().toLowerCase())), 'Microsoft Advertising rejected the item: EmailMustBeHashed (8004)'),
      };
    }
    case 'tiktok': {
      // TikTok takes updates only once an audience is valid (hours, in life).
      const fake = new TikTokFake({ readsUntilProcessed: 0 });
      return {
        name,
        fake,
        settings: () => ({ ...fake.settings(extra), accessToken: '${env:T_TOKEN}' }),
        env: { T_TOKEN: fake.accessToken },
        secrets: [fake.accessToken],
        people: people(1_200),
        kinds: ['email', 'phone'],
        expected: (ps) => keysOf(ps, (p) => [validEmail(p) && TikTokFake.expectedKey('email', validEmail(p)!)]),
        audience: () => fake.members(fake.audiencesNamed('aud-vips')[0]?.audience.id ?? ''),
        uploadPath: '/file/upload',
        label: /^TikTok destination "dest" \(advertiser 7100000000000000001\)/,
      };
    }
    case 'snapchat': {
      const fake = new SnapchatFake({ readsUntilProcessed: 0 });
      const c = fake.tokens.client;
      return {
        name,
        fake,
        settings: () => ({ ...fake.settings({ identifiersPerRequest: 9, concurrency: 2, ...extra }), clientSecret: '${env:T_SECRET}', refreshToken: '${env:T_REFRESH}' }),
        env: { T_SECRET: c.clientSecret, T_REFRESH: c.refreshToken },
        secrets: [c.clientSecret, c.refreshToken],
        tokenPrefix: /snap-sandbox-/,
        people: people(30),
        kinds: ['email', 'phone'],
        expected: (ps) =>
          keysOf(ps, (p) => [validEmail(p) && SnapchatFake.expectedKey('email', validEmail(p)!), validPhone(p) && SnapchatFake.expectedKey('phone', validPhone(p)!)]),
        audience: () => fake.members(fake.segmentsNamed('aud-vips')[0]?.audience.id ?? ''),
        uploadPath: '/users',
        label: /^Snapchat destination "dest" \(ad account 8adc3db7-8148-4fbf-999c-000000000001\)/,
      };
    }
    case 'pinterest': {
      const fake = new PinterestFake({ readsUntilProcessed: 0 });
      const c = fake.tokens.client;
      return {
        name,
        fake,
        settings: () => ({ ...fake.settings({ recordsPerRequest: 4, concurrency: 1, ...extra }), clientSecret: '${env:T_SECRET}', refreshToken: '${env:T_REFRESH}' }),
        env: { T_SECRET: c.clientSecret, T_REFRESH: c.refreshToken },
        secrets: [c.clientSecret, c.refreshToken],
        tokenPrefix: /pina-sandbox-/,
        people: people(30),
        kinds: ['email'],
        expected: (ps) => keysOf(ps, (p) => [validEmail(p) && PinterestFake.expectedKey('email', validEmail(p)!)]),
        audience: () => fake.members(fake.customerListsNamed('aud-vips')[0]?.audience.id ?? ''),
        // The list's own path: an update, or a read of it (not the find, nor the create).
        uploadPath: '/customer_lists/',
        label: /^Pinterest destination "dest" \(ad account 549755885175\)/,
        // Pinterest's x-ratelimit-reset: the fake's window resets in 60 seconds.
        throttleWaitMs: 60_000,
      };
    }
    case 'reddit': {
      const fake = new RejectingRedditFake({ readsUntilProcessed: 0 });
      const c = fake.tokens.client;
      return {
        name,
        fake,
        settings: () => ({ ...fake.settings({ rowsPerRequest: 4, concurrency: 1, ...extra }), clientSecret: '${env:T_SECRET}', refreshToken: '${env:T_REFRESH}' }),
        env: { T_SECRET: c.clientSecret, T_REFRESH: c.refreshToken },
        secrets: [c.clientSecret, c.refreshToken],
        tokenPrefix: /reddit-sandbox-/,
        people: people(30),
        kinds: ['email'],
        expected: (ps) => keysOf(ps, (p) => [validEmail(p) && RedditFake.expectedKey('email', validEmail(p)!)]),
        audience: () => fake.members(fake.customAudiencesNamed('aud-vips')[0]?.audience.id ?? ''),
        uploadPath: '/users',
        label: /^Reddit destination "dest" \(ad account a2_sandbox000001\)/,
        // Reddit's x-ratelimit-reset: the fake's window resets in 60 seconds.
        throttleWaitMs: 60_000,
        rejectEmail: (p) => (fake.rejected.add(sha(reddit(p.email!))), 'Reddit rejected the row: invalid EMAIL_SHA256'),
      };
    }
    case 'x': {
      const fake = new RejectingXFake({ readsUntilProcessed: 0 });
      const k = fake.credentials;
      return {
        name,
        fake,
        settings: () => ({
          ...fake.settings({ usersPerRequest: 4, usersPerOperation: 2, concurrency: 1, ...extra }),
          consumerSecret: '${env:T_CSECRET}',
          accessToken: '${env:T_TOKEN}',
          accessTokenSecret: '${env:T_TSECRET}',
        }),
        env: { T_CSECRET: k.consumerSecret, T_TOKEN: k.accessToken, T_TSECRET: k.accessTokenSecret },
        secrets: [k.consumerSecret, k.accessToken, k.accessTokenSecret],
        people: people(30),
        kinds: ['email'],
        expected: (ps) => keysOf(ps, (p) => [validEmail(p) && XFake.expectedKey('email', validEmail(p)!)]),
        audience: () => fake.members(fake.customAudiencesNamed('aud-vips')[0]?.audience.id ?? ''),
        uploadPath: '/users',
        label: /^X destination "dest" \(ads account 18ce54sandbox\)/,
        // x-rate-limit-reset: the epoch second the fake's window resets, 60 seconds on.
        throttleWaitMs: 60_000,
        throttleWaitToleranceMs: 2_000,
        rejectEmail: (p) => (fake.rejected.add(sha(p.email!.trim().toLowerCase())), 'X rejected the user: INVALID_PARAMETER on email'),
      };
    }
    case 'stackadapt': {
      const fake = new RejectingStackAdaptFake();
      // The profile's userId: the SHA-256 of the email as StackAdapt keeps it (no external id in these tests).
      const userId = (p: Person) => sha(StackAdaptFake.expectedKey('email', validEmail(p)!)!);
      return {
        name,
        fake,
        settings: () => ({ ...fake.settings({ profilesPerRequest: 4, concurrency: 1, ...extra }), apiKey: '${env:T_TOKEN}' }),
        env: { T_TOKEN: fake.apiKey },
        secrets: [fake.apiKey],
        people: people(30),
        kinds: ['email'],
        expected: (ps) => keysOf(ps, (p) => [validEmail(p) && userId(p)]),
        audience: () => fake.members('aud-vips'),
        uploadPath: '/graphql',
        label: /^StackAdapt destination "dest" \(advertiser 91001\)/,
        minimum: false,
        rejectEmail: (p) => (fake.rejected.add(StackAdaptFake.expectedKey('email', p.email!)!), 'StackAdapt rejected the profile: email is not an email address'),
      };
    }
    case 'viant': {
      const fake = new RejectingViantFake({ readsUntilProcessed: 0 });
      return {
        name,
        fake,
        settings: () => ({ ...fake.settings({ valuesPerRequest: 4, concurrency: 1, ...extra }), accessToken: '${env:T_TOKEN}' }),
        env: { T_TOKEN: fake.accessToken },
        secrets: [fake.accessToken],
        people: people(30),
        kinds: ['email'],
        expected: (ps) => keysOf(ps, (p) => [validEmail(p) && ViantFake.expectedKey('email', validEmail(p)!)]),
        audience: () => fake.members(fake.segmentsNamed('aud-vips')[0]?.audience.id ?? ''),
        uploadPath: '/data',
        label: /^Viant destination "dest" \(account 4100\)/,
        rejectEmail: (p) => (fake.rejected.add(sha(p.email!.trim().toLowerCase())), 'Viant rejected the record (bad record)'),
      };
    }
  }
}
