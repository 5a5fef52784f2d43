import type { RandomSource } from '../../ports/random.ts';
import { fitsSafe, MAX_SAFE } from './integer.ts';
import { sampleUniformBelow, sampleUniformBigBelow } from './uniform.ts';

/**
 * Exact Bernoulli samplers (Canonne, Kamath, Steinke, "The Discrete Gaussian for Differential
 * Privacy", NeurIPS 2020, §5 Algorithm 1; OpenDP rust/src/traits/samplers/cks20). Every
 * probability is a ratio of integers and the only randomness is uniform integers, so the output
 * distribution is exactly the stated one: no floating point anywhere.
 */

/**
 * Bernoulli(num/den), 0 ≤ num ≤ den: draw U uniform on {0, …, den − 1} and return U < num, which
 * has exactly num of the den equally likely values.
 */
export function sampleBernoulliRational(rng: RandomSource, num: bigint, den: bigint): boolean {
  if (den <= 0n || num < 0n || num > den) {
    throw new RangeError(`Bernoulli probability is ${num}/${den}, expected 0 ≤ num ≤ den and den > 0`);
  }
  return fitsSafe(num, den)
    ? sampleUniformBelow(rng, Number(den)) < Number(num)
    : sampleUniformBigBelow(rng, den) < num;
}

/**
 * Bernoulli(exp(−γ)) for a rational γ = gammaNum/gammaDen ≥ 0.
 *
 * Proof sketch. (1) For γ ∈ [0, 1], draw Bernoulli(γ/k) for k = 1, 2, … until the first failure
 * and let K be the k at which it failed. P(K > k) = γ^k/k!, so
 * P(K odd) = Σ_{k odd} (γ^{k−1}/(k−1)! − γ^k/k!) = Σ_j (−γ)^j/j! = e^{−γ}  (CKS20 Algorithm 1).
 * (2) For γ > 1, exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)): the conjunction of ⌊γ⌋ independent
 * Bernoulli(exp(−1)) and one Bernoulli(exp(−(γ − ⌊γ⌋))), stopping at the first 0.
 * Each Bernoulli(γ/k) is `sampleBernoulliRational`-style: uniform below den·k, compared with num.
 */
export function sampleBernoulliExp(rng: RandomSource, gammaNum: bigint, gammaDen: bigint): boolean {
  if (gammaDen <= 0n || gammaNum < 0n) {
    throw new RangeError(`exp(−γ) with γ = ${gammaNum}/${gammaDen}: expected γ ≥ 0 and a positive denominator`);
  }
  if (fitsSafe(gammaNum, gammaDen)) return sampleBernoulliExpSmall(rng, Number(gammaNum), Number(gammaDen));
  for (let whole = gammaNum / gammaDen; whole > 0n; whole--) {
    if (!bernoulliExpFraction(rng, 1, 1)) return false;
  }
  return bernoulliExpFractionBig(rng, gammaNum % gammaDen, gammaDen);
}

/**
 * Hot-path Bernoulli(exp(−num/den)) with plain numbers. The caller guarantees that num ≥ 0 and
 * den ≥ 1 are safe integers; then ⌊num/den⌋ = (num − num % den)/den is exact and the only product,
 * den·k, is checked against 2^53 − 1 (see integer.ts) before use.
 */
export function sampleBernoulliExpSmall(rng: RandomSource, num: number, den: number): boolean {
  const rest = num % den;
  for (let whole = (num - rest) / den; whole > 0; whole--) {
    if (!bernoulliExpFraction(rng, 1, 1)) return false;
  }
  return bernoulliExpFraction(rng, rest, den);
}

/** Bernoulli(exp(−num/den)) for num ≤ den (step 1 above); BigInt only if den·k leaves the safe range. */
function bernoulliExpFraction(rng: RandomSource, num: number, den: number): boolean {
  if (num === 0) return true;
  for (let k = 1; ; k++) {
    const bound = den * k;
    const success =
      bound <= MAX_SAFE
        ? sampleUniformBelow(rng, bound) < num
        : sampleUniformBigBelow(rng, BigInt(den) * BigInt(k)) < BigInt(num);
    if (!success) return k % 2 === 1;
  }
}

function bernoulliExpFractionBig(rng: RandomSource, num: bigint, den: bigint): boolean {
  if (num === 0n) return true;
  for (let k = 1n; ; k++) {
    if (!(sampleUniformBigBelow(rng, den * k) < num)) return k % 2n === 1n;
  }
}
