/**
 * 95% intervals of the noise of a release value (display and analysis: post-processing of the
 * public noise scale, so plain floating point is fine here — no noise is drawn).
 *
 * A released value v = x + Z with Z the mechanism's integer noise; [v − h, v + h] covers x with
 * probability ≥ 95% for the smallest integer h with P(|Z| ≤ h) ≥ 0.95.
 *   discrete Gaussian N_ℤ(0, σ²): P(Z = z) ∝ exp(−z²/(2σ²)), summed exactly over |z| ≤ 40σ + 40
 *     (the rest is below 10^-300); h is within one unit of 1.96σ.
 *   discrete Laplace with scale t: P(|Z| ≤ h) = 1 − 2q^(h+1)/(1+q), q = e^(−1/t).
 * Variances: discrete Gaussian ≤ σ² (Canonne, Kamath, Steinke 2020) — computed exactly here;
 * discrete Laplace 2q/(1−q)².
 */

const COVERAGE = 0.95;

export function discreteGaussianHalfWidth95(sigmaSquared: number): number {
  if (!(sigmaSquared > 0) || !Number.isFinite(sigmaSquared))
    throw new RangeError(`σ² is ${sigmaSquared}, expected a positive number`);
  const sigma = Math.sqrt(sigmaSquared);
  const limit = Math.ceil(40 * sigma + 40);
  const weight = (z: number): number => Math.exp(-(z * z) / (2 * sigmaSquared));
  let total = 1;
  for (let z = 1; z <= limit; z++) total += 2 * weight(z);
  let covered = 1;
  let h = 0;
  while (covered / total < COVERAGE) {
    h += 1;
    covered += 2 * weight(h);
  }
  return h;
}

export function discreteGaussianVariance(sigmaSquared: number): number {
  const sigma = Math.sqrt(sigmaSquared);
  const limit = Math.ceil(40 * sigma + 40);
  let total = 1;
  let second = 0;
  for (let z = 1; z <= limit; z++) {
    const w = Math.exp(-(z * z) / (2 * sigmaSquared));
    total += 2 * w;
    second += 2 * w * z * z;
  }
  return second / total;
}

export function discreteLaplaceHalfWidth95(scale: number): number {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`scale is ${scale}, expected a positive number`);
  const q = Math.exp(-1 / scale);
  // 1 − 2q^(h+1)/(1+q) ≥ 0.95  ⇔  q^(h+1) ≤ 0.025·(1+q)
  return Math.max(0, Math.ceil(Math.log(((1 - COVERAGE) / 2) * (1 + q)) / Math.log(q)) - 1);
}

export function discreteLaplaceVariance(scale: number): number {
  const q = Math.exp(-1 / scale);
  return (2 * q) / (1 - q) ** 2;
}
