import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * docs/hq-pooling.md, Theorem 0: HQ's outputs are post-processing of the stores' releases. HQ
 * therefore never draws noise: no HQ module imports a privacy mechanism, a sampler or the seeded
 * source, and the only randomness it uses is CryptoRandomSource (broker passwords).
 */

const ROOT = fileURLToPath(new URL('./', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.contract.ts') ? [path] : [];
  });
}

describe('HQ draws no noise', () => {
  it('imports no mechanism, sampler or seeded source; randomness only from CryptoRandomSource', () => {
    const files = sources(ROOT);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] as string);
      const name = relative(ROOT, file);
      expect(
        imports.filter((i) => /privacy\/(mechanisms|samplers)|testing\/seeded-random/.test(i)),
        name,
      ).toEqual([]);
      expect(text, name).not.toMatch(/Math\.random|new SeededRandomSource/);
    }
  });
});
