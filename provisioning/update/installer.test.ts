import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.ts';
import { newKeyPair, ProcessSupervisor, snapshot, tinyBundle } from '../../test/helpers/update-fixtures.ts';
import { DEFAULT_LIMITS, MAGIC } from './mod.ts';
import { openBundle, repackPayload } from './bundle.ts';
import { applyUpdate, rollbackUpdate, updateStatus, type ApplyOptions } from './installer.ts';
import { readHealthFile } from './service.ts';

/**
 * The installer with real processes: tiny real release programs in real signed bundles, applied
 * into a temporary release root, run by a child-process supervisor from the `current` link.
 * One sequence of updates per file (each step builds on the last), as on a device.
 */

const dir = mkdtempSync(join(tmpdir(), 'hushpoint-update-'));
const root = join(dir, 'root');
const healthFile = join(dir, 'health.json');
const { privateKey, publicKey } = newKeyPair();
const service = new ProcessSupervisor({ root, env: { ...process.env, HUSHPOINT_HEALTH_FILE: healthFile } });
const options: ApplyOptions = { root, service, healthFile, deadlineMs: 15_000, trustedKey: publicKey };

function bundleFile(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

async function refused(file: string, extra: Partial<ApplyOptions> = {}): Promise<string> {
  const before = snapshot(root);
  const pid = service.pid;
  const error = await applyUpdate(file, { ...options, ...extra }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(isAppError(error), `expected a refusal with a code, got ${String(error)}`).toBe(true);
  expect(snapshot(root)).toEqual(before);
  expect(service.pid).toBe(pid);
  expect(service.failure()).toBeNull();
  return isAppError(error) ? error.code : '';
}

function running(): string {
  return realpathSync(join(root, 'current'));
}

afterAll(async () => {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('update installer with real processes', () => {
  it('installs a first release, starts it from current and sees it report healthy', async () => {
    const result = await applyUpdate(bundleFile('1.0.0.hpu', tinyBundle('1.0.0', privateKey)), options);
    expect(result).toMatchObject({ version: '1.0.0', previous: null, files: 4 });
    expect(running()).toBe(join(realpathSync(root), 'releases', '1.0.0'));
    expect(readHealthFile(healthFile)).toMatchObject({ version: '1.0.0', pid: service.pid });
    expect(readFileSync(join(root, 'current', 'latest'), 'utf8')).toBe('release 1.0.0\n');
    expect(updateStatus(root, healthFile)).toMatchObject({ current: '1.0.0', previous: null, releases: ['1.0.0'] });
  });

  it('switches to a newer release and keeps the old one as previous', async () => {
    const first = service.pid;
    const result = await applyUpdate(bundleFile('1.1.0.hpu', tinyBundle('1.1.0', privateKey)), options);
    expect(result).toMatchObject({ version: '1.1.0', previous: '1.0.0' });
    expect(service.pid).not.toBe(first);
    expect(readHealthFile(healthFile)).toMatchObject({ version: '1.1.0', pid: service.pid });
    expect(updateStatus(root, healthFile)).toMatchObject({
      current: '1.1.0',
      previous: '1.0.0',
      releases: ['1.0.0', '1.1.0'],
    });
  });

  it('refuses a bundle with a byte flipped in a file, with nothing changed and the service untouched', async () => {
    const good = tinyBundle('1.2.0', privateKey);
    // The same signed manifest over a payload in which one byte of one file differs.
    const files = openBundle(good, publicKey).files.map((f) => Buffer.from(f.bytes));
    const lib = openBundle(good, publicKey).files.findIndex((f) => f.path === 'lib/message.txt');
    (files[lib] as Buffer)[0] = ((files[lib] as Buffer)[0] as number) ^ 0x01;
    expect(await refused(bundleFile('flip-file.hpu', repackPayload(good, files)))).toBe('UPDATE_HASH_MISMATCH');
  });

  it('refuses a byte flipped in the manifest, in the signature, in the compressed files, and another key', async () => {
    const good = tinyBundle('1.2.0', privateKey);
    const text = good.toString('latin1');
    const inManifest = Buffer.from(good);
    const sizeAt = text.indexOf('\\"size\\":') + '\\"size\\":'.length;
    inManifest[sizeAt] = (inManifest[sizeAt] as number) ^ 0x01; // a digit of a size: still JSON, no longer signed
    expect(await refused(bundleFile('flip-manifest.hpu', inManifest))).toBe('UPDATE_BAD_SIGNATURE');

    const inSignature = Buffer.from(good);
    const sigAt = text.indexOf('"signature":"') + '"signature":"'.length + 10;
    inSignature[sigAt] = inSignature[sigAt] === 0x41 ? 0x42 : 0x41;
    expect(await refused(bundleFile('flip-signature.hpu', inSignature))).toBe('UPDATE_BAD_SIGNATURE');

    const inPayload = Buffer.from(good);
    inPayload[inPayload.length - 30] = (inPayload[inPayload.length - 30] as number) ^ 0xff;
    expect(['UPDATE_BAD_BUNDLE', 'UPDATE_HASH_MISMATCH']).toContain(
      await refused(bundleFile('flip-payload.hpu', inPayload)),
    );

    const other = newKeyPair();
    expect(await refused(bundleFile('other-key.hpu', tinyBundle('1.2.0', other.privateKey)))).toBe(
      'UPDATE_BAD_SIGNATURE',
    );
    const notABundle = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100)]);
    expect(await refused(bundleFile('zip.hpu', notABundle))).toBe('UPDATE_BAD_BUNDLE');
    expect(MAGIC.length).toBe(8);
  });

  it('refuses a downgrade and the running version unless --allow-downgrade', async () => {
    expect(await refused(bundleFile('1.0.5.hpu', tinyBundle('1.0.5', privateKey)))).toBe('UPDATE_DOWNGRADE');
    expect(await refused(bundleFile('1.1.0-again.hpu', tinyBundle('1.1.0', privateKey)))).toBe('UPDATE_DOWNGRADE');
    expect(
      await refused(bundleFile('big.hpu', tinyBundle('1.2.0', privateKey)), {
        limits: { ...DEFAULT_LIMITS, maxBundleBytes: 100 },
      }),
    ).toBe('UPDATE_TOO_LARGE');
  });

  it('rolls back a release that crashes on start, and the previous one keeps running', async () => {
    const error = await applyUpdate(
      bundleFile('1.2.0-crash.hpu', tinyBundle('1.2.0', privateKey, 'crash')),
      options,
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(error, 'UPDATE_UNHEALTHY'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/exited with code 3.*rolled back to 1\.1\.0, which reports healthy again/);
    expect(running()).toBe(join(realpathSync(root), 'releases', '1.1.0'));
    expect(service.failure()).toBeNull();
    expect(readHealthFile(healthFile)).toMatchObject({ version: '1.1.0', pid: service.pid });
    const status = updateStatus(root, healthFile);
    expect(status).toMatchObject({ current: '1.1.0', previous: '1.0.0' });
    expect(status.history.at(-1)).toMatchObject({
      action: 'apply',
      from: '1.1.0',
      to: '1.2.0',
      outcome: 'rolled-back',
      reason: 'exited with code 3',
    });
  });

  it('rolls back a release that runs but never reports healthy within the deadline', async () => {
    const started = performance.now();
    const error = await applyUpdate(bundleFile('1.3.0-silent.hpu', tinyBundle('1.3.0', privateKey, 'silent')), {
      ...options,
      deadlineMs: 1500,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(error, 'UPDATE_UNHEALTHY'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/no health line from 1\.3\.0 within 1\.5 s/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1450); // the deadline runs on the wall clock
    expect(running()).toBe(join(realpathSync(root), 'releases', '1.1.0'));
    expect(readHealthFile(healthFile)).toMatchObject({ version: '1.1.0', pid: service.pid });
  });

  it('installs an older release with allowDowngrade, prunes all but current and previous, and rolls back by hand', async () => {
    const result = await applyUpdate(bundleFile('1.0.5-ok.hpu', tinyBundle('1.0.5', privateKey)), {
      ...options,
      allowDowngrade: true,
    });
    expect(result).toMatchObject({ version: '1.0.5', previous: '1.1.0' });
    expect(result.pruned.sort()).toEqual(['1.0.0', '1.2.0', '1.3.0']);
    expect(updateStatus(root, healthFile).releases).toEqual(['1.0.5', '1.1.0']);

    const back = await rollbackUpdate(options);
    expect(back).toMatchObject({ from: '1.0.5', to: '1.1.0' });
    expect(readHealthFile(healthFile)).toMatchObject({ version: '1.1.0', pid: service.pid });
    expect(updateStatus(root, healthFile)).toMatchObject({ current: '1.1.0', previous: '1.0.5' });
  });
});
