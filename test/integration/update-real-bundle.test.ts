import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.ts';
import { buildUpdateBundle, initStore, type BuildBundleResult } from '../../provisioning/mod.ts';
import {
  applyUpdate,
  loadPrivateKey,
  loadPublicKey,
  readHealthFile,
  updateStatus,
  UPDATE_KEY_FILES,
  type ApplyOptions,
} from '../../provisioning/update/mod.ts';
import { ProcessSupervisor, snapshot, tinyBundle } from '../helpers/update-fixtures.ts';

/**
 * The whole path with the real release: `update-bundle` compiles this checkout and packs it with
 * its pinned dependencies, the installer applies it into a temporary release root, and the real
 * `hushpoint hub` (compiled JavaScript, plain Node, from ROOT/current) starts on a real store
 * folder and writes its health line. Then a tampered copy is refused with the hub untouched, and
 * a crashing release signed with the same store key is rolled back to the running real one.
 * Figures (bundle size, build, apply and rollback times) go to test-output/update-figures.json.
 */

const dir = mkdtempSync(join(tmpdir(), 'hushpoint-update-real-'));
const storeDir = join(dir, 'store');
const root = join(dir, 'root');
const healthFile = join(dir, 'health.json');
const bundle = join(dir, 'hushpoint-0.2.0.hpu');
let built: BuildBundleResult;
let service: ProcessSupervisor;
let options: ApplyOptions;
const figures: Record<string, number | string> = {};

beforeAll(async () => {
  await initStore({ store: 'store-1', out: storeDir, hostnames: ['localhost'], mqttPort: 0, apiPort: 0 });
  built = await buildUpdateBundle({ storeDir, out: bundle, version: '0.2.0' });
  figures.bundleBytes = built.bytes;
  figures.files = built.files;
  figures.dependencies = built.dependencies;
  figures.buildSeconds = Number(built.seconds.toFixed(2));
  service = new ProcessSupervisor({
    root,
    args: ['hub', '--config', join(storeDir, 'hub.yaml')],
    env: { ...process.env, HUSHPOINT_HEALTH_FILE: healthFile, HUSHPOINT_CLI_ENTRY: '' },
  });
  options = {
    root,
    service,
    healthFile,
    deadlineMs: 60_000,
    trustedKey: loadPublicKey(join(storeDir, UPDATE_KEY_FILES.publicKey)),
  };
}, 240_000);

afterAll(async () => {
  await service?.stop();
  mkdirSync(join(import.meta.dirname, '..', '..', 'test-output'), { recursive: true });
  writeFileSync(
    join(import.meta.dirname, '..', '..', 'test-output', 'update-figures.json'),
    `${JSON.stringify(figures, null, 2)}\n`,
  );
  rmSync(dir, { recursive: true, force: true });
});

describe('signed offline update of the real release', () => {
  it('packs this checkout signed with a new store update key', () => {
    expect(built.createdKey).toBe(true);
    expect(statSync(join(storeDir, UPDATE_KEY_FILES.privateKey)).mode & 0o777).toBe(0o600);
    expect(built.bytes).toBe(statSync(bundle).size);
    expect(built.dependencies).toBeGreaterThan(50);
  });

  it('installs it and the real hub, started from current, reports healthy', async () => {
    const started = performance.now();
    const result = await applyUpdate(bundle, options);
    figures.applySeconds = Number(((performance.now() - started) / 1000).toFixed(2));
    figures.unpackSeconds = Number(result.unpackSeconds.toFixed(2));
    figures.hubHealthySeconds = Number(result.healthySeconds.toFixed(2));
    expect(result).toMatchObject({ version: '0.2.0', previous: null });
    expect(readHealthFile(healthFile)).toMatchObject({ version: '0.2.0', role: 'hub', pid: service.pid });
    const release = realpathSync(join(root, 'current'));
    expect(service.runningFrom).toBe(release);
    expect(JSON.parse(readFileSync(join(release, 'package.json'), 'utf8')).version).toBe('0.2.0');
    expect(statSync(join(release, 'node_modules', 'better-sqlite3', 'package.json')).isFile()).toBe(true);
    expect(() => statSync(join(release, 'node_modules', 'vitest'))).toThrow(); // dev dependencies stay out
  }, 120_000);

  it('refuses a tampered copy with nothing changed and the hub still running', async () => {
    const bytes = readFileSync(bundle);
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] as number) ^ 0x20;
    const tampered = join(dir, 'tampered.hpu');
    writeFileSync(tampered, bytes);
    const before = snapshot(root);
    const pid = service.pid;
    const error = await applyUpdate(tampered, options).catch((e: unknown) => e);
    expect(isAppError(error) && ['UPDATE_BAD_BUNDLE', 'UPDATE_HASH_MISMATCH'].includes(error.code), String(error)).toBe(
      true,
    );
    expect(snapshot(root)).toEqual(before);
    expect(service.pid).toBe(pid);
    expect(service.failure()).toBeNull();
  }, 60_000);

  it('rolls a crashing release back to the real hub, which reports healthy again', async () => {
    const key = loadPrivateKey(join(storeDir, UPDATE_KEY_FILES.privateKey));
    const crashing = join(dir, 'crashing-0.3.0.hpu');
    writeFileSync(crashing, tinyBundle('0.3.0', key, 'crash'));
    const started = performance.now();
    const error = await applyUpdate(crashing, options).catch((e: unknown) => e);
    figures.rollbackSeconds = Number(((performance.now() - started) / 1000).toFixed(2));
    expect(isAppError(error, 'UPDATE_UNHEALTHY'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/rolled back to 0\.2\.0, which reports healthy again/);
    expect(readHealthFile(healthFile)).toMatchObject({ version: '0.2.0', role: 'hub', pid: service.pid });
    expect(updateStatus(root, healthFile)).toMatchObject({ current: '0.2.0', previous: null });
  }, 120_000);
});
