import type { Rational } from '../../privacy/rational.ts';
import type { SynthPlan } from './calibrate.ts';
import type { Clustering } from './cluster.ts';
import type { GroupRelease } from './groups.ts';

/**
 * Consistency post-processing (docs/synthetic-data.md §3.5; Hay, Rastogi, Miklau, Suciu 2010):
 * the first DP Lloyd iteration releases each label class's noisy total T̂ = T + e₀ (features and
 * count, noise variance σ₀² per integer), and the groups of that class partition exactly the same
 * records, so Σ_j g_j = T for their exact sums. Given ĝ_j = g_j + e_j (variance σ_g² each, B groups),
 * the best linear unbiased estimates under that constraint are
 *   g̃_j = ĝ_j + σ_g²/(B·σ_g² + σ₀²) · (T̂ − Σ_j ĝ_j),
 * which cut the noise of the class total from √B·σ_g to (1/(B·σ_g²) + 1/σ₀²)^(−½) — what a model
 * trained on the class means sees most. Released values only, so it costs no privacy.
 */

function toNumber(r: Rational): number {
  return Number(r.num) / Number(r.den);
}

export function reconcileGroups(
  groups: readonly GroupRelease[],
  clustering: Clustering,
  plan: SynthPlan,
): GroupRelease[] {
  const totals = clustering.releases.filter((r) => r.iteration === 1);
  const s0 = toNumber(plan.clustering.sigmaSquared);
  const sg = toNumber(plan.groups.sigmaSquared);
  const out = [...groups];
  for (const total of totals) {
    const members = groups.map((g, i) => [g, i] as const).filter(([g]) => g.labelClass === total.labelClass);
    if (members.length === 0) continue;
    const width = total.noisySums.length;
    const gap = new Float64Array(width);
    for (let f = 0; f < width; f++) {
      let sum = 0;
      for (const [g] of members) sum += g.noisySums[f] as number;
      gap[f] = (total.noisySums[f] as number) - sum;
    }
    const weight = sg / (members.length * sg + s0);
    for (const [g, i] of members) {
      out[i] = { ...g, noisySums: g.noisySums.map((v, f) => v + weight * (gap[f] as number)) };
    }
  }
  return out;
}
