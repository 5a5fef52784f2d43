import type { RandomSource } from '../../../shared/ports/random.ts';
import { AppError } from '../../../shared/errors.ts';
import { sampleUniformBelow } from '../../../shared/privacy/samplers/uniform.ts';

/**
 * The threshold policy for picking one offer (Fu, Chen, Gao, Li, "Privacy-Preserving
 * Personalized Recommender Systems", SSRN 4202576; derivation in
 * docs/shopper-api.md#the-guarantee).
 *
 * Guarantee: ε-local differential privacy with respect to the shopper's whole preference
 * ranking. With n eligible offers and a PUBLIC threshold k, each of the shopper's top-k offers
 * is chosen with probability b/W and each other offer with probability a/W, W = k·b + (n−k)·a.
 * For any two rankings σ, σ′ and any offer j, p(j|σ)/p(j|σ′) ∈ {1, b/a, a/b} ≤ b/a ≤ e^ε,
 * because W is the same for every ranking (k, n, a, b are public). If k depended on the
 * shopper's data, W would differ between rankings and the ratio could exceed e^ε — so k comes
 * only from (n, ε) and a public payoff curve (chooseK).
 *
 * Exactness and timing: e^ε is replaced by the integer ratio b/a with b/a ≤ e^ε (rounded down,
 * so the real ε = ln(b/a) never exceeds the configured one); one exact uniform integer w below
 * W (rejection sampling, whose number of rounds depends only on the public W) picks the offer:
 * w < k·b → the ⌊w/b⌋-th top offer, else the ⌊(w−k·b)/a⌋-th other offer. There is no branch on
 * the shopper's data before the draw, and the draw does not depend on the ranking at all.
 */

/** Denominator of the e^ε approximation: ε is represented to about 1/(a·e^ε) ≈ 2.4e-4·e^-ε. */
export const WEIGHT_DENOMINATOR = 4096;
export const MAX_EPSILON = 20;
export const MAX_OFFERS = 1_000_000;

export interface ThresholdWeights {
  /** Weight of each top-k offer. */
  b: number;
  /** Weight of each other offer. */
  a: number;
  /** The ε actually guaranteed: ln(b/a) ≤ the configured ε. */
  realEpsilon: number;
}

export interface ThresholdPolicy extends ThresholdWeights {
  n: number;
  k: number;
  /** W = k·b + (n−k)·a, the total weight (public). */
  total: number;
}

function checkEpsilon(epsilon: number): void {
  if (!Number.isFinite(epsilon) || epsilon <= 0 || epsilon > MAX_EPSILON) {
    throw new AppError('DP_INVALID_PARAMETER', `epsilon is ${epsilon}, expected a number in (0, ${MAX_EPSILON}]`);
  }
}

/**
 * b/a ≤ e^ε with a = WEIGHT_DENOMINATOR. The float product carries a relative error far below
 * 2^-40, so scaling by (1 − 2^-40) before flooring guarantees b/a < e^ε; b ≥ a keeps ε ≥ 0.
 */
export function thresholdWeights(epsilon: number): ThresholdWeights {
  checkEpsilon(epsilon);
  const a = WEIGHT_DENOMINATOR;
  const b = Math.max(a, Math.floor(Math.exp(epsilon) * a * (1 - 2 ** -40)));
  return { a, b, realEpsilon: Math.log(b / a) };
}

/**
 * The public threshold k for n offers at privacy ε, from a public (or already DP-released)
 * payoff-by-rank curve u_1 ≥ u_2 ≥ … ≥ u_n (docs/shopper-api.md#the-guarantee): with c = b/a − 1,
 * U(k) = (T + c·S_k)/(n + c·k); keep adding the next offer while its payoff beats U(k).
 * U is unimodal, so the first k with u_{k+1} ≤ U(k) is optimal; a larger ε moves U(k) toward
 * the top-k mean, so k never grows with ε. O(n).
 */
export function chooseK(
  n: number,
  epsilon: number,
  payoff: (rank: number, n: number) => number = linearPayoff,
): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_OFFERS)
    throw new AppError('DP_INVALID_PARAMETER', `n is ${n}, expected an integer 1..${MAX_OFFERS}`);
  const { a, b } = thresholdWeights(epsilon);
  const c = b / a - 1;
  let total = 0;
  let previous = Number.POSITIVE_INFINITY;
  for (let r = 1; r <= n; r++) {
    const u = payoff(r, n);
    if (!Number.isFinite(u) || u > previous)
      throw new AppError(
        'DP_INVALID_PARAMETER',
        `payoff at rank ${r} is ${u}, expected a finite, non-increasing curve`,
      );
    previous = u;
    total += u;
  }
  let k = 1;
  let topSum = payoff(1, n);
  while (k < n) {
    const expected = (total + c * topSum) / (n + c * k);
    const next = payoff(k + 1, n);
    if (next <= expected) break;
    topSum += next;
    k += 1;
  }
  return k;
}

/** The default public payoff curve: u_r = 1 − (r − 1)/n (docs/shopper-api.md#the-guarantee). */
export function linearPayoff(rank: number, n: number): number {
  return 1 - (rank - 1) / n;
}

export function makeThresholdPolicy(n: number, epsilon: number, k: number): ThresholdPolicy {
  const weights = thresholdWeights(epsilon);
  if (!Number.isInteger(n) || n < 1 || n > MAX_OFFERS)
    throw new AppError('DP_INVALID_PARAMETER', `n is ${n}, expected an integer 1..${MAX_OFFERS}`);
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new AppError('DP_INVALID_PARAMETER', `k is ${k}, expected an integer 1..${n}`);
  const total = k * weights.b + (n - k) * weights.a;
  if (!Number.isSafeInteger(total))
    throw new AppError('DP_INVALID_PARAMETER', `total weight ${total} exceeds 2^53; lower n or epsilon`);
  return { ...weights, n, k, total };
}

/** Exact probability of picking the offer at `rank` (1-based) as the rational weight/total. */
export function rankProbability(policy: ThresholdPolicy, rank: number): { num: number; den: number } {
  return { num: rank <= policy.k ? policy.b : policy.a, den: policy.total };
}

/**
 * Picks one index of `ranked` (the shopper's eligible offers, best first). Returns the 1-based
 * rank that was chosen; the caller maps it to the offer. `ranked.length` must equal policy.n.
 */
export function sampleRank(policy: ThresholdPolicy, rng: RandomSource): number {
  const w = sampleUniformBelow(rng, policy.total);
  const topWeight = policy.k * policy.b;
  // Both branches are one division; which one runs depends on w only, never on the ranking.
  return w < topWeight ? Math.floor(w / policy.b) + 1 : policy.k + Math.floor((w - topWeight) / policy.a) + 1;
}

export function pickOffer<T>(
  ranked: readonly T[],
  policy: ThresholdPolicy,
  rng: RandomSource,
): { offer: T; rank: number } {
  if (ranked.length !== policy.n)
    throw new RangeError(`ranking has ${ranked.length} offers, the policy was made for ${policy.n}`);
  const rank = sampleRank(policy, rng);
  return { offer: ranked[rank - 1] as T, rank };
}
