import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { backoffDelay } from './backoff.ts';

describe('reconnect backoff', () => {
  it('grows exponentially to the cap, with jitter in the upper half of each step', () => {
    const rng = new SeededRandomSource('backoff');
    const settings = { minMs: 1000, maxMs: 60_000 };
    for (let attempt = 0; attempt < 12; attempt++) {
      const step = Math.min(60_000, 1000 * 2 ** attempt);
      const delays = Array.from({ length: 200 }, () => backoffDelay(attempt, settings, rng));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(step - Math.floor(step / 2));
      expect(Math.max(...delays)).toBeLessThanOrEqual(step);
      expect(new Set(delays).size).toBeGreaterThan(1);
    }
    expect(() => backoffDelay(-1, settings, rng)).toThrow(/attempt is -1/);
  });
});
