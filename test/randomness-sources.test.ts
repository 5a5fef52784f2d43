import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A grep-style guard over all shipped code (everything the Pi or the hub runs): no Math.random,
 * and privacy code never touches the seeded test generator. Lint bans the same things; this
 * test also catches a lint-disable comment.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHIPPED = ['gateway', 'hub', 'shared', 'provisioning', 'cli'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' || entry.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|mjs|js)$/.test(entry.name) && !/\.test\.ts$|\.contract\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('randomness in shipped code', () => {
  const files = SHIPPED.flatMap((dir) => sources(join(ROOT, dir)));

  it('scans the privacy core, the gateway and the hub', () => {
    const names = files.map((file) => relative(ROOT, file));
    expect(names).toEqual(
      expect.arrayContaining([
        'shared/privacy/samplers/discrete-gaussian.ts',
        'shared/ports/random.ts',
        'hub/offers/core/threshold-sampler.ts',
      ]),
    );
  });

  it('never uses Math.random (comments aside)', () => {
    const code = (file: string) =>
      readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:])\/\/.*$/gm, '$1');
    const offenders = files.filter((file) => /Math\s*\.\s*random|Math\s*\[\s*['"]random/.test(code(file)));
    expect(offenders.map((file) => relative(ROOT, file))).toEqual([]);
  });

  it('never imports the seeded generator outside tests', () => {
    const offenders = files.filter(
      (file) => /seeded-random/.test(readFileSync(file, 'utf8')) && !file.includes(`${join('shared', 'testing')}`),
    );
    expect(offenders.map((file) => relative(ROOT, file))).toEqual([]);
  });
});
