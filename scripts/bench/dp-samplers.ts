/**
 * Throughput of the exact discrete Gaussian sampler (σ = 6, CryptoRandomSource), with a naive
 * Math.random float Laplace measured in the same run FOR REFERENCE ONLY: that sampler is the
 * textbook inverse-CDF one that Mironov (CCS 2012) broke, and must never be used for privacy.
 * It lives here because scripts/ is not shipped privacy code.
 *
 * Method (docs/references.md#measured-performance-anchors-2-cores-node-20): 5 interleaved rounds of ~0.5 s per sampler, median
 * of the rounds. Run: npx tsx scripts/bench/dp-samplers.ts
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { makeDiscreteGaussianSampler } from '../../shared/privacy/samplers/discrete-gaussian.ts';

const ROUNDS = 5;
const ROUND_MS = 500;
const BATCH = 1000;

export interface SamplerThroughput {
  discreteGaussianSamplesPerSec: number;
  naiveLaplaceSamplesPerSec: number;
}

/** Samples per second of `draw` over about ROUND_MS; the checksum keeps the work observable. */
function measure(draw: () => number): { rate: number; checksum: number } {
  let count = 0;
  let checksum = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let i = 0; i < BATCH; i++) checksum += draw();
    count += BATCH;
    elapsed = performance.now() - start;
  }
  return { rate: (count * 1000) / elapsed, checksum };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function measureSamplers(): Promise<SamplerThroughput> {
  const rng = new CryptoRandomSource();
  const gaussian = makeDiscreteGaussianSampler(36n, 1n); // σ = 6
  const drawGaussian = (): number => Number(gaussian(rng));
  // REFERENCE ONLY, insecure: inverse-CDF Laplace(b = 6) on Math.random doubles.
  const drawNaiveLaplace = (): number => {
    const u = Math.random() - 0.5;
    return -6 * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  };

  const gaussianRates: number[] = [];
  const laplaceRates: number[] = [];
  let checksum = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const g = measure(drawGaussian);
    const l = measure(drawNaiveLaplace);
    gaussianRates.push(g.rate);
    laplaceRates.push(l.rate);
    checksum += g.checksum + l.checksum;
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (Number.isNaN(checksum)) throw new Error('benchmark produced NaN');
  return {
    discreteGaussianSamplesPerSec: Math.round(median(gaussianRates)),
    naiveLaplaceSamplesPerSec: Math.round(median(laplaceRates)),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await measureSamplers();
  console.log(JSON.stringify(result));
}
