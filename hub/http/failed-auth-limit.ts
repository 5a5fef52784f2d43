import type { HttpApp } from '../../shared/http/mod.ts';
import { createBucket, tryTake, type BucketLimits, type TokenBucket } from '../../shared/rate-limit/token-bucket.ts';
import { errorBody } from '../../shared/http/error-mapping.ts';

/**
 * Brute force on the hub's bearer tokens (shopper, admin, technician; docs/security.md): every
 * 401 takes a token from the client address's bucket, and an address whose bucket is empty gets
 * 429 with Retry-After for every request until it refills — a wrong token, a right one or none.
 * Tokens are 128-bit random and compared in constant time (api-server.ts), so the limit is
 * defence in depth: at the default 30 a minute, an address tries 43,200 tokens a day out of 2¹²⁸.
 * A well-behaved app never sees it (one 401 after its token was revoked).
 */

export interface FailedAuthLimits {
  /** Refused credentials an address may present per minute, on average. */
  readonly perMinute: number;
  /** …and in a burst. */
  readonly burst: number;
}

/** Addresses tracked at most; full buckets (idle addresses) are dropped first. */
const MAX_ADDRESSES = 50_000;

export function installFailedAuthLimit(app: HttpApp, limits: FailedAuthLimits, now: () => number = Date.now): void {
  const bucketLimits: BucketLimits = { ratePerSecond: limits.perMinute / 60, burst: limits.burst };
  const buckets = new Map<string, TokenBucket>();

  function refilled(bucket: TokenBucket, nowMs: number): number {
    const elapsed = Math.max(0, nowMs - bucket.updatedMs);
    return Math.min(bucketLimits.burst, bucket.tokens + (elapsed * bucketLimits.ratePerSecond) / 1000);
  }

  function forgetIdle(nowMs: number): void {
    for (const [address, bucket] of buckets) if (refilled(bucket, nowMs) >= bucketLimits.burst) buckets.delete(address);
    // Still full of attackers: drop the oldest (a Map iterates in insertion order).
    for (const address of buckets.keys()) {
      if (buckets.size < MAX_ADDRESSES) break;
      buckets.delete(address);
    }
  }

  app.addHook('onRequest', (request, reply, done) => {
    const bucket = buckets.get(request.ip);
    if (bucket === undefined) return done();
    const nowMs = now();
    if (refilled(bucket, nowMs) >= 1) return done();
    const waitS = Math.max(1, Math.ceil((1 - refilled(bucket, nowMs)) / bucketLimits.ratePerSecond));
    // Answered here: the request goes no further (a callback hook that replies does not call done).
    void reply
      .code(429)
      .header('retry-after', String(waitS))
      .send({
        error: {
          ...errorBody('AUTH_RATE_LIMITED', `Too many refused credentials from this address; try again in ${waitS} s`)
            .error,
          field: 'authorization',
        },
      });
  });

  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode !== 401) return done();
    const nowMs = now();
    let bucket = buckets.get(request.ip);
    if (bucket === undefined) {
      if (buckets.size >= MAX_ADDRESSES) forgetIdle(nowMs);
      bucket = createBucket(bucketLimits, nowMs);
      buckets.set(request.ip, bucket);
    }
    tryTake(bucket, bucketLimits, nowMs);
    done();
  });
}
