import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { chiSquareTest, tally } from '../../testing/statistics.ts';
import { sampleDiscreteLaplace } from './discrete-laplace.ts';

/** P(x) = (1 − q)/(1 + q)·q^{|x|}, q = e^{−1/t}. */
function discreteLaplacePmf(scale: number): (x: number) => number {
  const q = Math.exp(-1 / scale);
  return (x) => ((1 - q) / (1 + q)) * q ** Math.abs(x);
}

describe('discrete Laplace sampler', () => {
  const cases = [
    { name: 'scale 3', num: 3n, den: 1n, n: 1_000_000 },
    { name: 'scale 7/3', num: 7n, den: 3n, n: 1_000_000 },
    { name: 'scale 1/2', num: 1n, den: 2n, n: 1_000_000 },
    { name: 'scale ≈ 3 with 62-bit parts (BigInt path)', num: 3n * 2n ** 60n + 1n, den: 2n ** 60n, n: 1_000_000 },
  ];

  it.each(cases)('$name matches the exact PMF (χ² at α = 1e-6)', ({ num, den, n }) => {
    const rng = new SeededRandomSource(`dlap-${num}/${den}`);
    const scale = Number(num) / Number(den);
    const counts = tally(n, () => sampleDiscreteLaplace(rng, num, den));
    const span = Math.ceil(scale * 40);
    const result = chiSquareTest(counts, n, discreteLaplacePmf(scale), { min: -span, max: span });
    expect(result.statistic).toBeLessThan(result.critical);
    expect(result.bins).toBeGreaterThan(10);
  });

  it('has power: scale-3 draws fail the χ² test against scale 3.1', () => {
    const rng = new SeededRandomSource('dlap-power');
    const n = 1_000_000;
    const counts = tally(n, () => sampleDiscreteLaplace(rng, 3n, 1n));
    const result = chiSquareTest(counts, n, discreteLaplacePmf(3.1), { min: -130, max: 130 });
    expect(result.statistic).toBeGreaterThan(result.critical);
  });

  it('rejects a non-positive scale', () => {
    const rng = new SeededRandomSource(5);
    expect(() => sampleDiscreteLaplace(rng, 0n, 1n)).toThrow(RangeError);
    expect(() => sampleDiscreteLaplace(rng, 1n, 0n)).toThrow(RangeError);
  });
});
