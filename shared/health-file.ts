import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { packageVersion } from './version.ts';

/**
 * The health file (docs/updates.md#the-health-check): when HUSHPOINT_HEALTH_FILE names a file, a
 * service (`hushpoint gateway`, `hushpoint hub`) writes one JSON line there once it has started —
 * its release version, process id, role and the time. The update installer waits for that line
 * from the new release before it keeps it. It holds nothing about a shopper or a device key.
 */

export const HEALTH_FILE_ENV = 'HUSHPOINT_HEALTH_FILE';

export interface HealthRecord {
  v: 1;
  version: string;
  pid: number;
  role: string;
  /** ISO 8601 UTC. */
  at: string;
}

/** Writes the health line (atomically) when the environment names a health file; returns the file or null. */
export function reportHealthy(role: string, env: NodeJS.ProcessEnv = process.env, now = new Date()): string | null {
  const file = env[HEALTH_FILE_ENV];
  if (file === undefined || file === '') return null;
  const record: HealthRecord = { v: 1, version: packageVersion(), pid: process.pid, role, at: now.toISOString() };
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o644 });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return file;
}

/** The health line's record, or null when the text is not one (absent, partial, another format). */
export function parseHealthRecord(text: string): HealthRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  const r = value as Record<string, unknown>;
  if (r.v !== 1 || typeof r.version !== 'string' || typeof r.role !== 'string' || typeof r.at !== 'string') return null;
  if (typeof r.pid !== 'number' || !Number.isSafeInteger(r.pid) || Number.isNaN(Date.parse(r.at))) return null;
  return { v: 1, version: r.version, pid: r.pid, role: r.role, at: r.at };
}

/** reportHealthy for a service's main: a failure to write is logged, never fatal (the installer then rolls back). */
export function announceHealthy(
  role: string,
  logger: { info(o: object, m: string): void; warn(o: object, m: string): void },
): void {
  try {
    const file = reportHealthy(role);
    if (file !== null) logger.info({ file }, 'health file written');
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'health file could not be written');
  }
}
