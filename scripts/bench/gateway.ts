import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GATEWAY_NODE_OPTIONS } from '../../provisioning/core/systemd-unit.ts';
import { PI_UART_REPORTS_PER_SEC, writePoolTrace } from './gateway-air.ts';
import { servicePeakRss, type ServiceRun } from './gateway-service.ts';
import { buildRelease } from './release-build.ts';
import { median } from './stats.ts';

/**
 * Gateway benchmark (docs/gateway.md): adverts/s through noble's real parser + the opt-in filter + the
 * window coarsener (the whole gateway, outbox included) on one core, and through the filter +
 * window alone; CPU seconds per million adverts on the noble path; the gateway process's peak
 * RSS. Targets: ≥ 50,000/s, ≥ 500,000/s, ≤ 80 MB.
 *
 * Everything runs the compiled release (release-build.ts: tsc output, one module per source
 * file, as `npm run build` makes dist/ for a Pi) in plain Node, without the tsx loader, which
 * alone adds ~30 MB of RSS. Each run has two parts:
 *
 *   peakRssMb   the real `hushpoint gateway` process (gateway-service.ts) receiving 6,500
 *               reports/s (a Pi's UART ceiling) for PACED_SECONDS, with SERVICE_FLAGS: the Node
 *               options the gateway's systemd unit sets (provisioning/core/systemd-unit.ts,
 *               documented in docs/gateway.md). Each run also measures it with Node's default
 *               flags (under noble's allocation rate V8 then grows the young generation to
 *               32 MB), printed as progress.
 *   throughput  a fresh process pinned to one core (taskset) running gateway-worker.ts: the
 *               noble path, the core path, and noble's parser with an empty listener as the
 *               baseline, in the same process; with the service flags (the figures) and with
 *               Node's defaults (progress), interleaved.
 *
 * The paced processes of all runs run at the same time (at most PACED_AT_ONCE: each takes about
 * 15% of a core, most of it reading its trace, and the peak RSS of one does not depend on the
 * others), so a run's minute at the UART ceiling is not spent once per run; each reports the
 * rate it actually kept. The throughput workers then run one at a time, alone on their core,
 * the service flags and Node's defaults interleaved. Figures are medians over the runs.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Node flags the gateway's service runs with (NODE_OPTIONS in its systemd unit). */
export const SERVICE_FLAGS: string[] = [...GATEWAY_NODE_OPTIONS];
/** Seconds at the UART ceiling: long enough for V8's first full GCs (about 44 s with the service flags). */
const PACED_SECONDS = Number(process.env.HUSHPOINT_BENCH_PACED_SECONDS ?? 60);
/** Paced gateway processes alive at once (two per run: the service flags and Node's defaults). */
const PACED_AT_ONCE = 6;
/** Runs by default: all their paced processes fit in one PACED_AT_ONCE batch, so the suite takes ~2.5 minutes. */
export const defaultRuns = 3;

interface WorkerFigures {
  advertsPerSecNoble: number;
  advertsPerSecCore: number;
  cpuSecondsPerMillion: number;
  floodPeakRssMb: number;
  advertsPerSecNobleBaseline: number;
  optInShare: number;
}

/** Runs `tasks` with at most `limit` of them at a time; results in order. */
async function limited<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}

