import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../testing/seeded-random.ts';
import { wilsonInterval } from '../../testing/statistics.ts';
import { sampleBernoulliExp, sampleBernoulliRational } from './bernoulli.ts';

function frequency(n: number, draw: () => boolean): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (draw()) hits++;
  return hits;
}

describe('Bernoulli(exp(−γ))', () => {
  const cases = [
    { gamma: '0', num: 0n, den: 1n },
    { gamma: '0.5', num: 1n, den: 2n },
    { gamma: '1', num: 1n, den: 1n },
    { gamma: '2.5', num: 5n, den: 2n },
    { gamma: '7/3', num: 7n, den: 3n },
  ];

  it.each(cases)('γ = $gamma matches e^{−γ} within a Wilson interval at α = 1e-6 (10^6 draws)', ({ num, den }) => {
    const rng = new SeededRandomSource(`exp-${num}/${den}`);
    const n = 1_000_000;
    const hits = frequency(n, () => sampleBernoulliExp(rng, num, den));
    const exact = Math.exp(-Number(num) / Number(den));
    if (num === 0n) {
      expect(hits).toBe(n);
      return;
    }
    const [lo, hi] = wilsonInterval(hits, n);
    expect(exact).toBeGreaterThanOrEqual(lo);
    expect(exact).toBeLessThanOrEqual(hi);
  });

  it('γ = 7/3 given with a numerator and denominator above 2^53 (BigInt path) matches e^{−7/3}', () => {
    const rng = new SeededRandomSource('exp-big');
    const n = 200_000;
    const hits = frequency(n, () => sampleBernoulliExp(rng, 7n * 2n ** 70n, 3n * 2n ** 70n));
    const [lo, hi] = wilsonInterval(hits, n);
    expect(Math.exp(-7 / 3)).toBeGreaterThanOrEqual(lo);
    expect(Math.exp(-7 / 3)).toBeLessThanOrEqual(hi);
  });

  it('rejects a negative γ or a non-positive denominator', () => {
    const rng = new SeededRandomSource(2);
    expect(() => sampleBernoulliExp(rng, -1n, 2n)).toThrow(RangeError);
    expect(() => sampleBernoulliExp(rng, 1n, 0n)).toThrow(RangeError);
  });

  it('has power: e^{−0.55} lies outside the interval measured for γ = 0.5', () => {
    const rng = new SeededRandomSource('exp-power');
    const n = 1_000_000;
    const [lo, hi] = wilsonInterval(
      frequency(n, () => sampleBernoulliExp(rng, 1n, 2n)),
      n,
    );
    expect(Math.exp(-0.55) < lo || Math.exp(-0.55) > hi).toBe(true);
  });
});

describe('Bernoulli(num/den)', () => {
  it('p = 1/3 on the number path and the BigInt path', () => {
    const rng = new SeededRandomSource('rational');
    for (const [num, den, n] of [
      [1n, 3n, 1_000_000],
      [2n ** 70n, 3n * 2n ** 70n, 200_000],
    ] as const) {
      const [lo, hi] = wilsonInterval(
        frequency(n, () => sampleBernoulliRational(rng, num, den)),
        n,
      );
      expect(1 / 3).toBeGreaterThanOrEqual(lo);
      expect(1 / 3).toBeLessThanOrEqual(hi);
    }
  });

  it('p = 0 never and p = 1 always succeed; invalid probabilities are rejected', () => {
    const rng = new SeededRandomSource(3);
    expect(frequency(10_000, () => sampleBernoulliRational(rng, 0n, 7n))).toBe(0);
    expect(frequency(10_000, () => sampleBernoulliRational(rng, 7n, 7n))).toBe(10_000);
    expect(() => sampleBernoulliRational(rng, 8n, 7n)).toThrow(RangeError);
    expect(() => sampleBernoulliRational(rng, -1n, 7n)).toThrow(RangeError);
    expect(() => sampleBernoulliRational(rng, 0n, 0n)).toThrow(RangeError);
  });
});
