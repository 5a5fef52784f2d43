/**
 * A token bucket (per MQTT client publish rate limit). Pure: time comes in as `nowMs`.
 * The bucket starts full; it refills at `ratePerSecond` up to `burst` tokens.
 */
export interface TokenBucket {
  tokens: number;
  updatedMs: number;
}

export interface BucketLimits {
  ratePerSecond: number;
  burst: number;
}

export function createBucket(limits: BucketLimits, nowMs: number): TokenBucket {
  return { tokens: limits.burst, updatedMs: nowMs };
}

/** Takes one token if there is one; returns false (and takes nothing) when the bucket is empty. */
export function tryTake(bucket: TokenBucket, limits: BucketLimits, nowMs: number): boolean {
  const elapsed = Math.max(0, nowMs - bucket.updatedMs);
  bucket.tokens = Math.min(limits.burst, bucket.tokens + (elapsed * limits.ratePerSecond) / 1000);
  bucket.updatedMs = nowMs;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
