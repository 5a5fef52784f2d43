import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The npm bin launcher, as `npx hushpoint` runs it. */
export const LAUNCHER = fileURLToPath(new URL('../../cli/hushpoint.mjs', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hushpoint ARGS...` through the launcher in a child process; never rejects on a non-zero exit. */
export async function hushpoint(args: string[], options: { timeoutMs?: number } = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [LAUNCHER, ...args], {
      env: { ...process.env, HUSHPOINT_CLI_ENTRY: '' },
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
