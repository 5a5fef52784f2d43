import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseHealthRecord, type HealthRecord } from '../../shared/health-file.ts';
import { AppError } from '../../shared/errors.ts';

/**
 * The installer's view of the service it updates (docs/updates.md#the-health-check): something
 * that restarts it on the release `current` points to, and the health file the started release
 * writes. On a device the service is a systemd unit; tests use a child-process supervisor.
 */

export interface ServiceControl {
  /** Restarts the service so that it runs the release the `current` link names now. */
  restart(): Promise<void>;
  /** Why the service is down (e.g. "exited with code 1"), or null while it runs or when unknown. */
  failure(): string | null;
}

/** The health file's record, or null when it is absent or not (yet) a complete record. */
export function readHealthFile(file: string): HealthRecord | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  return parseHealthRecord(text);
}

/** A systemd unit, restarted with `systemctl restart UNIT`; a failed unit is reported by `systemctl is-failed`. */
export function systemdService(unit: string): ServiceControl {
  if (!/^[A-Za-z0-9@._-]{1,200}$/.test(unit))
    throw new AppError('CLI_USAGE', `--service is "${unit}", expected a systemd unit name like hushpoint-gateway`);
  let failed: string | null = null;
  const run = promisify(execFile);
  return {
    async restart() {
      failed = null;
      try {
        await run('systemctl', ['restart', unit], { timeout: 60_000 });
      } catch (error) {
        failed = `systemctl restart ${unit} failed: ${(error as Error).message.split('\n')[0] ?? ''}`;
      }
    },
    failure: () => failed,
  };
}
