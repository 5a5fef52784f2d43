import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildRelease } from './release-build.ts';
import { median } from './stats.ts';
import { GATEWAY_NODE_OPTIONS } from '../../provisioning/core/systemd-unit.ts';

/**
 * Gateway benchmark (issue 3): adverts/s through noble's real parser + the opt-in filter + the
 * window coarsener (the whole gateway, outbox included) on one core, and through the filter +
 * window alone; CPU seconds per million adverts on the noble path; the gateway process's peak
 * RSS. Targets: ≥ 50,000/s, ≥ 500,000/s, ≤ 80 MB.
 *
 * Each run is a fresh plain-Node process pinned to one core (taskset) running
 * gateway-worker.ts compiled with the release (release-build.ts: tsc output, one module per
 * source file, as `npm run build` makes dist/ for a Pi) — without the tsx loader, which alone
 * adds ~30 MB of RSS. Figures are medians over the runs. noble's parser with an empty listener
 * is measured in the same runs as the baseline (progress only).
 *
 * peakRssMb is the gateway process's peak RSS while it receives 6,500 reports/s (a Pi's UART
 * ceiling), run with SERVICE_FLAGS: the Node options the gateway's systemd unit sets
 * (provisioning/core/systemd-unit.ts, documented in docs/gateway.md). Each run repeats with
 * Node's default flags (under noble's allocation rate V8 then grows the young generation to
 * 32 MB); that median, and the peaks after the full-speed flood, are printed as progress.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Node flags the gateway's service runs with (NODE_OPTIONS in its systemd unit). */
export const SERVICE_FLAGS: string[] = [...GATEWAY_NODE_OPTIONS];

interface WorkerFigures {
  advertsPerSecNoble: number;
  advertsPerSecCore: number;
  cpuSecondsPerMillion: number;
  peakRssMb: number;
  floodPeakRssMb: number;
  advertsPerSecNobleBaseline: number;
  optInShare: number;
}

export async function runBench({
  runs,
  progress,
}: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const WORKER = join(await buildRelease(), 'scripts', 'bench', 'gateway-worker.js');
  const pinned = existsSync('/usr/bin/taskset');
  const worker = async (flags: string[]): Promise<WorkerFigures> => {
    const command = pinned ? '/usr/bin/taskset' : process.execPath;
    const args = [...(pinned ? ['-c', '0', process.execPath] : []), ...flags, WORKER];
    const { stdout } = await run(command, args, { cwd: ROOT, maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as WorkerFigures;
  };
  const results: WorkerFigures[] = [];
  const defaults: WorkerFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const figures = await worker(SERVICE_FLAGS);
    results.push(figures);
    const plain = await worker([]);
    defaults.push(plain);
    progress(
      `run ${i + 1}/${runs}${pinned ? ' (one core)' : ''}, ${SERVICE_FLAGS.join(' ')}: noble path ${Math.round(figures.advertsPerSecNoble)}/s (noble alone ${Math.round(figures.advertsPerSecNobleBaseline)}/s), core ${Math.round(figures.advertsPerSecCore)}/s, ${figures.cpuSecondsPerMillion.toFixed(2)} CPU s per million, peak RSS ${figures.peakRssMb.toFixed(1)} MB at 6,500/s (${figures.floodPeakRssMb.toFixed(1)} MB after the flood); with Node's defaults: ${Math.round(plain.advertsPerSecNoble)}/s, ${plain.peakRssMb.toFixed(1)} MB (${plain.floodPeakRssMb.toFixed(1)} MB)`,
    );
  }
  const pick = (list: WorkerFigures[], key: keyof WorkerFigures): number => median(list.map((r) => r[key]));
  const noble = pick(results, 'advertsPerSecNoble');
  const baseline = pick(results, 'advertsPerSecNobleBaseline');
  progress(
    `median noble path / noble alone: ${(noble / baseline).toFixed(2)} (${Math.round(noble)} vs ${Math.round(baseline)} adverts/s); ${(pick(results, 'optInShare') * 100).toFixed(0)}% of the adverts are opt-in`,
  );
  progress(
    `median peak RSS after the full-speed flood: ${pick(results, 'floodPeakRssMb').toFixed(1)} MB; with Node's default flags: ${pick(defaults, 'peakRssMb').toFixed(1)} MB at 6,500/s, ${pick(defaults, 'floodPeakRssMb').toFixed(1)} MB after the flood, noble path ${Math.round(pick(defaults, 'advertsPerSecNoble'))}/s`,
  );
  return {
    advertsPerSecNoble: Math.round(noble),
    advertsPerSecCore: Math.round(pick(results, 'advertsPerSecCore')),
    cpuSecondsPerMillion: Number(pick(results, 'cpuSecondsPerMillion').toFixed(3)),
    peakRssMb: Number(pick(results, 'peakRssMb').toFixed(1)),
  };
}
