import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { resolveLinkTarget } from './core/manifest.ts';
import type { ManifestLink } from './core/manifest.ts';
import type { ReleaseFile } from './bundle.ts';

/**
 * Reads a folder into the files and links of a release, under a path prefix. Links must stay
 * inside the release (checked against the prefix-relative path); anything that is neither a file,
 * a folder nor such a link is refused, so the bundle holds exactly what the folder holds.
 */

export interface CollectedRelease {
  files: ReleaseFile[];
  links: ManifestLink[];
}

export interface CollectOptions {
  /** Release-relative path of `dir` ("" for the release root). */
  prefix?: string;
  /** Skips an entry (release-relative path, whether it is a folder). */
  skip?: (path: string, isDir: boolean) => boolean;
}

export function collectRelease(dir: string, options: CollectOptions = {}, into?: CollectedRelease): CollectedRelease {
  const out = into ?? { files: [], links: [] };
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(abs, name);
      const stat = lstatSync(full);
      if (options.skip?.(path, stat.isDirectory()) === true) continue;
      if (stat.isDirectory()) walk(full, path);
      else if (stat.isFile())
        out.files.push({ path, bytes: readFileSync(full), executable: (stat.mode & 0o111) !== 0 });
      else if (stat.isSymbolicLink()) {
        const target = readlinkSync(full);
        if (resolveLinkTarget(path, target) === null)
          throw new AppError(
            'UPDATE_UNSAFE_PATH',
            `${full} links to ${target}, outside the release; expected links inside it (or copy the file)`,
          );
        out.links.push({ path, target });
      } else {
        throw new AppError('UPDATE_BAD_BUNDLE', `${full} is neither a file, a folder nor a link; cannot pack it`);
      }
    }
  };
  walk(dir, options.prefix ?? '');
  return out;
}
