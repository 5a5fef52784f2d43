/**
 * A doctor check result and its one-line form:
 *   PASS|WARN|FAIL|INFO  check-name  detail — fix
 * The exit code is 1 when any check FAILs.
 */

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'INFO';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it (WARN and FAIL always have one). */
  fix?: string;
}

export function check(name: string, status: CheckStatus, detail: string, fix?: string): CheckResult {
  return fix === undefined ? { name, status, detail } : { name, status, detail, fix };
}

export function formatCheck(result: CheckResult, nameWidth = result.name.length): string {
  const line = `${result.status}  ${result.name.padEnd(nameWidth)}  ${result.detail}`;
  return result.fix === undefined ? line : `${line} — ${result.fix}`;
}

export function formatReport(results: CheckResult[]): string[] {
  const width = Math.max(0, ...results.map((r) => r.name.length));
  return results.map((r) => formatCheck(r, width));
}

export function doctorExitCode(results: CheckResult[]): 0 | 1 {
  return results.some((r) => r.status === 'FAIL') ? 1 : 0;
}

/** "45.0 s", "1.2 s", "350 ms". */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  return `${(abs / 1000).toFixed(1)} s`;
}

/** "1.5 GiB", "87 MiB". */
export function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(1)} GiB`;
  return `${Math.floor(bytes / 1024 ** 2)} MiB`;
}
