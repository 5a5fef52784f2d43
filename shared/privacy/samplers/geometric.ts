import type { RandomSource } from '../../ports/random.ts';
import { sampleBernoulliExp, sampleBernoulliExpSmall } from './bernoulli.ts';
import { fitsSafe, MAX_SAFE, MAX_SAFE_BIG, toSampledInteger, type SampledInteger } from './integer.ts';
import { sampleUniformBelow, sampleUniformBigBelow } from './uniform.ts';

/**
 * Exact geometric samplers for a rational x = xNum/xDen > 0 (Canonne–Kamath–Steinke 2020, §5,
 * the geometric steps inside Algorithm 2; OpenDP rust/src/traits/samplers/cks20).
 * Both return V ∈ {0, 1, 2, …} with P(V = v) = (1 − e^{−x})·e^{−xv}, i.e. P(V ≥ v) = e^{−xv}.
 */

/**
 * Slow geometric: the number of Bernoulli(exp(−x)) successes before the first failure, so
 * P(V ≥ v) = e^{−xv} directly. Expected cost 1/(1 − e^{−x}) Bernoulli draws (large for small x).
 */
export function sampleGeometricSlow(rng: RandomSource, xNum: bigint, xDen: bigint): SampledInteger {
  checkRate(xNum, xDen);
  if (fitsSafe(xNum, xDen)) {
    const num = Number(xNum);
    const den = Number(xDen);
    return countSuccesses(rng, (source) => sampleBernoulliExpSmall(source, num, den));
  }
  return countSuccesses(rng, (source) => sampleBernoulliExp(source, xNum, xDen));
}

/**
 * Fast geometric for x = s/t (CKS20 Algorithm 2, lines 1–6):
 *   repeat U ← Uniform{0, …, t−1}, D ← Bernoulli(exp(−U/t)) until D = 1;
 *   V ← slow geometric with x = 1;  return ⌊(U + t·V)/s⌋.
 * Proof sketch: P(U = u | accepted) ∝ e^{−u/t} and P(V = v) ∝ e^{−v}, independent, so X = U + tV
 * has P(X = x) ∝ e^{−x/t} on ℕ (every x has exactly one (u, v)); then
 * P(⌊X/s⌋ ≥ k) = P(X ≥ ks) = e^{−ks/t}. Expected cost O(1) uniforms whatever x is.
 */
export function sampleGeometricFast(rng: RandomSource, xNum: bigint, xDen: bigint): SampledInteger {
  checkRate(xNum, xDen);
  if (fitsSafe(xNum, xDen)) return sampleGeometricFastSmall(rng, Number(xNum), Number(xDen));
  let u: bigint;
  do u = sampleUniformBigBelow(rng, xDen);
  while (!sampleBernoulliExp(rng, u, xDen));
  const v = countSuccesses(rng, bernoulliExpMinusOne);
  return toSampledInteger((u + xDen * BigInt(v)) / xNum);
}

/**
 * Hot-path fast geometric for x = s/t with safe integers s, t ≥ 1 (the caller guarantees it).
 * X = t·V + U is computed in numbers when the exact-fit test of integer.ts passes, else in BigInt.
 */
export function sampleGeometricFastSmall(rng: RandomSource, s: number, t: number): SampledInteger {
  let u: number;
  do u = sampleUniformBelow(rng, t);
  while (!sampleBernoulliExpSmall(rng, u, t));
  const v = countSuccesses(rng, bernoulliExpMinusOne);
  if (typeof v === 'number') {
    const x = t * v + u;
    if (x <= MAX_SAFE) return (x - (x % s)) / s;
  }
  return toSampledInteger((BigInt(u) + BigInt(t) * BigInt(v)) / BigInt(s));
}

function bernoulliExpMinusOne(rng: RandomSource): boolean {
  return sampleBernoulliExpSmall(rng, 1, 1);
}

/**
 * Counts successes of `coin` before its first failure. The counter is a number up to 2^53 − 1;
 * should it ever get there (≥ 2^53 draws), the geometric law is memoryless, so the rest of the
 * count is continued exactly in BigInt.
 */
function countSuccesses(rng: RandomSource, coin: (rng: RandomSource) => boolean): SampledInteger {
  let count = 0;
  while (coin(rng)) {
    if (count === MAX_SAFE) {
      let big = MAX_SAFE_BIG + 1n;
      while (coin(rng)) big++;
      return big;
    }
    count++;
  }
  return count;
}

function checkRate(xNum: bigint, xDen: bigint): void {
  if (xNum <= 0n || xDen <= 0n) throw new RangeError(`geometric rate is ${xNum}/${xDen}, expected a positive rational`);
}
