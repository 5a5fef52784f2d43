import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package version, read once from package.json (works from sources and from dist/). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'hushpoint' && typeof pkg.version === 'string') {
        cached = pkg.version;
        return cached;
      }
    } catch {
      // try the next candidate
    }
  }
  cached = '0.0.0-unknown';
  return cached;
}
