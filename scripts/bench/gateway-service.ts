import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { gatewayWorkspace } from '../../gateway/testing/harness.ts';
import { PI_UART_REPORTS_PER_SEC } from './gateway-air.ts';
import { peakRssMb } from './process-memory.ts';

/**
 * The gateway's peak RSS at the UART ceiling, measured on the real program: the compiled
 * release's dispatcher (`node dist/cli/main.js gateway --config gateway.yaml`, what the systemd
 * unit's launcher imports on a Pi, where tsx is not installed) with the Node options in
 * NODE_OPTIONS, as the unit sets them. So the process loads exactly what `hushpoint gateway`
 * loads — the dispatcher and its eager commands, gateway/main.ts, pino to stdout — and the
 * benchmark imports nothing from cli/ (scripts sit below cli in the layers).
 *
 * The adverts come from `ble.source: replay:TRACE` (docs/trace-format.md) through noble's real
 * parser: the benchmark's pool, 1 ms apart in trace time, replayed at speed 6.5, i.e. 6,500
 * reports per wall second, with a 10 s window closing every 10,000 reports (as in the
 * throughput worker). Two things differ from a Pi's UART:
 *
 * - Before its first advert the replay reads and checks the whole trace as fast as it can; that
 *   burst is not what a gateway on air does (with the service flags it raised the whole-life
 *   peak by about 2 MB when this was written: ~81 against ~79 MB). So the high-water mark is
 *   reset (/proc/PID/clear_refs) when the gateway logs "ble scanning": peakRssMb is the larger of
 *   the RSS when scanning starts — everything loaded, config, outbox, hub link — and the peak
 *   while the adverts arrive. startedPeakRssMb is the whole-life peak up to then, check included.
 * - Each record is one JSON line to parse where a Pi reads bytes from the UART: a little more
 *   allocation than on air, so the figure errs high. Under Node's default flags V8 sizes its
 *   young generation by the allocation rate, and that figure is higher than on air by more.
 *
 * The run ends when the gateway logs "replay finished"; the gateway is then stopped with SIGTERM
 * and must exit 0. `achievedPerSec` is the rate the replay actually kept (a loaded machine makes
 * it fall behind).
 */

export interface ServiceRun {
  peakRssMb: number;
  startedPeakRssMb: number;
  achievedPerSec: number;
  windowsClosed: number;
  records: number;
}

interface LogLine {
  msg?: string;
  records?: number;
  windowsClosed?: number;
  code?: string;
  detail?: string;
}

interface Watched {
  finished: LogLine;
  startedPeakRssMb: number;
  scanningSeconds: number;
}

/** Follows the gateway's log until the replay ends: resets the high-water mark when scanning starts. */
function watchReplay(
  child: ReturnType<typeof spawn>,
  exited: Promise<number | null>,
  stderr: () => string,
  timeoutMs: number,
): Promise<Watched> {
  return new Promise<Watched>((resolve, reject) => {
    let startedPeak = Number.NaN;
    let scanningAt = Number.NaN;
    const timer = setTimeout(
      () => reject(new Error(`the gateway did not finish its replay within ${timeoutMs} ms`)),
      timeoutMs,
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        return; // not a log line
      }
      if (entry.msg === 'ble scanning') {
        startedPeak = peakRssMb(child.pid as number);
        scanningAt = performance.now();
        // "5" resets the peak RSS (VmHWM) to the current RSS (Linux ≥ 4.0, proc(5)).
        writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
      } else if (entry.msg === 'replay finished' || entry.msg === 'replay failed') {
        clearTimeout(timer);
        resolve({
          finished: entry,
          startedPeakRssMb: startedPeak,
          scanningSeconds: (performance.now() - scanningAt) / 1000,
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} before its replay finished: ${stderr().trim()}`));
    });
  });
}

export async function servicePeakRss(options: {
  dist: string;
  trace: string;
  nodeOptions: readonly string[];
  /** Ends the run (and fails it) if the replay has not finished by then. */
  timeoutMs: number;
}): Promise<ServiceRun> {
  const ws = gatewayWorkspace({
    hub: { url: 'mqtt://127.0.0.1:1', reconnectMinMs: 60_000, reconnectMaxMs: 60_000 },
    window: { seconds: 10 },
    ble: { source: `replay:${options.trace}`, replaySpeed: PI_UART_REPORTS_PER_SEC / 1000 },
    log: { level: 'info' },
  });
  // HUSHPOINT_CLI_ENTRY=1 is what cli/hushpoint.mjs sets before it imports dist/cli/main.js.
  const child = spawn(
    process.execPath,
    [join(options.dist, 'cli', 'main.js'), 'gateway', '--config', ws.writeConfig()],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HUSHPOINT_CLI_ENTRY: '1', NODE_OPTIONS: options.nodeOptions.join(' ') },
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const watched = await watchReplay(child, exited, () => stderr, options.timeoutMs);
    const { finished } = watched;
    if (finished.msg !== 'replay finished')
      throw new Error(`the gateway's replay failed: ${finished.code}: ${finished.detail}`);
    const peak = peakRssMb(child.pid as number);
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`the gateway exited with ${code} after SIGTERM, expected 0: ${stderr.trim()}`);
    const records = finished.records ?? 0;
    return {
      peakRssMb: peak,
      startedPeakRssMb: watched.startedPeakRssMb,
      achievedPerSec: records / watched.scanningSeconds,
      windowsClosed: finished.windowsClosed ?? 0,
      records,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    ws.remove();
  }
}
