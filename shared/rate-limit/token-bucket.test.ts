import { describe, expect, it } from 'vitest';
import { createBucket, tryTake } from './token-bucket.ts';

describe('token bucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const limits = { ratePerSecond: 10, burst: 3 };
    const bucket = createBucket(limits, 0);
    expect([
      tryTake(bucket, limits, 0),
      tryTake(bucket, limits, 0),
      tryTake(bucket, limits, 0),
      tryTake(bucket, limits, 0),
    ]).toEqual([true, true, true, false]);
    expect(tryTake(bucket, limits, 50)).toBe(false); // half a token
    expect(tryTake(bucket, limits, 100)).toBe(true);
    expect(tryTake(bucket, limits, 100)).toBe(false);
  });

  it('never holds more than the burst', () => {
    const limits = { ratePerSecond: 1000, burst: 2 };
    const bucket = createBucket(limits, 0);
    const taken = [0, 1, 2, 3].map(() => tryTake(bucket, limits, 60_000));
    expect(taken).toEqual([true, true, false, false]);
  });

  it('does not refill when the clock goes backwards', () => {
    const limits = { ratePerSecond: 1, burst: 1 };
    const bucket = createBucket(limits, 10_000);
    expect(tryTake(bucket, limits, 10_000)).toBe(true);
    expect(tryTake(bucket, limits, 5_000)).toBe(false);
  });
});
