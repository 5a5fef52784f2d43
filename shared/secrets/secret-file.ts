import { statSync } from 'node:fs';
import { AppError } from '../errors.ts';

/**
 * Secrets on disk (tokens, credentials, private keys, signing keys, database URLs) must not be
 * readable by other users of the machine (docs/security.md, "Secrets at rest"): a program refuses
 * to start on one whose mode grants anything to others, or write access to its group. Group read
 * stays allowed (a service account's group, 0640). A check, not a repair: the fix is named.
 */

const FORBIDDEN_BITS = 0o027;

/** Throws CFG_INVALID naming the file, its mode and the chmod that fixes it, when others may read it. */
export function assertPrivateFile(path: string, what: string): void {
  if (process.platform === 'win32') return;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return; // the read that follows names the missing file
  }
  if ((mode & FORBIDDEN_BITS) !== 0) {
    const octal = mode.toString(8).padStart(4, '0');
    throw new AppError(
      'CFG_INVALID',
      `The ${what} "${path}" has mode ${octal}: other users can ${mode & 0o004 ? 'read' : 'change'} it, expected 0600 (or 0640); run chmod 600 "${path}"`,
      { details: { path, mode: octal } },
    );
  }
}
