import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The compiled release, built the way `npm run build` builds dist/ (tsc -p tsconfig.build.json:
 * one JavaScript module per source file, imports rewritten to .js) but into a bench-private
 * folder, so that benchmarks measure the processes a store runs — plain Node, no tsx loader —
 * without touching the user's dist/.
 *
 *   .bench/release/dist/...          tsc output, plus the benchmarks' worker entries (WORKERS)
 *   .bench/release/hub/storage/migrations/   the assets the compiled code looks up beside its tree
 *   .bench/release/package.json
 *
 * The folder sits inside the checkout so that the compiled modules resolve node_modules as the
 * sources do. Built once per process.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RELEASE_DIR = join(ROOT, '.bench', 'release');
/** Files the compiled code reads at run time, relative to the checkout and to RELEASE_DIR. */
const ASSETS = ['package.json', 'hub/storage/migrations', 'hub/status/static'];
/** Bench entry points that run inside the compiled release (they import only release code). */
const WORKERS = ['scripts/bench/gateway-worker.ts'];

let built: Promise<string> | undefined;

/** Compiles the release into RELEASE_DIR/dist (once per process) and returns that dist folder. */
export function buildRelease(): Promise<string> {
  built ??= compileRelease(ROOT, RELEASE_DIR, WORKERS);
  return built;
}

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
    throw new Error(
      `tsc could not build the release for the benchmark:\n${output.split('\n').slice(0, 20).join('\n')}`,
      { cause: error },
    );
  }
  for (const asset of ASSETS) {
    const from = join(root, asset);
    if (existsSync(from)) cpSync(from, join(releaseDir, asset), { recursive: true });
  }
  return dist;
}
