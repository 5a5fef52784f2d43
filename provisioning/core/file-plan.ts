/**
 * What provisioning writes, as data: the pure generators return a list of files with their
 * content and permission bits; the fs writer (adapters/fs-writer.ts) is the only code that
 * touches the disk. Paths are relative to the folder the plan is written into.
 */

export interface PlannedFile {
  /** Relative path inside the target folder ("ca.pem", "gateways/gw-1/credential"). */
  path: string;
  content: string;
  /** Permission bits, e.g. 0o600 for secrets. */
  mode: number;
  /** One line for humans ("store CA private key"). */
  description: string;
}

/** Secrets: readable by the owner only. */
export const SECRET_MODE = 0o600;
/** Public material and configs without secrets. */
export const PUBLIC_MODE = 0o644;
/** Scripts. */
export const EXECUTABLE_MODE = 0o755;
/** Folders holding secrets. */
export const PRIVATE_DIR_MODE = 0o700;

/** "0600" for 0o600. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
