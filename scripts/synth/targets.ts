/**
 * Measures the issue-16 targets on the retail customer task (docs/synthetic-data.md §9):
 *   npx tsx scripts/synth/targets.ts [--input FILE.csv.gz] [--seeds 1,2,3] [--json]
 * For ε = 1 and ε = 4 (δ = 1e-6) and each seed: fit with the CLI's defaults, draw the default
 * number of rows (the noisy record count) with jitter 0.05, evaluate against train-on-real and the
 * independent-DP-marginals baseline at the same (ε, δ); then the same with --adapt. Prints every
 * seed and the medians. Seeded randomness: an evaluation, not a private release.
 */
import { parseArgs } from 'node:util';
import { adaptLabels } from '../../shared/synth/core/adapt.ts';
import { encodeRows, makeLayout } from '../../shared/synth/core/encode.ts';
import { fitSynthesizer } from '../../shared/synth/core/fit.ts';
import { sampleRows } from '../../shared/synth/core/model.ts';
import { evaluateSynthetic, type EvaluationReport } from '../../shared/synth/evaluate.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { median } from '../bench/stats.ts';
import { buildCustomerTask, CUSTOMER_SCHEMA } from './retail-customers.ts';
import { DEFAULT_RETAIL_FILE, readInvoiceLines } from './retail-task.ts';

interface SeedResult {
  readonly epsilon: number;
  readonly adapt: boolean;
  readonly seed: number;
  readonly groupSize: number;
  readonly components: number;
  readonly report: EvaluationReport;
}

function figures(r: EvaluationReport): Record<string, number> {
  return {
    tstrSynthetic: r.tstrAuc.synthetic,
    tstrReal: r.tstrAuc.real,
    tstrIndependent: r.tstrAuc.independentMarginals,
    marginalSynthetic: r.marginalError.synthetic.mean,
    marginalIndependent: r.marginalError.independentMarginals.mean,
    correlationSynthetic: r.correlationError.synthetic.mean,
    correlationIndependent: r.correlationError.independentMarginals.mean,
    dcrMedian: r.distanceToClosestReal.synthetic.median,
    dcrMin: r.distanceToClosestReal.synthetic.min,
    exactCopies: r.distanceToClosestReal.synthetic.exactMatches,
    holdoutDcrMedian: r.distanceToClosestReal.holdout.median,
  };
}

export function measureTargets(input: string, seeds: readonly number[]): SeedResult[] {
  const task = buildCustomerTask(readInvoiceLines(input), 'hushpoint');
  const layout = makeLayout(CUSTOMER_SCHEMA);
  const train = task.train.map((row) => row.map(String));
  const holdout = task.holdout.map((row) => row.map(String));
  const table = encodeRows(layout, train);
  const results: SeedResult[] = [];
  for (const epsilon of [1, 4]) {
    for (const adapt of [false, true]) {
      for (const seed of seeds) {
        const rng = new SeededRandomSource(`targets:${epsilon}:${seed}`);
        const fit = fitSynthesizer(table, { epsilon, delta: 1e-6 }, {}, rng);
        const model = adapt ? adaptLabels(fit.model) : fit.model;
        const rows = sampleRows(model, rng, undefined, 0.05);
        const report = evaluateSynthetic(
          CUSTOMER_SCHEMA,
          { real: train, synthetic: rows, holdout },
          { epsilon, delta: 1e-6 },
          rng,
        );
        results.push({
          epsilon,
          adapt,
          seed,
          groupSize: fit.plan.groupSize,
          components: fit.model.components.length,
          report,
        });
      }
    }
  }
  return results;
}

function summarise(results: readonly SeedResult[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const key of new Set(results.map((r) => `eps${r.epsilon}${r.adapt ? '-adapt' : ''}`))) {
    const group = results.filter((r) => `eps${r.epsilon}${r.adapt ? '-adapt' : ''}` === key);
    const all = group.map((r) => figures(r.report));
    const names = Object.keys(all[0] ?? {});
    out[key] = Object.fromEntries(names.map((n) => [n, median(all.map((f) => f[n] as number))]));
    (out[key] as Record<string, number>).groupSize = group[0]?.groupSize ?? 0;
  }
  return out;
}

const invoked = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invoked) {
  const { values } = parseArgs({
    options: { input: { type: 'string' }, seeds: { type: 'string', default: '1,2,3' }, json: { type: 'boolean' } },
  });
  const seeds = String(values.seeds).split(',').map(Number);
  const results = measureTargets(values.input ?? DEFAULT_RETAIL_FILE, seeds);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ seeds: results.map((r) => ({ epsilon: r.epsilon, adapt: r.adapt, seed: r.seed, ...figures(r.report) })), medians: summarise(results) })}\n`,
    );
  } else {
    for (const r of results) {
      const f = figures(r.report);
      process.stdout.write(
        `ε=${r.epsilon}${r.adapt ? ' adapt' : ''} seed ${r.seed}: m=${r.groupSize} components=${r.components} TSTR ${f.tstrSynthetic?.toFixed(4)} (real ${f.tstrReal?.toFixed(4)}, independent ${f.tstrIndependent?.toFixed(4)})\n`,
      );
    }
    process.stdout.write(`${JSON.stringify(summarise(results), null, 1)}\n`);
  }
}
