/**
 * The create rate limit as a token bucket: it holds at most one second's worth of creates
 * (`perSecond`), refills continuously, and a create of `count` instances takes `count` tokens. Pure:
 * the quota store keeps the bucket in the tenant's quota record and writes it with a compare-and-set.
 */

export interface TokenBucket {
  /** Tokens available at `refilledAt`. */
  readonly tokens: number;
  readonly refilledAt: number;
}

export type TakeTokens =
  | { readonly taken: true; readonly bucket: TokenBucket }
  /** `retryAfterMs` is when enough tokens will be there; `never` when `count` exceeds what the bucket holds. */
  | { readonly taken: false; readonly retryAfterMs: number; readonly never: boolean };

/** A bucket as full as it may be. */
export const fullBucket = (perSecond: number, now: number): TokenBucket => ({ tokens: perSecond, refilledAt: now });

/**
 * The bucket at `now`. Gateways' clocks differ a little: time that seems to run backwards (another
 * gateway wrote from a clock ahead of this one) adds nothing rather than taking tokens away.
 */
export function refill(bucket: TokenBucket, perSecond: number, now: number): TokenBucket {
  const elapsedMs = Math.max(0, now - bucket.refilledAt);
  // A lowered limit caps the bucket at once; a raised one fills at the new rate.
  const tokens = Math.min(perSecond, bucket.tokens + (elapsedMs * perSecond) / 1_000);
  return { tokens, refilledAt: Math.max(now, bucket.refilledAt) };
}

export function takeTokens(bucket: TokenBucket, count: number, perSecond: number, now: number): TakeTokens {
  const current = refill(bucket, perSecond, now);
  if (count > perSecond) return { taken: false, retryAfterMs: 1_000, never: true };
  if (current.tokens >= count) return { taken: true, bucket: { ...current, tokens: current.tokens - count } };
  const retryAfterMs = Math.ceil(((count - current.tokens) * 1_000) / perSecond) + Math.max(0, current.refilledAt - now);
  return { taken: false, retryAfterMs, never: false };
}
