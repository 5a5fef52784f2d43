import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median } from './stats.ts';

/**
 * Gateway benchmark (issue 3): adverts/s through noble's real parser + the opt-in filter + the
 * window coarsener (the whole gateway, outbox included) on one core, and through the filter +
 * window alone; CPU seconds per million adverts on the noble path; the gateway process's peak
 * RSS. Targets: ≥ 50,000/s, ≥ 500,000/s, ≤ 80 MB.
 *
 * Each run is a fresh plain-Node process pinned to one core (taskset) running
 * gateway-worker.ts bundled by esbuild — the way the compiled release runs on a Pi, without the
 * tsx loader (which alone adds ~30 MB of RSS). Figures are medians over the runs. noble's
 * parser with an empty listener is measured in the same runs as the baseline (progress only).
 *
 * peakRssMb is the gateway process's peak RSS while it receives 6,500 reports/s (a Pi's UART
 * ceiling) with Node's default flags. Each run also repeats with RECOMMENDED_FLAGS (the young
 * generation capped: V8 otherwise grows it to 32 MB under noble's allocation rate); those
 * medians, and the peak after the full-speed flood, are printed as progress.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./gateway-worker.ts', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../.bench/gateway-worker.mjs', import.meta.url));

/** The Node flags docs/gateway.md recommends for the gateway's service. */
export const RECOMMENDED_FLAGS = ['--max-semi-space-size=2'];

interface WorkerFigures {
  advertsPerSecNoble: number;
  advertsPerSecCore: number;
  cpuSecondsPerMillion: number;
  peakRssMb: number;
  floodPeakRssMb: number;
  advertsPerSecNobleBaseline: number;
  optInShare: number;
}

async function bundle(): Promise<void> {
  const esbuild = await import('esbuild');
  mkdirSync(fileURLToPath(new URL('../../.bench/', import.meta.url)), { recursive: true });
  // .bench/ sits inside the checkout so that the bundle resolves node_modules as the sources do.
  await esbuild.build({ entryPoints: [WORKER], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'silent' });
}

export async function runBench({ runs, progress }: { runs: number; progress: (line: string) => void }): Promise<Record<string, number>> {
  await bundle();
  const pinned = existsSync('/usr/bin/taskset');
  const worker = async (flags: string[]): Promise<WorkerFigures> => {
    const command = pinned ? '/usr/bin/taskset' : process.execPath;
    const args = [...(pinned ? ['-c', '0', process.execPath] : []), ...flags, BUNDLE];
    const { stdout } = await run(command, args, { cwd: ROOT, maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as WorkerFigures;
  };
  const results: WorkerFigures[] = [];
  const tuned: WorkerFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const figures = await worker([]);
    results.push(figures);
    const flagged = await worker(RECOMMENDED_FLAGS);
    tuned.push(flagged);
    progress(`run ${i + 1}/${runs}${pinned ? ' (one core)' : ''}: noble path ${Math.round(figures.advertsPerSecNoble)}/s (noble alone ${Math.round(figures.advertsPerSecNobleBaseline)}/s), core ${Math.round(figures.advertsPerSecCore)}/s, ${figures.cpuSecondsPerMillion.toFixed(2)} CPU s per million, peak RSS ${figures.peakRssMb.toFixed(1)} MB at 6,500/s (${figures.floodPeakRssMb.toFixed(1)} MB after the flood); with ${RECOMMENDED_FLAGS.join(' ')}: ${Math.round(flagged.advertsPerSecNoble)}/s, ${flagged.peakRssMb.toFixed(1)} MB (${flagged.floodPeakRssMb.toFixed(1)} MB)`);
  }
  const pick = (list: WorkerFigures[], key: keyof WorkerFigures): number => median(list.map((r) => r[key]));
  const noble = pick(results, 'advertsPerSecNoble');
  const baseline = pick(results, 'advertsPerSecNobleBaseline');
  progress(`median noble path / noble alone: ${(noble / baseline).toFixed(2)} (${Math.round(noble)} vs ${Math.round(baseline)} adverts/s); ${(pick(results, 'optInShare') * 100).toFixed(0)}% of the adverts are opt-in`);
  progress(`median peak RSS after the full-speed flood: ${pick(results, 'floodPeakRssMb').toFixed(1)} MB; with ${RECOMMENDED_FLAGS.join(' ')}: ${pick(tuned, 'peakRssMb').toFixed(1)} MB at 6,500/s, ${pick(tuned, 'floodPeakRssMb').toFixed(1)} MB after the flood, noble path ${Math.round(pick(tuned, 'advertsPerSecNoble'))}/s`);
  return {
    advertsPerSecNoble: Math.round(noble),
    advertsPerSecCore: Math.round(pick(results, 'advertsPerSecCore')),
    cpuSecondsPerMillion: Number(pick(results, 'cpuSecondsPerMillion').toFixed(3)),
    peakRssMb: Number(pick(results, 'peakRssMb').toFixed(1)),
  };
}
