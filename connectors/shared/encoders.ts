import { META_KEYS_ENCODER, META_USERS_ENCODER } from '../meta/encode';

/**
 * Every payload encoder a worker thread can run, by name: only the name and the packed rows cross
 * to the worker (encode-pool.ts), and both sides run the very same code.
 */
export const ENCODERS = {
  meta_users: META_USERS_ENCODER,
  meta_keys: META_KEYS_ENCODER,
} as const;

export type EncoderName = keyof typeof ENCODERS;
