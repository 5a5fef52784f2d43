import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../../shared/errors.ts';

/**
 * The status page's static files (hub/status/static/: plain HTML, CSS and one vanilla JS
 * file, no build step). Read once when the routes are registered; from a compiled tree
 * (dist/hub/status/adapters/) the source tree's copy is used, like the SQL migrations.
 */

export interface StaticAsset {
  body: string;
  contentType: string;
}

export const ASSET_TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'status.css': 'text/css; charset=utf-8',
  'status.js': 'text/javascript; charset=utf-8',
};

export function staticDir(): string {
  const candidates = [
    new URL('../static/', import.meta.url),
    new URL('../../../../hub/status/static/', import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new AppError(
    'INTERNAL',
    `Cannot find the status page's files: looked in ${candidates.map((u) => fileURLToPath(u)).join(' and ')}`,
  );
}

export function loadStaticAssets(dir = staticDir()): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const [name, contentType] of Object.entries(ASSET_TYPES)) {
    try {
      assets.set(name, { body: readFileSync(`${dir}${name}`, 'utf8'), contentType });
    } catch (error) {
      throw new AppError(
        'INTERNAL',
        `The status page file "${dir}${name}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  }
  return assets;
}
