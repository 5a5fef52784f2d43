import { uniformUnit, type RandomSource } from '../../ports/random.ts';
import { gaussianStep, rhoForEpsilon, type GaussianStep } from './calibrate.ts';
import { numericFromUnit, parseNumericCell, unitValue, type RawValue } from './encode.ts';
import { noisyIntegers } from './noise.ts';
import { validateSchema, type SynthSchema } from './schema.ts';

/**
 * The baseline synthesizer: independent DP marginals (docs/synthetic-data.md §7). One noisy
 * histogram per column — numeric columns over `bins` equal-width bins of their scaled value
 * u ∈ [0, 1] (public bins from the public bounds), categorical columns over their categories —
 * then each column is sampled on its own: marginals are kept, every relationship between columns
 * (the label's included) is destroyed.
 *
 * Privacy: one record adds 1 to one bin of each of the c columns, so the vector of all histograms
 * has Δ2² = c; discrete Gaussian noise with σ² ≥ c/(2ρ) makes it ρ-zCDP, the same (ε, δ) as the
 * synthesizer it is compared with. Negative noisy counts are set to 0 (post-processing); a numeric
 * value is drawn uniformly inside its bin.
 */

export interface IndependentMarginals {
  readonly schema: SynthSchema;
  readonly bins: number;
  readonly step: GaussianStep;
  /** Per column, the noisy (clamped ≥ 0) bin or category counts. */
  readonly counts: readonly (readonly number[])[];
}

export function fitIndependentMarginals(
  schema: SynthSchema,
  rows: readonly (readonly RawValue[])[],
  target: { epsilon: number; delta: number },
  rng: RandomSource,
  bins = 16,
): IndependentMarginals {
  validateSchema(schema);
  const rho = rhoForEpsilon(target.epsilon, target.delta);
  const step = gaussianStep(BigInt(schema.columns.length), rho);
  const exact = schema.columns.map((column) =>
    new Array<number>(column.kind === 'numeric' ? bins : column.categories.length).fill(0),
  );
  rows.forEach((row, r) => {
    schema.columns.forEach((column, c) => {
      const value = row[c] as RawValue;
      const target = exact[c] as number[];
      const index =
        column.kind === 'numeric'
          ? Math.min(bins - 1, Math.floor(unitValue(column, parseNumericCell(value, column.name, r)) * bins))
          : column.categories.indexOf(typeof value === 'number' ? String(value) : value.trim());
      if (index >= 0) target[index] = (target[index] as number) + 1;
    });
  });
  const noisy = noisyIntegers(exact.flat(), step.sigmaSquared, rng);
  let at = 0;
  const counts = exact.map((list) => list.map(() => Math.max(0, noisy[at++] as number)));
  return { schema, bins, step, counts };
}

function draw(counts: readonly number[], rng: RandomSource): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return Math.floor(uniformUnit(rng) * counts.length);
  let u = uniformUnit(rng) * total;
  for (let i = 0; i < counts.length; i++) {
    u -= counts[i] as number;
    if (u < 0) return i;
  }
  return counts.length - 1;
}

export function sampleIndependentMarginals(model: IndependentMarginals, rows: number, rng: RandomSource): RawValue[][] {
  const out: RawValue[][] = [];
  for (let r = 0; r < rows; r++) {
    out.push(
      model.schema.columns.map((column, c) => {
        const index = draw(model.counts[c] as number[], rng);
        if (column.kind === 'categorical') return column.categories[index] as string;
        return numericFromUnit(column, (index + uniformUnit(rng)) / model.bins);
      }),
    );
  }
  return out;
}
