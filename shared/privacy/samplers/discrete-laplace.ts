import type { RandomSource } from '../../ports/random.ts';
import { sampleGeometricFast, sampleGeometricFastSmall } from './geometric.ts';
import { fitsSafe, type SampledInteger } from './integer.ts';

/**
 * Exact discrete Laplace with rational scale t = scaleNum/scaleDen > 0:
 *   P(X = x) = (1 − q)/(1 + q) · q^{|x|},  q = e^{−1/t},  x ∈ ℤ
 * (Canonne, Kamath, Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020, §5
 * Algorithm 2; OpenDP rust/src/traits/samplers/cks20).
 *
 * Algorithm: repeat { sign ← fair bit; M ← fast geometric with rate 1/t } until not (sign is
 * negative and M = 0); return ±M.
 * Proof sketch: (sign, M) has P ∝ q^M for each sign, so ±M has P(x) ∝ q^{|x|} for x ≠ 0 but twice
 * that at 0 (reached from both signs); rejecting (negative, 0) leaves exactly P(x) ∝ q^{|x|}.
 * Each round is accepted with probability ≥ 1/2.
 */
export function sampleDiscreteLaplace(rng: RandomSource, scaleNum: bigint, scaleDen: bigint): SampledInteger {
  if (scaleNum <= 0n || scaleDen <= 0n) {
    throw new RangeError(`discrete Laplace scale is ${scaleNum}/${scaleDen}, expected a positive rational`);
  }
  if (fitsSafe(scaleNum, scaleDen)) return sampleDiscreteLaplaceSmall(rng, Number(scaleNum), Number(scaleDen));
  for (;;) {
    const negative = (rng.nextUint32() & 1) === 1;
    const magnitude = sampleGeometricFast(rng, scaleDen, scaleNum);
    if (!(negative && magnitude === 0)) return negative ? -magnitude : magnitude;
  }
}

/** Hot-path variant: the caller guarantees safe integers scaleNum, scaleDen ≥ 1. */
export function sampleDiscreteLaplaceSmall(rng: RandomSource, scaleNum: number, scaleDen: number): SampledInteger {
  for (;;) {
    const negative = (rng.nextUint32() & 1) === 1;
    const magnitude = sampleGeometricFastSmall(rng, scaleDen, scaleNum);
    if (!(negative && magnitude === 0)) return negative ? -magnitude : magnitude;
  }
}
