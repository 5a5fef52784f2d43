import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { parseHciconfigState, parseKeyValues } from '../core/parse.ts';
import type { BleFact, FileFact, NtpFact, RfkillEntry, ServiceFact } from '../core/verdicts.ts';

/**
 * The doctor's measurements of this machine: Bluetooth adapters (sysfs, rfkill, hciconfig),
 * free disk space, systemd unit state, NTP state, files. Each returns a fact for the pure
 * verdicts in ../core; none decides anything. Tools that are missing give "unknown" facts.
 */

interface ExecResult {
  ok: boolean;
  stdout: string;
  /** First line of stderr, or the spawn error code (ENOENT when the tool is not installed). */
  problem: string;
}

export function run(command: string, args: string[], timeoutMs = 5000): Promise<ExecResult> {
  return new Promise((resolvePromise) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (error === null) {
          resolvePromise({ ok: true, stdout, problem: '' });
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        const firstLine = String(stderr)
          .split('\n')
          .find((l) => l.trim() !== '')
          ?.trim();
        resolvePromise({
          ok: false,
          stdout: String(stdout),
          problem: typeof code === 'string' ? code : (firstLine ?? error.message),
        });
      },
    );
  });
}

function readTrimmed(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Bluetooth adapters under /sys/class/bluetooth and rfkill switches; `sysRoot` lets tests point elsewhere. */
export async function probeBle(options: {
  adapterIndex: number;
  sysRoot?: string;
  hciconfig?: boolean;
}): Promise<BleFact> {
  const sys = options.sysRoot ?? '/sys';
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const adapters = list(join(sys, 'class', 'bluetooth'))
    .filter((n) => /^hci\d+$/.test(n))
    .sort();
  const rfkill: RfkillEntry[] = list(join(sys, 'class', 'rfkill')).map((entry) => ({
    type: readTrimmed(join(sys, 'class', 'rfkill', entry, 'type')) ?? '',
    soft: readTrimmed(join(sys, 'class', 'rfkill', entry, 'soft')) === '1',
    hard: readTrimmed(join(sys, 'class', 'rfkill', entry, 'hard')) === '1',
  }));
  let up: boolean | null = null;
  const name = `hci${options.adapterIndex}`;
  if (options.hciconfig !== false && adapters.includes(name)) {
    const result = await run('hciconfig', [name]);
    if (result.ok) up = parseHciconfigState(result.stdout);
  }
  return { source: 'noble', adapterIndex: options.adapterIndex, adapters, rfkill, up };
}

/** Free bytes for unprivileged users on the filesystem holding `path` (or its nearest existing parent). */
export function probeDisk(path: string): { path: string; freeBytes: number } {
  let current = resolve(path);
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  const stats = statfsSync(current);
  return { path: current, freeBytes: stats.bavail * stats.bsize };
}

export function systemdPresent(): boolean {
  return existsSync('/run/systemd/system');
}

export async function probeService(unit: string, expected: boolean): Promise<ServiceFact> {
  if (!systemdPresent()) return { systemd: false };
  const result = await run('systemctl', [
    'show',
    unit,
    '--property=LoadState,ActiveState,SubState,UnitFileState,Result,ExecMainStatus,NRestarts',
  ]);
  if (!result.ok) return { systemd: false };
  const kv = parseKeyValues(result.stdout);
  const int = (value: string | undefined): number | null =>
    value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
  return {
    systemd: true,
    unit,
    loadState: kv.LoadState ?? 'unknown',
    activeState: kv.ActiveState ?? 'unknown',
    subState: kv.SubState ?? 'unknown',
    unitFileState: kv.UnitFileState ?? '',
    result: kv.Result ?? 'unknown',
    execMainStatus: int(kv.ExecMainStatus),
    restarts: int(kv.NRestarts),
    expected,
  };
}

export async function probeNtp(): Promise<NtpFact> {
  const result = await run('timedatectl', ['show']);
  if (!result.ok)
    return {
      available: false,
      reason: result.problem === 'ENOENT' ? 'timedatectl is not installed' : `timedatectl: ${result.problem}`,
    };
  const kv = parseKeyValues(result.stdout);
  if (kv.NTPSynchronized === undefined)
    return { available: false, reason: 'timedatectl does not report NTPSynchronized' };
  return {
    available: true,
    synchronized: kv.NTPSynchronized === 'yes',
    ntpEnabled: kv.NTP === undefined ? null : kv.NTP === 'yes',
  };
}

export function probeFile(configured: string, path: string, options: { certificate?: boolean } = {}): FileFact {
  const fact: FileFact = { configured, path, exists: false, readable: false, size: 0, mode: 0 };
  try {
    const stat = statSync(path);
    fact.exists = true;
    fact.size = stat.size;
    fact.mode = stat.mode;
    accessSync(path, constants.R_OK);
    fact.readable = true;
  } catch {
    return fact;
  }
  if (options.certificate === true) {
    try {
      new X509Certificate(readFileSync(path));
      fact.parses = true;
    } catch {
      fact.parses = false;
    }
  }
  return fact;
}
