import type { RandomSource } from '../ports/random.ts';
import { rocAuc } from '../ml/auc.ts';
import { correlationErrors, marginalErrors, type ErrorSummary } from '../ml/fidelity.ts';
import { fitLogistic, predictLogistic } from '../ml/logistic-regression.ts';
import { nearestDistances, summariseDistances, type DistanceSummary } from '../ml/nearest-neighbour.ts';
import { tableView } from '../ml/table-view.ts';
import { rationalToNumberUp } from '../privacy/rational.ts';
import type { RawValue } from './core/encode.ts';
import { fitIndependentMarginals, sampleIndependentMarginals } from './core/independent-marginals.ts';
import type { SynthSchema } from './core/schema.ts';

/**
 * The evaluation of a synthetic table (docs/synthetic-data.md §7), pure:
 * - TSTR: logistic regression (L2 1e-4, standardised inputs, numeric columns through their
 *   schema transform) trained on the synthetic rows, on the real training rows, and on rows of
 *   the independent-DP-marginals baseline fitted to the real rows at the given (ε, δ); ROC AUC of
 *   each on the real holdout rows;
 * - marginal and pairwise-correlation errors against the real training rows, for the synthetic
 *   rows and the baseline;
 * - distance to the closest real training row of (up to `maxDistanceRows`) synthetic rows, and
 *   of the real holdout rows as the reference of what "a new real person" looks like.
 */

export interface EvaluationReport {
  readonly rows: { readonly real: number; readonly synthetic: number; readonly holdout: number };
  readonly tstrAuc: { readonly synthetic: number; readonly real: number; readonly independentMarginals: number };
  readonly marginalError: { readonly synthetic: ErrorSummary; readonly independentMarginals: ErrorSummary };
  readonly correlationError: { readonly synthetic: ErrorSummary; readonly independentMarginals: ErrorSummary };
  readonly distanceToClosestReal: { readonly synthetic: DistanceSummary; readonly holdout: DistanceSummary };
  readonly baseline: { readonly epsilon: number; readonly delta: number; readonly rho: number };
}

export interface EvaluateOptions {
  readonly epsilon: number;
  readonly delta: number;
  readonly maxDistanceRows?: number;
}

type Rows = readonly (readonly RawValue[])[];

function tstr(schema: SynthSchema, train: Rows, holdout: Rows): number {
  const t = tableView(schema, train, { raw: true });
  const h = tableView(schema, holdout, { raw: true });
  const model = fitLogistic(t.features, t.labels);
  return rocAuc(
    h.features.map((x) => predictLogistic(model, x)),
    h.labels.map((y) => (y >= 0.5 ? 1 : 0)),
  );
}

function firstRows(rows: Rows, limit: number): Rows {
  return rows.length <= limit ? rows : rows.slice(0, limit);
}

export function evaluateSynthetic(
  schema: SynthSchema,
  data: { readonly real: Rows; readonly synthetic: Rows; readonly holdout: Rows },
  options: EvaluateOptions,
  rng: RandomSource,
): EvaluationReport {
  const { real, synthetic, holdout } = data;
  const baselineModel = fitIndependentMarginals(schema, real, options, rng);
  const baseline = sampleIndependentMarginals(baselineModel, Math.max(synthetic.length, 1), rng);
  const realView = tableView(schema, real);
  const syntheticView = tableView(schema, synthetic);
  const baselineView = tableView(schema, baseline);
  const limit = options.maxDistanceRows ?? 2000;
  return {
    rows: { real: real.length, synthetic: synthetic.length, holdout: holdout.length },
    tstrAuc: {
      synthetic: tstr(schema, synthetic, holdout),
      real: tstr(schema, real, holdout),
      independentMarginals: tstr(schema, baseline, holdout),
    },
    marginalError: {
      synthetic: marginalErrors(realView, syntheticView),
      independentMarginals: marginalErrors(realView, baselineView),
    },
    correlationError: {
      synthetic: correlationErrors(realView, syntheticView),
      independentMarginals: correlationErrors(realView, baselineView),
    },
    distanceToClosestReal: {
      synthetic: summariseDistances(
        nearestDistances(tableView(schema, firstRows(synthetic, limit)).features, realView.features),
      ),
      holdout: summariseDistances(
        nearestDistances(tableView(schema, firstRows(holdout, limit)).features, realView.features),
      ),
    },
    baseline: { epsilon: options.epsilon, delta: options.delta, rho: rationalToNumberUp(baselineModel.step.rho) },
  };
}
