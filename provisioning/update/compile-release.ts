import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The compiled release, built the way `npm run build` builds dist/ (tsc -p tsconfig.build.json:
 * one JavaScript module per source file, imports rewritten to .js) but into a folder of the
 * caller's choosing; the benchmarks (scripts/bench/release-build.ts) and the update bundle
 * (docs/updates.md) both use it:
 *
 *   <releaseDir>/dist/...                      tsc output, plus any extra entry points (workers)
 *   <releaseDir>/hub/storage/migrations/       the assets the compiled code looks up beside its tree
 *   <releaseDir>/hub/status/static/
 *   <releaseDir>/package.json
 *
 * tsc runs with the checkout's own TypeScript (a dev dependency), so this runs on a build
 * machine, never on a device.
 */

/** Files the compiled code reads at run time, relative to the checkout and to the release folder. */
export const RELEASE_ASSETS = ['package.json', 'hub/storage/migrations', 'hub/status/static'] as const;

/**
 * Compiles the checkout at `root` (this one, or an older commit unpacked elsewhere for a
 * before/after comparison) into `releaseDir`, laid out as above; returns its dist folder.
 */
export async function compileRelease(
  root: string,
  releaseDir: string,
  workers: readonly string[] = [],
): Promise<string> {
  rmSync(releaseDir, { recursive: true, force: true });
  mkdirSync(releaseDir, { recursive: true });
  const dist = join(releaseDir, 'dist');
  const project = join(releaseDir, 'tsconfig.json');
  const sources = ['cli', 'gateway', 'hub', 'hq', 'shared', 'provisioning'].filter((p) => existsSync(join(root, p)));
  writeFileSync(
    project,
    JSON.stringify({
      extends: join(root, 'tsconfig.build.json'),
      compilerOptions: { outDir: dist, rootDir: root, sourceMap: false, incremental: false },
      include: [...sources, ...workers].map((p) => join(root, p)),
      exclude: ['node_modules', 'dist', '.bench', '**/*.test.ts', '**/*.contract.ts', 'test'].map((p) => join(root, p)),
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', project], { cwd: root, maxBuffer: 16 << 20 });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`tsc could not build the release:\n${output.split('\n').slice(0, 20).join('\n')}`, {
      cause: error,
    });
  }
  for (const asset of RELEASE_ASSETS) {
    const from = join(root, asset);
    if (existsSync(from)) cpSync(from, join(releaseDir, asset), { recursive: true });
  }
  return dist;
}
