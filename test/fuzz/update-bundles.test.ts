import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError, type ErrorCode } from '../../shared/errors.ts';
import { applyUpdate } from '../../provisioning/update/mod.ts';
import {
  newKeyPair,
  ProcessSupervisor,
  signedBundle,
  snapshot,
  tinyBundle,
  tinyManifest,
} from '../helpers/update-fixtures.ts';
import { FuzzReport, fuzzParameters, fuzzSeed, jsonInputs } from './fuzz-harness.ts';

/**
 * Fuzz target: bundle bytes as `hushpoint update apply` reads them. Two families: bytes of a
 * real signed bundle flipped, truncated, spliced or replaced by noise (the signature's side), and
 * manifests mutated structurally and then signed with the trusted key (the checks behind the
 * signature). Invariant: apply never throws anything but a coded AppError; a refused bundle
 * leaves the release root exactly as it was and the service never starts; an accepted one puts
 * files only under ROOT/releases/<version> and its links, and nothing is ever written beside
 * the root.
 */

const { privateKey, publicKey } = newKeyPair();
const good = tinyBundle('1.0.0', privateKey);
const base = tinyManifest('1.0.0', privateKey);
const work = mkdtempSync(join(tmpdir(), 'hushpoint-fuzz-update-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const REFUSALS: ReadonlySet<ErrorCode> = new Set([
  'UPDATE_BAD_BUNDLE',
  'UPDATE_BAD_SIGNATURE',
  'UPDATE_HASH_MISMATCH',
  'UPDATE_UNSAFE_PATH',
  'UPDATE_TOO_LARGE',
  'UPDATE_INCOMPATIBLE',
  'UPDATE_UNHEALTHY',
]);

const rawInputs: fc.Arbitrary<{ kind: string; bytes: Buffer }> = fc.oneof(
  fc.constant({ kind: 'valid', bytes: good }),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
    const b = Buffer.from(good);
    for (const [at, x] of flips) b[at % b.length] = (b[at % b.length] as number) ^ x;
    return { kind: 'flipped', bytes: b };
  }),
  fc.nat().map((n) => ({ kind: 'truncated', bytes: good.subarray(0, n % good.length) })),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([at, noise]) => ({
    kind: 'spliced',
    bytes: Buffer.concat([good.subarray(0, at % good.length), noise, good.subarray(at % good.length)]),
  })),
  fc.uint8Array({ maxLength: 4096 }).map((b) => ({ kind: 'noise', bytes: Buffer.from(b) })),
);

const signedInputs = jsonInputs(fc.constant(base.manifest)).map(({ kind, bytes }) => ({
  kind: `signed-${kind}`,
  bytes: signedBundle(bytes.toString('utf8'), base.files, privateKey),
}));

/** What the root may hold after an accepted bundle of `version`. */
function allowedAfterAccept(path: string, version: string): boolean {
  return (
    path === 'releases' ||
    path === `releases/${version}` ||
    path.startsWith(`releases/${version}/`) ||
    path === 'current' ||
    path === 'update-history.jsonl'
  );
}

describe('fuzz: update bundles', () => {
  it('refuses every bad bundle with a code, never crashes, never writes outside the root', async () => {
    const seed = fuzzSeed();
    const report = new FuzzReport('update-bundles', seed);
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(rawInputs, signedInputs), async ({ kind, bytes }) => {
          const caseDir = join(work, `case-${n++}`);
          const root = join(caseDir, 'root');
          const file = join(caseDir, 'bundle.hpu');
          const health = join(caseDir, 'health.json');
          mkdirSync(caseDir);
          writeFileSync(file, bytes);
          const service = new ProcessSupervisor({ root, env: { ...process.env, HUSHPOINT_HEALTH_FILE: health } });
          try {
            const outcome = await applyUpdate(file, {
              root,
              service,
              healthFile: health,
              deadlineMs: 10_000,
              trustedKey: publicKey,
            }).then(
              (result) => ({ ok: true as const, result }),
              (error: unknown) => ({ ok: false as const, error }),
            );
            if (outcome.ok) {
              report.count(`${kind}: accepted`);
              const paths = Object.keys(snapshot(root));
              const stray = paths.filter((p) => !allowedAfterAccept(p, outcome.result.version));
              expect(stray, `accepted bundle wrote ${stray.join(', ')}`).toEqual([]);
            } else {
              const { error } = outcome;
              if (!isAppError(error)) throw error;
              expect(REFUSALS.has(error.code), `${error.code}: ${error.message}`).toBe(true);
              expect(error.message.length).toBeGreaterThan(10);
              report.count(`${kind}: ${error.code}`);
              if (error.code !== 'UPDATE_UNHEALTHY') {
                expect(service.pid, 'a refused bundle started the service').toBeNull();
                const left = existsSync(root) ? Object.keys(snapshot(root)) : [];
                expect(left.filter((p) => p !== 'releases')).toEqual([]);
              }
            }
            const beside = readdirSync(caseDir).filter((name) => !['root', 'bundle.hpu', 'health.json'].includes(name));
            expect(beside, 'written beside the root').toEqual([]);
          } finally {
            await service.stop();
            rmSync(caseDir, { recursive: true, force: true });
          }
        }),
        fuzzParameters(seed),
      );
    } finally {
      report.write();
    }
    expect(readdirSync(work), 'written outside every case folder').toEqual([]);
  }, 300_000);
});
