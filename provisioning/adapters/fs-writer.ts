import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { PRIVATE_DIR_MODE, type PlannedFile } from '../core/file-plan.ts';

/**
 * Writes a file plan into a folder: nothing is overwritten without `force` (every conflict is
 * listed before anything is written), each file is written to a temporary name with its final
 * permission bits, synced and renamed into place, and folders holding secrets are 0700.
 */

export interface WriteResult {
  dir: string;
  written: Array<{ path: string; mode: number; description: string }>;
  /** True when an existing folder's permissions were tightened to 0700. */
  tightened: boolean;
}

/** Creates `dir` (and parents) with mode 0700, or tightens an existing one; returns whether it tightened. */
export function ensurePrivateDir(dir: string): boolean {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    chmodSync(dir, PRIVATE_DIR_MODE);
    return false;
  }
  const stat = statSync(dir);
  if (!stat.isDirectory())
    throw new AppError('PROV_EXISTS', `"${dir}" exists and is not a folder; expected a folder (or no file) there`);
  if ((stat.mode & 0o077) !== 0) {
    chmodSync(dir, PRIVATE_DIR_MODE);
    return true;
  }
  return false;
}

/** The plan's files that already exist in `dir`. */
export function existingFiles(dir: string, files: PlannedFile[]): string[] {
  return files.filter((f) => pathExists(join(dir, f.path))).map((f) => join(dir, f.path));
}

function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function conflictError(paths: string[], hint: string): AppError {
  return new AppError(
    'PROV_EXISTS',
    `${paths.length === 1 ? 'A file already exists' : `${paths.length} files already exist`}: ${paths.join(', ')}; ${hint}`,
    { details: { paths } },
  );
}

/** Writes one file atomically (temp file with `mode`, fsync, rename). */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    chmodSync(temp, mode); // the umask may have narrowed or the file may be re-used: set exactly
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export function writePlan(dir: string, files: PlannedFile[], options: { force: boolean; hint: string }): WriteResult {
  const absolute = resolve(dir);
  const tightened = ensurePrivateDir(absolute);
  const conflicts = existingFiles(absolute, files);
  if (conflicts.length > 0 && !options.force) throw conflictError(conflicts, options.hint);
  const written: WriteResult['written'] = [];
  for (const file of files) {
    const target = join(absolute, file.path);
    const parent = dirname(target);
    if (parent !== absolute) ensurePrivateDir(parent);
    if (pathExists(target) && lstatSync(target).isDirectory())
      throw new AppError('PROV_EXISTS', `"${target}" is a folder, expected a file (or nothing) there`);
    writeFileAtomic(target, file.content, file.mode);
    written.push({ path: target, mode: file.mode, description: file.description });
  }
  return { dir: absolute, written, tightened };
}
