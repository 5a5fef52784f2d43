import { CryptoRandomSource } from '../../shared/ports/random.ts';
import { chooseK, makeThresholdPolicy, pickOffer } from '../../hub/core/offers/threshold-sampler.ts';
import { median } from './stats.ts';

/**
 * Offers benchmark: decisions/s with 1,000 eligible offers (threshold sampler on the pooled
 * crypto source) and the time to compute the public k for 10,000 offers.
 */
export async function runBench({ runs, progress }: { runs: number; progress: (line: string) => void }): Promise<Record<string, number>> {
  const rng = new CryptoRandomSource();
  const offers = Array.from({ length: 1000 }, (_, i) => `offer-${i}`);
  const policy = makeThresholdPolicy(offers.length, 1, chooseK(offers.length, 1));
  const decisionRates: number[] = [];
  const kTimes: number[] = [];
  for (let run = 0; run < runs; run++) {
    let decisions = 0;
    let sink = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 0.5) {
      for (let i = 0; i < 10_000; i++) sink += pickOffer(offers, policy, rng).rank;
      decisions += 10_000;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    decisionRates.push(decisions / elapsed);
    const kStart = process.hrtime.bigint();
    sink += chooseK(10_000, 1);
    kTimes.push(Number(process.hrtime.bigint() - kStart) / 1e6);
    if (sink < 0) progress('unreachable');
    progress(`run ${run + 1}/${runs}: ${Math.round(decisionRates.at(-1) ?? 0)} decisions/s, k for 10k offers in ${(kTimes.at(-1) ?? 0).toFixed(3)} ms`);
  }
  return { decisionsPerSec: Math.round(median(decisionRates)), kComputeMs10k: Number(median(kTimes).toFixed(3)) };
}
