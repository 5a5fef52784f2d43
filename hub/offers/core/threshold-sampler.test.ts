import { describe, expect, it } from 'vitest';
import { SeededRandomSource } from '../../../shared/testing/seeded-random.ts';
import {
  chooseK,
  makeThresholdPolicy,
  pickOffer,
  rankProbability,
  sampleRank,
  thresholdWeights,
} from './threshold-sampler.ts';

/** Conservative χ² critical value at α ≈ 1e-6 (OpenDP's df + 6·sqrt(2·df) rule, docs/references.md#differential-privacy). */
function chiSquareCritical(df: number): number {
  return df + 6 * Math.sqrt(2 * df) + 10;
}

function permutations(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('threshold sampler', () => {
  it('rounds e^ε down to an integer ratio, so the real ε never exceeds the configured one', () => {
    for (const epsilon of [0.01, 0.1, 0.5, 1, Math.LN2, 2, 3.3, 8, 20]) {
      const { a, b, realEpsilon } = thresholdWeights(epsilon);
      expect(Number.isInteger(a) && Number.isInteger(b)).toBe(true);
      expect(b / a).toBeLessThanOrEqual(Math.exp(epsilon));
      expect(realEpsilon).toBeLessThanOrEqual(epsilon);
      expect(epsilon - realEpsilon).toBeLessThan(1e-3);
    }
  });

  it('chooses k by the marginal rule (docs/shopper-api.md#the-guarantee worked example, n = 20, linear payoff)', () => {
    expect([0.5, 1, 2, 4, 8].map((epsilon) => chooseK(20, epsilon))).toEqual([9, 8, 5, 2, 1]);
  });

  it('k never grows as ε grows', () => {
    for (const n of [2, 5, 20, 100, 1000]) {
      let previous = Number.POSITIVE_INFINITY;
      for (let epsilon = 0.05; epsilon <= 12; epsilon += 0.05) {
        const k = chooseK(n, epsilon);
        expect(k).toBeLessThanOrEqual(previous);
        previous = k;
      }
    }
    // A concave public curve (a DP-estimated redemption-by-rank curve might look like this).
    let previous = Number.POSITIVE_INFINITY;
    for (const epsilon of [0.1, 0.5, 1, 2, 4, 8]) {
      const k = chooseK(50, epsilon, (r) => 1 / Math.sqrt(r));
      expect(k).toBeLessThanOrEqual(previous);
      previous = k;
    }
  });

  it("every offer's probability ratio between any two rankings is at most e^ε, computed exactly", () => {
    const n = 5;
    for (const epsilon of [0.3, 1, 2.5]) {
      const policy = makeThresholdPolicy(n, epsilon, chooseK(n, epsilon));
      const rankings = permutations([0, 1, 2, 3, 4]);
      // p(offer | ranking) as an exact rational weight/total; the total is the same for every ranking.
      const weightOf = (ranking: number[], offer: number) => rankProbability(policy, ranking.indexOf(offer) + 1);
      let maxNum = 0;
      let maxDen = 1;
      for (const r1 of rankings) {
        for (const r2 of rankings) {
          for (let offer = 0; offer < n; offer++) {
            const p1 = weightOf(r1, offer);
            const p2 = weightOf(r2, offer);
            expect(p1.den).toBe(p2.den);
            if (p1.num * maxDen > maxNum * p2.num) {
              maxNum = p1.num;
              maxDen = p2.num;
            }
          }
        }
      }
      expect(maxNum / maxDen).toBe(policy.b / policy.a);
      expect(Math.log(maxNum / maxDen)).toBeLessThanOrEqual(epsilon);
      // The probabilities sum to exactly 1.
      let sum = 0;
      for (let rank = 1; rank <= n; rank++) sum += rankProbability(policy, rank).num;
      expect(sum).toBe(policy.total);
    }
  });

  it("draws ranks with exactly the policy's probabilities (χ², seeded source, 10^6 draws)", () => {
    const policy = makeThresholdPolicy(10, 1, chooseK(10, 1));
    const rng = new SeededRandomSource('threshold-chi2');
    const draws = 1_000_000;
    const counts = new Array<number>(11).fill(0);
    for (let i = 0; i < draws; i++) counts[sampleRank(policy, rng)]! += 1;
    let chi2 = 0;
    for (let rank = 1; rank <= 10; rank++) {
      const expected = (draws * rankProbability(policy, rank).num) / policy.total;
      chi2 += (counts[rank]! - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(chiSquareCritical(9));
  });

  it('maps the drawn rank to the offer and validates its inputs', () => {
    const policy = makeThresholdPolicy(3, 1, 1);
    const rng = new SeededRandomSource(1);
    const { offer, rank } = pickOffer(['best', 'middle', 'worst'], policy, rng);
    expect(['best', 'middle', 'worst'][rank - 1]).toBe(offer);
    expect(() => pickOffer(['only-two', 'x'], policy, rng)).toThrow(/ranking has 2 offers/);
    expect(() => makeThresholdPolicy(3, 1, 4)).toThrow(/k is 4, expected an integer 1\.\.3/);
    expect(() => thresholdWeights(0)).toThrow(/epsilon is 0/);
    expect(() => chooseK(0, 1)).toThrow(/n is 0/);
  });
});
