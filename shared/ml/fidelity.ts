/**
 * Fidelity of a synthetic table to a real one (docs/synthetic-data.md §7), on TableViews:
 * - marginal error: per coordinate, the total-variation distance between the two histograms over
 *   `bins` equal-width bins of [0, 1] (0/1 coordinates: the two values);
 * - correlation error: |ρ_real − ρ_synthetic| of Pearson correlations over every pair of
 *   coordinates (the label included as one), mean and max.
 */

export interface ErrorSummary {
  readonly mean: number;
  readonly max: number;
}

function histogram(values: readonly number[], weights: readonly number[] | undefined, bins: number): number[] {
  const h = new Array<number>(bins).fill(0);
  values.forEach((v, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
    h[b] = (h[b] as number) + (weights?.[i] ?? 1);
  });
  const total = h.reduce((a, b) => a + b, 0);
  return h.map((x) => (total > 0 ? x / total : 0));
}

export function totalVariation(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, x, i) => s + Math.abs(x - (b[i] as number)), 0) / 2;
}

function summarise(errors: readonly number[]): ErrorSummary {
  if (errors.length === 0) return { mean: 0, max: 0 };
  return { mean: errors.reduce((a, b) => a + b, 0) / errors.length, max: Math.max(...errors) };
}

/** Columns of a row-major matrix with the label appended as the last column. */
function columns(features: readonly (readonly number[])[], labels: readonly number[]): number[][] {
  const d = (features[0] ?? []).length;
  const out = Array.from({ length: d + (labels.length > 0 ? 1 : 0) }, () => [] as number[]);
  features.forEach((row, i) => {
    for (let j = 0; j < d; j++) (out[j] as number[]).push(row[j] as number);
    if (labels.length > 0) (out[d] as number[]).push(labels[i] as number);
  });
  return out;
}

export function marginalErrors(
  real: { features: readonly (readonly number[])[]; labels: readonly number[] },
  synthetic: { features: readonly (readonly number[])[]; labels: readonly number[] },
  bins = 10,
): ErrorSummary {
  const a = columns(real.features, real.labels);
  const b = columns(synthetic.features, synthetic.labels);
  return summarise(
    a.map((column, j) => {
      const other = b[j] as number[];
      const binary = column.every((v): boolean => v === 0 || v === 1);
      if (binary) {
        const p = column.reduce((s, v) => s + v, 0) / column.length;
        const q = other.reduce((s, v) => s + v, 0) / other.length;
        return Math.abs(p - q);
      }
      return totalVariation(histogram(column, undefined, bins), histogram(other, undefined, bins));
    }),
  );
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

export function correlationErrors(
  real: { features: readonly (readonly number[])[]; labels: readonly number[] },
  synthetic: { features: readonly (readonly number[])[]; labels: readonly number[] },
): ErrorSummary {
  const a = columns(real.features, real.labels);
  const b = columns(synthetic.features, synthetic.labels);
  const errors: number[] = [];
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      errors.push(Math.abs(pearson(a[i] as number[], a[j] as number[]) - pearson(b[i] as number[], b[j] as number[])));
    }
  }
  return summarise(errors);
}
