import { AppError } from '../../errors.ts';
import { uniformUnit, type RandomSource } from '../../ports/random.ts';
import { makeDiscreteGaussianSampler } from '../../privacy/samplers/discrete-gaussian.ts';
import { numericFromUnit, type CoordinateLayout, type RawValue } from './encode.ts';
import type { GroupRelease } from './groups.ts';

/**
 * The synthetic model: the mixture of noisy group means (docs/synthetic-data.md §3, step 5). Built
 * from released values only, so everything here is post-processing and costs no privacy.
 *
 * A group's mean is its noisy feature sums ÷ its noisy count n̂ (count coordinate ÷ G), mapped back
 * to [0, 1] per coordinate (centred coordinates + ½, one-hot shares) and clamped; groups whose
 * n̂ is below minCount (a public threshold, default m/4) are dropped, since their mean is mostly
 * noise. Its label is its class: groups lie inside one label class.
 */

export interface MixtureComponent {
  readonly labelClass: number;
  /** n̂: the group's noisy record count, the component's weight. */
  readonly weight: number;
  /** Per feature coordinate, in [0, 1]. */
  readonly unit: Float64Array;
  /** Set by the adapt step: P(label = second class), written instead of the class. */
  readonly labelProbability?: number;
}

export interface SynthModel {
  readonly layout: CoordinateLayout;
  readonly components: readonly MixtureComponent[];
}

export function buildModel(layout: CoordinateLayout, groups: readonly GroupRelease[], minCount: number): SynthModel {
  const features = layout.featureIndexes.length;
  const g = layout.scale;
  const components: MixtureComponent[] = [];
  for (const group of groups) {
    const weight = (group.noisySums[features] as number) / g;
    if (!(weight >= minCount) || weight <= 0) continue;
    const unit = new Float64Array(features);
    for (let f = 0; f < features; f++) {
      const mean = (group.noisySums[f] as number) / weight / g;
      const coordinate = layout.coords[layout.featureIndexes[f] as number];
      unit[f] = Math.min(1, Math.max(0, coordinate?.kind === 'one-hot' ? mean : mean + 0.5));
    }
    components.push({ labelClass: group.labelClass, weight, unit });
  }
  return { layout, components };
}

/** Σ weights: the model's estimate of the number of records (post-processing). */
export function modelSize(model: SynthModel): number {
  return model.components.reduce((sum, c) => sum + c.weight, 0);
}

/** Rows per component ∝ weight, by largest remainder (deterministic; exact proportions up to rounding). */
export function allocateRows(weights: readonly number[], rows: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return weights.map(() => 0);
  const exact = weights.map((w) => (w / total) * rows);
  const counts = exact.map(Math.floor);
  let left = rows - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

const POSITIONS = new WeakMap<CoordinateLayout, Map<number, number>>();

/** coordinate index → feature position, computed once per layout. */
function featurePositions(layout: CoordinateLayout): Map<number, number> {
  let position = POSITIONS.get(layout);
  if (position === undefined) {
    position = new Map(layout.featureIndexes.map((coordinate, f) => [coordinate, f]));
    POSITIONS.set(layout, position);
  }
  return position;
}

function pick(probabilities: readonly number[], rng: RandomSource): number {
  const total = probabilities.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return Math.floor(uniformUnit(rng) * probabilities.length);
  let u = uniformUnit(rng) * total;
  for (let i = 0; i < probabilities.length; i++) {
    u -= probabilities[i] as number;
    if (u < 0) return i;
  }
  return probabilities.length - 1;
}

/**
 * One output row (schema column order) from a component: numeric columns decoded from their unit
 * value; a non-label categorical column drawn from the component's shares (post-processing
 * randomness, not privacy noise); the label is the component's class.
 */
export function decodeComponent(
  model: SynthModel,
  component: MixtureComponent,
  rng: RandomSource,
  jitter?: (rng: RandomSource) => number,
): RawValue[] {
  const { layout } = model;
  const position = featurePositions(layout);
  const out: RawValue[] = [];
  let coordinate = 0;
  for (const column of layout.schema.columns) {
    if (column.name === layout.schema.label) {
      if (component.labelProbability !== undefined) out.push(Math.round(component.labelProbability * 10_000) / 10_000);
      else out.push(column.kind === 'categorical' ? (column.categories[component.labelClass] as string) : 0);
      coordinate += column.kind === 'categorical' && column.categories.length > 2 ? column.categories.length : 1;
      continue;
    }
    const f = position.get(coordinate) as number;
    if (column.kind === 'numeric') {
      out.push(numericFromUnit(column, (component.unit[f] as number) + (jitter === undefined ? 0 : jitter(rng))));
      coordinate += 1;
    } else if (column.categories.length === 2) {
      out.push(column.categories[uniformUnit(rng) < (component.unit[f] as number) ? 1 : 0] as string);
      coordinate += 1;
    } else {
      const shares = column.categories.map((_, j) => component.unit[f + j] as number);
      out.push(column.categories[pick(shares, rng)] as string);
      coordinate += column.categories.length;
    }
  }
  return out;
}

/**
 * A jitter of public bandwidth h for numeric columns: N_ℤ(0, (h·G)²)/G in [0, 1] units, drawn with
 * the exact discrete Gaussian sampler (no floating-point Gaussian anywhere). Post-processing: it
 * smooths the mixture's atoms so marginals are not spikes; it adds no privacy and needs none.
 */
export function makeJitter(bandwidth: number, scale: number): ((rng: RandomSource) => number) | undefined {
  if (!(bandwidth >= 0 && bandwidth <= 1)) {
    throw new AppError('DP_INVALID_PARAMETER', `jitter is ${bandwidth}, expected a number in [0, 1]`);
  }
  const units = Math.round(bandwidth * scale);
  if (units === 0) return undefined;
  const sample = makeDiscreteGaussianSampler(BigInt(units * units), 1n);
  return (rng) => Number(sample(rng)) / scale;
}

/** `rows` synthetic rows from the mixture (default: round(Σ weights)), numeric columns jittered by `jitter` (default 0). */
export function sampleRows(model: SynthModel, rng: RandomSource, rows?: number, jitter = 0): RawValue[][] {
  const target = rows ?? Math.round(modelSize(model));
  if (!Number.isSafeInteger(target) || target < 0) {
    throw new AppError('DP_INVALID_PARAMETER', `rows is ${target}, expected a non-negative integer`);
  }
  if (target > 0 && model.components.length === 0) {
    throw new AppError('SYNTH_TOO_FEW_ROWS', 'the fit kept no group (every noisy group count was too small)');
  }
  const noise = makeJitter(jitter, model.layout.scale);
  const counts = allocateRows(
    model.components.map((c) => c.weight),
    target,
  );
  const out: RawValue[][] = [];
  model.components.forEach((component, i) => {
    for (let k = 0; k < (counts[i] as number); k++) out.push(decodeComponent(model, component, rng, noise));
  });
  return out;
}
