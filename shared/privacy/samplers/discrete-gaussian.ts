import type { RandomSource } from '../../ports/random.ts';
import { bitLength, gcd, rational } from '../rational.ts';
import { sampleBernoulliExp, sampleBernoulliExpSmall } from './bernoulli.ts';
import { sampleDiscreteLaplace, sampleDiscreteLaplaceSmall } from './discrete-laplace.ts';
import { MAX_SAFE_BIG, type SampledInteger } from './integer.ts';

export { rationalFromDecimal } from '../rational.ts';

/** ⌊√(2^53 − 1)⌋: a number a with |a| ≤ this has an exact square a·a ≤ 2^53 − 1. */
const ROOT_MAX_SAFE = 94_906_265;

/**
 * Exact discrete Gaussian N_ℤ(0, σ²) for rational σ² = sigmaSqNum/sigmaSqDen > 0:
 *   P(X = x) ∝ exp(−x²/(2σ²)),  x ∈ ℤ
 * (Canonne, Kamath, Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020, §5
 * Algorithm 3; OpenDP rust/src/traits/samplers/cks20).
 *
 * Algorithm: t ← ⌊σ⌋ + 1; repeat { Y ← discrete Laplace(t); C ← Bernoulli(exp(−γ)),
 * γ = (|Y| − σ²/t)²/(2σ²) } until C = 1; return Y.
 * Proof sketch: P(Y = y)·P(C = 1 | y) ∝ exp(−|y|/t − (|y| − σ²/t)²/(2σ²))
 *   = exp(−y²/(2σ²) − σ²/(2t²)) ∝ exp(−y²/(2σ²)), so the accepted Y is exactly N_ℤ(0, σ²);
 * with t = ⌊σ⌋ + 1 each round is accepted with probability bounded below by a constant (CKS20 §5).
 *
 * Exact rational γ: with σ² = n/d and g = gcd(t·d, n), c1 = t·d/g, c0 = n/g,
 *   γ = (|Y|·t·d − n)²/(2·n·d·t²) = (|Y|·c1 − c0)² / (2·c0·c1·t).
 * The constants are computed once in BigInt; per sample, γ's numerator and denominator are numbers
 * when |Y|·c1 − c0 has an exact square ≤ 2^53 − 1 (|Y| ≤ yMax, checked) and BigInt otherwise.
 */
export function makeDiscreteGaussianSampler(
  sigmaSqNum: bigint,
  sigmaSqDen: bigint,
): (rng: RandomSource) => SampledInteger {
  if (sigmaSqNum <= 0n || sigmaSqDen <= 0n) {
    throw new RangeError(`discrete Gaussian σ² is ${sigmaSqNum}/${sigmaSqDen}, expected a positive rational`);
  }
  const { num: n, den: d } = rational(sigmaSqNum, sigmaSqDen);
  const t = integerSqrt(n / d) + 1n; // ⌊√(n/d)⌋ = ⌊√⌊n/d⌋⌋
  const g = gcd(t * d, n);
  const c1 = (t * d) / g;
  const c0 = n / g;
  const gammaDen = 2n * c0 * c1 * t;

  const acceptBig = (rng: RandomSource, y: SampledInteger): boolean => {
    const magnitude = typeof y === 'bigint' ? (y < 0n ? -y : y) : BigInt(Math.abs(y));
    const a = magnitude * c1 - c0;
    return sampleBernoulliExp(rng, a * a, gammaDen);
  };

  if (t <= MAX_SAFE_BIG && c0 <= BigInt(ROOT_MAX_SAFE) && gammaDen <= MAX_SAFE_BIG) {
    const tN = Number(t);
    const c1N = Number(c1);
    const c0N = Number(c0);
    const gammaDenN = Number(gammaDen);
    // |Y| ≤ yMax ⇒ 0 ≤ |Y|·c1 ≤ ROOT_MAX_SAFE + c0 (exact) and |(|Y|·c1 − c0)| ≤ ROOT_MAX_SAFE.
    const yMax = Number((BigInt(ROOT_MAX_SAFE) + c0) / c1);
    return (rng) => {
      for (;;) {
        const y = sampleDiscreteLaplaceSmall(rng, tN, 1);
        if (typeof y === 'number' && Math.abs(y) <= yMax) {
          const a = Math.abs(y) * c1N - c0N;
          if (sampleBernoulliExpSmall(rng, a * a, gammaDenN)) return y;
        } else if (acceptBig(rng, y)) {
          return y;
        }
      }
    };
  }
  return (rng) => {
    for (;;) {
      const y = sampleDiscreteLaplace(rng, t, 1n);
      if (acceptBig(rng, y)) return y;
    }
  };
}

/** One sample; prefer `makeDiscreteGaussianSampler` for many (it precomputes the constants). */
export function sampleDiscreteGaussian(rng: RandomSource, sigmaSqNum: bigint, sigmaSqDen: bigint): SampledInteger {
  return makeDiscreteGaussianSampler(sigmaSqNum, sigmaSqDen)(rng);
}

/** ⌊√n⌋ for n ≥ 0 by Newton's iteration from above (stops when the iterate no longer decreases). */
export function integerSqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError(`integerSqrt of ${n}`);
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}