async function pacedRuns(
  dist: string,
  runs: number,
  progress: (line: string) => void,
): Promise<{ service: ServiceRun[]; defaults: ServiceRun[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'hp-bench-gw-'));
  try {
    const trace = join(dir, 'air.jsonl');
    await writePoolTrace(trace, PACED_SECONDS * PI_UART_REPORTS_PER_SEC);
    progress(
      `peak RSS: ${runs} × 2 'hushpoint gateway' processes (compiled release) replaying ${PACED_SECONDS} s at ${PI_UART_REPORTS_PER_SEC} reports/s, up to ${PACED_AT_ONCE} at once`,
    );
    const timeoutMs = (PACED_SECONDS + 120) * 1000;
    const tasks = Array.from({ length: runs }, () => [SERVICE_FLAGS, []] as const).flatMap((pair) =>
      pair.map((nodeOptions) => () => servicePeakRss({ dist, trace, nodeOptions, timeoutMs })),
    );
    const results = await limited(tasks, PACED_AT_ONCE);
    const service = results.filter((_, i) => i % 2 === 0);
    const defaults = results.filter((_, i) => i % 2 === 1);
    service.forEach((s, i) => {
      const d = defaults[i] as ServiceRun;
      progress(
        `  run ${i + 1}/${runs}: peak RSS ${s.peakRssMb.toFixed(1)} MB with ${SERVICE_FLAGS.join(' ')} (${Math.round(s.achievedPerSec)} reports/s kept, ${s.windowsClosed} windows; ${s.startedPeakRssMb.toFixed(1)} MB by the end of the trace check), ${d.peakRssMb.toFixed(1)} MB with Node's defaults (${Math.round(d.achievedPerSec)}/s; ${d.startedPeakRssMb.toFixed(1)} MB)`,
      );
    });
    return { service, defaults };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runBench({
  runs,
  progress,
}: {
  runs: number;
  progress: (line: string) => void;
}): Promise<Record<string, number>> {
  const dist = await buildRelease();
  const WORKER = join(dist, 'scripts', 'bench', 'gateway-worker.js');
  const pinned = existsSync('/usr/bin/taskset');
  const worker = async (flags: string[]): Promise<WorkerFigures> => {
    const command = pinned ? '/usr/bin/taskset' : process.execPath;
    const args = [...(pinned ? ['-c', '0', process.execPath] : []), ...flags, WORKER];
    const { stdout } = await run(command, args, { cwd: ROOT, maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as WorkerFigures;
  };
  const paced = await pacedRuns(dist, runs, progress);
  const results: WorkerFigures[] = [];
  const defaults: WorkerFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const figures = await worker(SERVICE_FLAGS);
    results.push(figures);
    const plain = await worker([]);
    defaults.push(plain);
    progress(
      `run ${i + 1}/${runs}${pinned ? ' (one core)' : ''}, ${SERVICE_FLAGS.join(' ')}: noble path ${Math.round(figures.advertsPerSecNoble)}/s (noble alone ${Math.round(figures.advertsPerSecNobleBaseline)}/s), core ${Math.round(figures.advertsPerSecCore)}/s, ${figures.cpuSecondsPerMillion.toFixed(2)} CPU s per million, worker peak RSS ${figures.floodPeakRssMb.toFixed(1)} MB after the flood; with Node's defaults: ${Math.round(plain.advertsPerSecNoble)}/s, ${plain.floodPeakRssMb.toFixed(1)} MB`,
    );
  }
  const pick = (list: WorkerFigures[], key: keyof WorkerFigures): number => median(list.map((r) => r[key]));
  const noble = pick(results, 'advertsPerSecNoble');
  const baseline = pick(results, 'advertsPerSecNobleBaseline');
  const peak = median(paced.service.map((r) => r.peakRssMb));
  progress(
    `median noble path / noble alone: ${(noble / baseline).toFixed(2)} (${Math.round(noble)} vs ${Math.round(baseline)} adverts/s); ${(pick(results, 'optInShare') * 100).toFixed(0)}% of the adverts are opt-in`,
  );
  progress(
    `median peak RSS of 'hushpoint gateway' at ${PI_UART_REPORTS_PER_SEC}/s: ${peak.toFixed(1)} MB; with Node's default flags: ${median(paced.defaults.map((r) => r.peakRssMb)).toFixed(1)} MB; the throughput worker after the full-speed flood: ${pick(results, 'floodPeakRssMb').toFixed(1)} MB (${pick(defaults, 'floodPeakRssMb').toFixed(1)} MB with Node's defaults, noble path ${Math.round(pick(defaults, 'advertsPerSecNoble'))}/s)`,
  );
  return {
    advertsPerSecNoble: Math.round(noble),
    advertsPerSecCore: Math.round(pick(results, 'advertsPerSecCore')),
    cpuSecondsPerMillion: Number(pick(results, 'cpuSecondsPerMillion').toFixed(3)),
    peakRssMb: Number(peak.toFixed(1)),
  };
}
