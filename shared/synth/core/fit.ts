import { AppError } from '../../errors.ts';
import type { RandomSource } from '../../ports/random.ts';
import { planSynthesis, type SynthPlan, type SynthPrivacyTarget, type SynthTuning } from './calibrate.ts';
import { dpLloyd, type Clustering } from './cluster.ts';
import type { EncodedTable } from './encode.ts';
import { releaseGroups, type GroupRelease } from './groups.ts';
import { buildModel, type SynthModel } from './model.ts';
import { reconcileGroups } from './reconcile.ts';
import { labelColumn } from './schema.ts';

/**
 * The whole fit: plan (exact σ², m, ρ) → DP Lloyd per label class → noisy group sums → mixture
 * model. Theorem (docs/synthetic-data.md §5): the released values (every clustering release and
 * every group release) are ρ-zCDP with ρ = plan.rho under adding or removing one privacy unit of at
 * most K records, hence (plan.cost.epsilon, δ)-DP; the model and any rows drawn from it are
 * post-processing.
 */

export interface FitOptions extends SynthTuning {
  /** Public threshold below which a group's noisy count drops it from the model (default m/4). */
  readonly minGroupCount?: number;
  /**
   * Skip the check of the exact row count against plan.minRows (default false). The check is for a
   * data holder running the CLI; a scheduled release sets this so that nothing about it depends on
   * the exact count (a thin week yields fewer or no groups, decided by noisy counts).
   */
  readonly allowFewRows?: boolean;
  /** Reconcile the group sums with the released class totals (default true; post-processing). */
  readonly reconcile?: boolean;
  /** One identity per row (default: the encoded vector and its occurrence number). */
  readonly identities?: readonly string[];
}

export interface SynthFit {
  readonly plan: SynthPlan;
  readonly clustering: Clustering;
  readonly groups: readonly GroupRelease[];
  readonly model: SynthModel;
}

export function tooFewRowsMessage(plan: SynthPlan, rows: number, classes: number): string {
  return (
    `the table has ${rows} rows, expected at least ${plan.minRows} for ε = ${plan.cost.epsilon.toPrecision(4)}, ` +
    `δ = ${plan.delta} (groups of m = ${plan.groupSize} records for a noise of ${plan.meanNoise.toPrecision(3)} ` +
    `per group-mean coordinate, at least one group in each of ${classes} label classes)`
  );
}

export function fitSynthesizer(
  table: EncodedTable,
  target: SynthPrivacyTarget,
  options: FitOptions,
  rng: RandomSource,
): SynthFit {
  const plan = planSynthesis(table.layout, target, options);
  const classes = labelColumn(table.layout.schema)?.categories.length ?? 1;
  if (options.allowFewRows !== true && table.rows < plan.minRows) {
    throw new AppError('SYNTH_TOO_FEW_ROWS', tooFewRowsMessage(plan, table.rows, classes), {
      details: { rows: table.rows, minRows: plan.minRows, groupSize: plan.groupSize },
    });
  }
  if (options.identities !== undefined && options.identities.length !== table.rows) {
    throw new AppError(
      'DP_INVALID_PARAMETER',
      `identities has ${options.identities.length} entries, expected one per row (${table.rows})`,
    );
  }
  const clustering = dpLloyd(table, plan, classes, rng);
  const groups = releaseGroups(table, clustering, plan, rng, options.identities);
  const consistent = options.reconcile === false ? groups : reconcileGroups(groups, clustering, plan);
  const model = buildModel(table.layout, consistent, options.minGroupCount ?? plan.groupSize / 4);
  return { plan, clustering, groups, model };
}
