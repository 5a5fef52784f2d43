import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { chiSquareUniform } from '../../testing/statistics.ts';
import { sampleUniformBelow, sampleUniformBigBelow } from './uniform.ts';

function bucketCounts(n: number, buckets: number, draw: () => number): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (let i = 0; i < n; i++) {
    const b = draw();
    counts[b] = (counts[b] as number) + 1;
  }
  return counts;
}

describe('uniform samplers', () => {
  it('n = 10 (the uniformInt path) passes χ² on 10^6 draws', () => {
    const rng = new SeededRandomSource('uniform-10');
    const result = chiSquareUniform(bucketCounts(1_000_000, 10, () => sampleUniformBelow(rng, 10)));
    expect(result.statistic).toBeLessThan(result.critical);
  });

  it('a bound between 2^32 and 2^53 (the 53-bit number path) passes χ² over 10 equal bins', () => {
    const rng = new SeededRandomSource('uniform-53');
    const width = 2 ** 36 + 1;
    const result = chiSquareUniform(
      bucketCounts(500_000, 10, () => Math.floor(sampleUniformBelow(rng, 10 * width) / width)),
    );
    expect(result.statistic).toBeLessThan(result.critical);
  });

  it('a bound above 2^53 (the byte-rejection BigInt path) passes χ² over 10 equal bins', () => {
    const rng = new SeededRandomSource('uniform-big');
    const width = 2n ** 70n + 1n;
    const result = chiSquareUniform(
      bucketCounts(200_000, 10, () => Number(sampleUniformBigBelow(rng, 10n * width) / width)),
    );
    expect(result.statistic).toBeLessThan(result.critical);
  });

  it('stays in range at the edges and rejects empty ranges', () => {
    const rng = new SeededRandomSource(1);
    expect(sampleUniformBigBelow(rng, 1n)).toBe(0n);
    const top = 2n ** 64n - 1n;
    for (let i = 0; i < 1000; i++) {
      const x = sampleUniformBigBelow(rng, top);
      expect(x >= 0n && x < top).toBe(true);
    }
    expect(() => sampleUniformBigBelow(rng, 0n)).toThrow(RangeError);
    expect(() => sampleUniformBelow(rng, 2 ** 53)).toThrow(RangeError);
  });

  it('is a χ²-detectable failure when the draw is biased (the test has power)', () => {
    const rng = new SeededRandomSource('biased');
    // x mod 10 over 0..11 over-weights 0 and 1: the same check must reject it.
    const result = chiSquareUniform(bucketCounts(1_000_000, 10, () => sampleUniformBelow(rng, 12) % 10));
    expect(result.statistic).toBeGreaterThan(result.critical);
  });
});
