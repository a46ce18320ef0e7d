import { normalizeEmail, normalizeMobileAdId } from './normalize';
import { Invalid, type IdentityRules } from './rules';

/**
 * Reddit custom audiences (Ads API v3), reference §1.2 and §9.
 * - EMAIL_SHA256: trim + lowercase; in the local part, everything from the first `+` goes, then
 *   every non-alphanumeric character (dots too), for any domain: `Al.ice$+Apple@Example.Com` ->
 *   `alice@example.com` (Reddit's Pixel/CAPI rule, applied to audiences by Segment and Extract).
 * - MAID_SHA256: an IDFA in upper case, an AAID in lower case, hyphens kept. The warehouse value
 *   does not say which it is: an id written without lowercase letters is read as an IDFA (iOS
 *   reports IDFAs in upper case), any other as an AAID.
 */
export const REDDIT_IDENTITY: IdentityRules = {
  platform: 'reddit',
  fields: {
    email: { hashed: true, normalize: redditEmail },
    mobileAdId: { hashed: true, normalize: redditMaid },
  },
};

/** Reddit's email canonicalisation (see above). */
export function redditEmail(value: string): string | Invalid {
  const email = normalizeEmail(value);
  if (email instanceof Invalid) return email;
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at).replace(/\+.*$/, '').replace(/[^a-z0-9]/g, '');
  return local === '' ? new Invalid('email: no letters or digits before the @') : `${local}${email.slice(at)}`;
}

function redditMaid(value: string): string | Invalid {
  const id = normalizeMobileAdId(value);
  if (id instanceof Invalid) return id;
  return /[a-z]/.test(value) ? id : id.toUpperCase();
}
