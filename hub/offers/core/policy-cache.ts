import { chooseK, linearPayoff, makeThresholdPolicy, type ThresholdPolicy } from './threshold-sampler.ts';

/**
 * The public threshold policies, one per (number of eligible offers n, ε): k comes from n, ε
 * and the public payoff-by-rank curve only (chooseK), never from a shopper. Computing k is O(n),
 * so policies are memoised; the key holds nothing but public values.
 */

export type PayoffCurve = (rank: number, n: number) => number;

/**
 * A public payoff curve from points at evenly spaced relative ranks (first point: the best
 * offer, last: the worst), linearly interpolated; e.g. a DP-estimated redemption-by-rank curve.
 * Without points, the linear curve u_r = 1 − (r − 1)/n.
 */
export function payoffCurve(points?: readonly number[]): PayoffCurve {
  if (points === undefined || points.length < 2) return linearPayoff;
  const last = points.length - 1;
  return (rank, n) => {
    const x = n <= 1 ? 0 : ((rank - 1) / (n - 1)) * last;
    const i = Math.min(last - 1, Math.floor(x));
    const t = x - i;
    return (points[i] as number) * (1 - t) + (points[i + 1] as number) * t;
  };
}

export class PolicyCache {
  readonly #payoff: PayoffCurve;
  readonly #policies = new Map<number, ThresholdPolicy>();
  readonly #maxEntries: number;

  constructor(payoff: PayoffCurve = linearPayoff, maxEntries = 4096) {
    this.#payoff = payoff;
    this.#maxEntries = maxEntries;
  }

  /** The policy for n eligible offers at `epsilonMicro` µε (k public from n, ε and the payoff curve). */
  get(n: number, epsilonMicro: number): ThresholdPolicy {
    const key = n * 2 ** 25 + epsilonMicro; // epsilonMicro ≤ 20·10^6 < 2^25, n ≤ 10^6 < 2^20
    let policy = this.#policies.get(key);
    if (policy === undefined) {
      const epsilon = epsilonMicro / 1_000_000;
      policy = makeThresholdPolicy(n, epsilon, chooseK(n, epsilon, this.#payoff));
      if (this.#policies.size >= this.#maxEntries) this.#policies.clear();
      this.#policies.set(key, policy);
    }
    return policy;
  }
}
