import { AppError } from '../../errors.ts';
import { solveSpd } from '../../ml/logistic-regression.ts';
import type { MixtureComponent, SynthModel } from './model.ts';

/**
 * The optional adapt step (3A's "Adapt", docs/synthetic-data.md §3.6), as post-processing: a kernel
 * ridge regression fitted to the RELEASED group means only — inputs the components' feature
 * vectors in [0, 1], targets their class (0/1), weights their noisy counts — replaces each
 * component's hard class by the KRR prediction p ∈ [0, 1] at its own mean, so groups in regions
 * where the classes overlap get soft labels. It reads no real record, so it costs no privacy.
 * (Fitting the synthetic set to an objective on the real rows would have to be charged; this
 * implementation does not do that.) Binary labels only.
 *
 * KRR: RBF kernel k(a, b) = exp(−‖a − b‖²/(2h²)); solve (K + λ·W⁻¹·w̄) α = y − ȳ with W the
 * weights (noisier, lighter groups are regularised more); p_i = clamp(ȳ + (K α)_i, 0, 1).
 */

export interface AdaptOptions {
  /** h, in [0, 1] units. Default 0.3. */
  readonly bandwidth?: number;
  /** λ. Default 1. */
  readonly ridge?: number;
}

export const MAX_ADAPT_COMPONENTS = 3000;

export function adaptLabels(model: SynthModel, options: AdaptOptions = {}): SynthModel {
  const h = options.bandwidth ?? 0.3;
  const lambda = options.ridge ?? 1;
  if (!(h > 0) || !(lambda > 0)) {
    throw new AppError('DP_INVALID_PARAMETER', `adapt bandwidth ${h} and ridge ${lambda} must both be > 0`);
  }
  const label = model.layout.schema.columns.find((c) => c.name === model.layout.schema.label);
  if (label?.kind !== 'categorical' || label.categories.length !== 2) {
    throw new AppError('DP_INVALID_PARAMETER', 'the adapt step needs a binary label');
  }
  const comps = model.components;
  const n = comps.length;
  if (n > MAX_ADAPT_COMPONENTS) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `the model has ${n} components, the adapt step takes at most ${MAX_ADAPT_COMPONENTS}`,
    );
  }
  if (n === 0) return model;
  const totalWeight = comps.reduce((s, c) => s + c.weight, 0);
  const mean = comps.reduce((s, c) => s + c.labelClass * c.weight, 0) / totalWeight;
  const meanWeight = totalWeight / n;
  const kernel = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const a = (comps[i] as MixtureComponent).unit;
      const b = (comps[j] as MixtureComponent).unit;
      let d = 0;
      for (let f = 0; f < a.length; f++) d += ((a[f] as number) - (b[f] as number)) ** 2;
      const k = Math.exp(-d / (2 * h * h));
      kernel[i * n + j] = k;
      kernel[j * n + i] = k;
    }
  }
  const system = Float64Array.from(kernel);
  comps.forEach((c, i) => (system[i * n + i] = (system[i * n + i] as number) + (lambda * meanWeight) / c.weight));
  const alpha = solveSpd(
    system,
    Float64Array.from(comps, (c) => c.labelClass - mean),
    n,
  );
  const adapted = comps.map((c, i) => {
    let p = mean;
    for (let j = 0; j < n; j++) p += (kernel[i * n + j] as number) * (alpha[j] as number);
    return { ...c, labelProbability: Math.min(1, Math.max(0, p)) };
  });
  return { ...model, components: adapted };
}
