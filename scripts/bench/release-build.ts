import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileRelease } from '../../provisioning/update/mod.ts';

export { compileRelease };

/**
 * The compiled release (provisioning's compileRelease, which the update bundle also uses: tsc
 * -p tsconfig.build.json, one JavaScript module per source file) built into a bench-private
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
/** Bench entry points that run inside the compiled release (they import only release code). */
const WORKERS = ['scripts/bench/gateway-worker.ts'];

let built: Promise<string> | undefined;

/** Compiles the release into RELEASE_DIR/dist (once per process) and returns that dist folder. */
export function buildRelease(): Promise<string> {
  built ??= compileRelease(ROOT, RELEASE_DIR, WORKERS);
  return built;
}
