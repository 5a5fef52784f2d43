/**
 * L2-regularised logistic regression by Newton's method (IRLS), for train-on-synthetic,
 * test-on-real evaluation (docs/synthetic-data.md §7). Labels may be soft: a row with label
 * p ∈ [0, 1] contributes p·(−log σ(z)) + (1 − p)·(−log(1 − σ(z))) to the loss (the same as two
 * rows of weights p and 1 − p). Features are standardised with the training rows' weighted
 * mean and standard deviation; the intercept is not penalised.
 */

export interface LogisticModel {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** Coefficients on the standardised features, then the intercept. */
  readonly weights: Float64Array;
  readonly iterations: number;
}

export interface LogisticOptions {
  /** λ of the penalty λ/2·‖w‖² (per row of total weight 1: the penalty is scaled by the weight sum). Default 1e-4. */
  readonly l2?: number;
  readonly maxIterations?: number;
  /** Per-row weights (default 1). */
  readonly rowWeights?: readonly number[];
}

function standardise(x: readonly (readonly number[])[], w: readonly number[], d: number): [Float64Array, Float64Array] {
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  let total = 0;
  x.forEach((row, i) => {
    total += w[i] as number;
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (w[i] as number) * (row[j] as number);
  });
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / total;
  x.forEach((row, i) => {
    for (let j = 0; j < d; j++)
      scale[j] = (scale[j] as number) + (w[i] as number) * ((row[j] as number) - (mean[j] as number)) ** 2;
  });
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt((scale[j] as number) / total);
    scale[j] = sd > 1e-12 ? sd : 1;
  }
  return [mean, scale];
}

/** Solves A·x = b for a symmetric positive definite A (Cholesky), in place of nothing: returns x. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) l[i * n + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * n + j] = sum / (l[j * n + j] as number);
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * n + k] as number) * (y[k] as number);
    y[i] = sum / (l[i * n + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i] as number;
    for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = sum / (l[i * n + i] as number);
  }
  return x;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function fitLogistic(
  x: readonly (readonly number[])[],
  labels: readonly number[],
  options: LogisticOptions = {},
): LogisticModel {
  const n = x.length;
  if (n === 0 || labels.length !== n) throw new RangeError(`fitLogistic: ${n} rows and ${labels.length} labels`);
  const d = (x[0] as readonly number[]).length;
  const w = options.rowWeights ?? new Array<number>(n).fill(1);
  const [mean, scale] = standardise(x, w, d);
  const z = x.map((row) =>
    Float64Array.from({ length: d + 1 }, (_, j) =>
      j === d ? 1 : ((row[j] as number) - (mean[j] as number)) / (scale[j] as number),
    ),
  );
  const totalWeight = w.reduce((a, b) => a + b, 0);
  const lambda = (options.l2 ?? 1e-4) * totalWeight;
  const beta = new Float64Array(d + 1);
  const p = d + 1;
  let iterations = 0;
  for (; iterations < (options.maxIterations ?? 50); iterations++) {
    const gradient = new Float64Array(p);
    const hessian = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      const row = z[i] as Float64Array;
      let dot = 0;
      for (let j = 0; j < p; j++) dot += (row[j] as number) * (beta[j] as number);
      const mu = sigmoid(dot);
      const wi = w[i] as number;
      const residual = wi * (mu - (labels[i] as number));
      const curvature = wi * Math.max(mu * (1 - mu), 1e-10);
      for (let j = 0; j < p; j++) {
        gradient[j] = (gradient[j] as number) + residual * (row[j] as number);
        for (let k = 0; k <= j; k++)
          hessian[j * p + k] = (hessian[j * p + k] as number) + curvature * (row[j] as number) * (row[k] as number);
      }
    }
    for (let j = 0; j < p; j++) {
      for (let k = 0; k < j; k++) hessian[k * p + j] = hessian[j * p + k] as number;
      if (j < d) {
        gradient[j] = (gradient[j] as number) + lambda * (beta[j] as number);
        hessian[j * p + j] = (hessian[j * p + j] as number) + lambda;
      }
    }
    const step = solveSpd(hessian, gradient, p);
    let size = 0;
    for (let j = 0; j < p; j++) {
      beta[j] = (beta[j] as number) - (step[j] as number);
      size = Math.max(size, Math.abs(step[j] as number));
    }
    if (size < 1e-8) break;
  }
  return { mean, scale, weights: beta, iterations: iterations + 1 };
}

export function predictLogistic(model: LogisticModel, row: readonly number[]): number {
  const d = model.mean.length;
  let dot = model.weights[d] as number;
  for (let j = 0; j < d; j++)
    dot +=
      (model.weights[j] as number) * (((row[j] as number) - (model.mean[j] as number)) / (model.scale[j] as number));
  return sigmoid(dot);
}
