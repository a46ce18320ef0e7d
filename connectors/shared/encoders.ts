import { META_IDENTITY } from '../../src/identity/meta';
import { LINKEDIN_IDENTITY } from '../../src/identity/linkedin';
import { MICROSOFT_ADS_IDENTITY } from '../../src/identity/microsoft-ads';
import { PINTEREST_IDENTITY } from '../../src/identity/pinterest';
import { REDDIT_IDENTITY } from '../../src/identity/reddit';
import { X_IDENTITY } from '../../src/identity/x';
import { STACKADAPT_IDENTITY } from '../../src/identity/stackadapt';
import { SNAPCHAT_IDENTITY } from '../../src/identity/snapchat';
import { VIANT_IDENTITY } from '../../src/identity/viant';
import { TIKTOK_IDENTITY } from '../../src/identity/tiktok';
import { googleKeysOf } from '../google-ads/keys';
import { META_USERS_ENCODER } from '../meta/encode';
import { keysEncoder, keysEncoderOf } from './keys';

/**
 * Every payload encoder a worker thread can run, by name: only the name and the packed rows cross
 * to the worker (encode-pool.ts), and both sides run the very same code. `<platform>_keys` are
 * the prepareKeys encoders (keys.ts).
 */
export const ENCODERS = {
  meta_users: META_USERS_ENCODER,
  // Country and zip alone match nobody on Meta: a row needs at least one identifying key.
  meta_keys: keysEncoder(META_IDENTITY, (k) => k.email ?? k.phone ?? k.mobileAdId ?? k.externalId ?? (k.firstName && k.lastName)),
  google_ads_keys: keysEncoderOf(googleKeysOf),
  // A name or a country alone matches nobody on LinkedIn: a row needs an email or both names.
  linkedin_keys: keysEncoder(LINKEDIN_IDENTITY, (k) => k.email !== undefined || (k.firstName !== undefined && k.lastName !== undefined)),
  microsoft_ads_keys: keysEncoder(MICROSOFT_ADS_IDENTITY),
  tiktok_keys: keysEncoder(TIKTOK_IDENTITY),
  snapchat_keys: keysEncoder(SNAPCHAT_IDENTITY),
  pinterest_keys: keysEncoder(PINTEREST_IDENTITY),
  reddit_keys: keysEncoder(REDDIT_IDENTITY),
  x_keys: keysEncoder(X_IDENTITY),
  stackadapt_keys: keysEncoder(STACKADAPT_IDENTITY),
  viant_keys: keysEncoder(VIANT_IDENTITY),
} as const;

export type EncoderName = keyof typeof ENCODERS;
