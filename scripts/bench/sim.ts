import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, pump, simulationFor, DEFAULT_START_ISO, type GenerateOptions } from '../sim/generate.ts';
import { loadStore } from '../sim/load-store.ts';
import { median } from './stats.ts';

/**
 * Simulator benchmark: `hushpoint sim generate` for the large store (40 zones, 40 gateways), one
 * simulated hour, written to a temporary folder (target: under a minute). Figures are medians of
 * `runs` runs: advertsWritten (identical every run: same seed), advertsPerSec, seconds; plus
 * the engine alone (no hex, no files) measured interleaved as the baseline, and peak RSS.
 */
const LARGE = fileURLToPath(new URL('../stores/department-large.yaml', import.meta.url));

export async function runBench({
  runs,
  progress,
}: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const store = loadStore(LARGE).config;
  const options: GenerateOptions = {
    store,
    seed: 'bench',
    minutes: 60,
    startMs: Date.parse(DEFAULT_START_ISO),
    windowSeconds: 10,
  };
  const seconds: number[] = [];
  const rates: number[] = [];
  const engineRates: number[] = [];
  let advertsWritten = 0;
  for (let run = 0; run < runs; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'hp-bench-sim-'));
    try {
      const summary = generate(options, dir);
      advertsWritten = summary.advertsWritten;
      seconds.push(summary.seconds);
      rates.push(summary.advertsPerSec);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const began = process.hrtime.bigint();
    const stats = pump(simulationFor(options), { report: () => undefined });
    const engineSeconds = Number(process.hrtime.bigint() - began) / 1e9;
    engineRates.push(stats.reports / engineSeconds);
    progress(
      `run ${run + 1}/${runs}: ${advertsWritten} adverts written in ${(seconds.at(-1) ?? 0).toFixed(2)} s (${Math.round(rates.at(-1) ?? 0)}/s); engine alone ${Math.round(engineRates.at(-1) ?? 0)}/s`,
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  const advertsPerSec = Math.round(median(rates));
  const engineOnlyPerSec = Math.round(median(engineRates));
  return {
    advertsWritten,
    advertsPerSec,
    seconds: Number(median(seconds).toFixed(2)),
    engineOnlyPerSec,
    writeSpeedRatio: Number((advertsPerSec / engineOnlyPerSec).toFixed(3)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
