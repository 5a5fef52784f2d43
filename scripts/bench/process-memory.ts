import { readFileSync } from 'node:fs';

/**
 * A child process's peak resident set so far (VmHWM in /proc/PID/status: the same high-water
 * mark getrusage reports as ru_maxrss), in MB. Linux only, as the gateways and hubs are.
 */
export function peakRssMb(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    throw new Error(`cannot read /proc/${pid}/status for the peak RSS (Linux only)`, { cause: error });
  }
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`/proc/${pid}/status has no VmHWM line`);
  return Number(match[1]) / 1024;
}
