/**
 * Synthesizer benchmark (docs/synthetic-data.md §9): `npm run bench -- synth [--runs N] [--json]` prints
 *   fitMs              one DP fit of 100,000 rows × 10 columns (8 numeric, a 3-way category and a
 *                      binary label) at ε = 1, δ = 1e-6 — DP Lloyd (3 iterations), keyed-hash
 *                      groups, exact discrete Gaussian noise — on CryptoRandomSource (target ≤ 10 s)
 *   encodeMs           parsing and encoding the 100,000 CSV-like rows (reported apart)
 *   sampleMs           drawing 100,000 synthetic rows from the fitted mixture
 *   kmeansBaselineMs   the baseline: a plain non-private Lloyd k-means with the same iterations and
 *                      clusters over the same encoded rows (nearest centroid + exact sums)
 *   fitOverKmeans      fitMs ÷ kmeansBaselineMs
 * Medians of `runs` interleaved runs (fit, then baseline, in each run). Data: seeded, generated here.
 */
import { performance } from 'node:perf_hooks';
import { CryptoRandomSource, uniformUnit, type RandomSource } from '../../shared/ports/random.ts';
import { cellSums, nearestCentroid } from '../../shared/synth/core/cluster.ts';
import { encodeRows, makeLayout, type EncodedTable, type RawValue } from '../../shared/synth/core/encode.ts';
import { fitSynthesizer } from '../../shared/synth/core/fit.ts';
import { sampleRows } from '../../shared/synth/core/model.ts';
import type { SynthSchema } from '../../shared/synth/core/schema.ts';
import { SeededRandomSource } from '../../shared/testing/seeded-random.ts';
import { median } from './stats.ts';

const ROWS = 100_000;
const SCHEMA: SynthSchema = {
  label: 'y',
  columns: [
    ...Array.from({ length: 8 }, (_, i) => ({ name: `x${i}`, kind: 'numeric' as const, lo: 0, hi: 100 })),
    { name: 'shop', kind: 'categorical', categories: ['north', 'south', 'east'] },
    { name: 'y', kind: 'categorical', categories: ['0', '1'] },
  ],
};

function benchRows(rng: RandomSource): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < ROWS; i++) {
    const y = uniformUnit(rng) < 0.3 ? 1 : 0;
    const latent = uniformUnit(rng);
    const row = Array.from({ length: 8 }, (_, j) =>
      (100 * Math.min(1, Math.max(0, 0.3 * latent + 0.2 * y * (j % 3) + 0.5 * uniformUnit(rng)))).toFixed(2),
    );
    row.push(['north', 'south', 'east'][Math.floor(uniformUnit(rng) * 3)] as string, String(y));
    rows.push(row);
  }
  return rows;
}

/** Non-private Lloyd k-means inside each label class: the same passes the DP fit makes, without noise. */
function plainKmeans(table: EncodedTable, iterations: number, k: number, rng: RandomSource): number {
  const f = table.layout.featureIndexes.length;
  let centroids = [0, 1].map(() =>
    Array.from({ length: k }, () =>
      Float64Array.from({ length: f }, () => (uniformUnit(rng) - 0.5) * table.layout.scale),
    ),
  );
  let moved = 0;
  for (let t = 0; t < iterations; t++) {
    const sums = cellSums(
      table,
      (r) =>
        (table.labelClass[r] as number) * k +
        nearestCentroid(table, r, centroids[table.labelClass[r] as number] as Float64Array[]),
      2 * k,
    );
    centroids = centroids.map((list, c) =>
      list.map((old, j) => {
        const base = (c * k + j) * (f + 1);
        const n = (sums[base + f] as number) / table.layout.scale;
        if (n <= 0) return old;
        moved++;
        return Float64Array.from(old, (_, d) => (sums[base + d] as number) / n);
      }),
    );
  }
  return moved;
}

export async function runBench(options: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number | string>> {
  const raw: RawValue[][] = benchRows(new SeededRandomSource('bench-synth'));
  const layout = makeLayout(SCHEMA);
  const fitMs: number[] = [];
  const encodeMs: number[] = [];
  const sampleMs: number[] = [];
  const baselineMs: number[] = [];
  let groups = 0;
  for (let run = 0; run < options.runs; run++) {
    const rng = new CryptoRandomSource();
    let start = performance.now();
    const table = encodeRows(layout, raw);
    encodeMs.push(performance.now() - start);
    start = performance.now();
    const fit = fitSynthesizer(table, { epsilon: 1, delta: 1e-6 }, { iterations: 3 }, rng);
    fitMs.push(performance.now() - start);
    groups = fit.groups.length;
    start = performance.now();
    sampleRows(fit.model, rng, ROWS, 0.05);
    sampleMs.push(performance.now() - start);
    start = performance.now();
    plainKmeans(table, fit.plan.iterations, fit.plan.clustersPerClass, new SeededRandomSource(run));
    baselineMs.push(performance.now() - start);
    options.progress(
      `run ${run + 1}/${options.runs}: fit ${fitMs.at(-1)?.toFixed(0)} ms (${groups} groups of m = ${fit.plan.groupSize}), plain k-means ${baselineMs.at(-1)?.toFixed(0)} ms`,
    );
  }
  const fit = median(fitMs);
  const baseline = median(baselineMs);
  return {
    rows: ROWS,
    columns: SCHEMA.columns.length,
    groups,
    fitMs: fit,
    encodeMs: median(encodeMs),
    sampleMs: median(sampleMs),
    kmeansBaselineMs: baseline,
    fitOverKmeans: fit / baseline,
    targetFitMs: 10_000,
  };
}
