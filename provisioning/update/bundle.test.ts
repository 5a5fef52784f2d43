import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError, type ErrorCode } from '../../shared/errors.ts';
import { newKeyPair, signedBundle, snapshot, tinyBundle, tinyManifest } from '../../test/helpers/update-fixtures.ts';
import { authenticateBundle, openBundle, verifyFiles } from './bundle.ts';
import { DEFAULT_LIMITS, type BundleLimits } from './core/manifest.ts';
import { applyUpdate } from './installer.ts';
import type { ServiceControl } from './service.ts';

/**
 * What the signature cannot protect against: a bundle signed with the right key whose manifest
 * is wrong (a packer bug, or a stolen key used to plant files elsewhere). Each is refused with
 * its own code before anything is written.
 */

const { privateKey, publicKey } = newKeyPair();
const base = tinyManifest('2.0.0', privateKey);
const dir = mkdtempSync(join(tmpdir(), 'hushpoint-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Manifest = Record<string, unknown> & {
  files: Array<Record<string, unknown>>;
  links: Array<Record<string, unknown>>;
};

function variant(change: (m: Manifest, files: Buffer[]) => void): Buffer {
  const m = structuredClone(base.manifest) as Manifest;
  const files = base.files.map((f) => Buffer.from(f));
  change(m, files);
  return signedBundle(JSON.stringify(m), files, privateKey);
}

/** The installer's streamed path (authenticate, verify in a first pass that writes nothing). */
async function streamedCodeOf(bytes: Buffer, limits: BundleLimits = DEFAULT_LIMITS): Promise<ErrorCode | 'accepted'> {
  try {
    await verifyFiles(authenticateBundle(bytes, publicKey, limits));
    return 'accepted';
  } catch (error) {
    if (!isAppError(error)) throw error;
    return error.code;
  }
}

function codeOf(bytes: Buffer, limits: BundleLimits = DEFAULT_LIMITS): ErrorCode | 'accepted' {
  try {
    openBundle(bytes, publicKey, limits);
    return 'accepted';
  } catch (error) {
    if (!isAppError(error)) throw error;
    return error.code;
  }
}

const fileNamed = (m: Manifest, path: string): Record<string, unknown> => {
  const f = m.files.find((x) => x.path === path);
  if (f === undefined) throw new Error(`no ${path}`);
  return f;
};

describe('bundle checks behind the signature', () => {
  it('accepts the untouched signed manifest', async () => {
    expect(codeOf(variant(() => undefined))).toBe('accepted');
    expect(await streamedCodeOf(variant(() => undefined))).toBe('accepted');
    expect(codeOf(tinyBundle('2.0.0', privateKey))).toBe('accepted');
  });

  it.each<[string, (m: Manifest, files: Buffer[]) => void, ErrorCode]>([
    ['a path with ".."', (m) => void (fileNamed(m, 'lib/message.txt').path = '../../evil.txt'), 'UPDATE_UNSAFE_PATH'],
    ['an absolute path', (m) => void (fileNamed(m, 'lib/message.txt').path = '/etc/cron.d/evil'), 'UPDATE_UNSAFE_PATH'],
    ['a backslash path', (m) => void (fileNamed(m, 'lib/message.txt').path = 'lib\\..\\..\\x'), 'UPDATE_UNSAFE_PATH'],
    ['an empty segment', (m) => void (fileNamed(m, 'lib/message.txt').path = 'lib//message.txt'), 'UPDATE_UNSAFE_PATH'],
    ['a control character', (m) => void (fileNamed(m, 'lib/message.txt').path = 'lib/a\u0000b'), 'UPDATE_UNSAFE_PATH'],
    [
      'a link out of the tree',
      (m) => void ((m.links[0] as Record<string, unknown>).target = '../../../etc/passwd'),
      'UPDATE_UNSAFE_PATH',
    ],
    [
      'an absolute link',
      (m) => void ((m.links[0] as Record<string, unknown>).target = '/etc/passwd'),
      'UPDATE_UNSAFE_PATH',
    ],
    [
      'a file beneath a link',
      (m) => void (fileNamed(m, 'lib/message.txt').path = 'latest/inside.txt'),
      'UPDATE_UNSAFE_PATH',
    ],
    [
      'a file beneath a file',
      (m) => void (fileNamed(m, 'lib/message.txt').path = 'package.json/x'),
      'UPDATE_UNSAFE_PATH',
    ],
    ['the same path twice', (m) => void (fileNamed(m, 'lib/message.txt').path = 'package.json'), 'UPDATE_BAD_BUNDLE'],
    ['an unknown manifest field', (m) => void (m.postInstall = 'rm -rf /'), 'UPDATE_BAD_BUNDLE'],
    ['an unknown file field', (m) => void (fileNamed(m, 'lib/message.txt').mode = 0o4755), 'UPDATE_BAD_BUNDLE'],
    [
      'a "__proto__" field',
      (m) => Object.defineProperty(m, '__proto__', { value: {}, enumerable: true }),
      'UPDATE_BAD_BUNDLE',
    ],
    ['a missing field', (m) => void delete m.lockfileSha256, 'UPDATE_BAD_BUNDLE'],
    ['a version that is no semantic version', (m) => void (m.version = '../2.0.0'), 'UPDATE_BAD_BUNDLE'],
    ['a lockfile hash that is not the lockfile', (m) => void (m.lockfileSha256 = 'a'.repeat(64)), 'UPDATE_BAD_BUNDLE'],
    ['an entry that is not a file', (m) => void (m.entry = 'cli/missing.mjs'), 'UPDATE_BAD_BUNDLE'],
    ['a file bigger than the limit', (m) => void (fileNamed(m, 'lib/message.txt').size = 2 ** 40), 'UPDATE_TOO_LARGE'],
    [
      'a payload longer than the manifest says (a zip bomb)',
      (_m, files) => void files.push(Buffer.alloc(1 << 20)),
      'UPDATE_BAD_BUNDLE',
    ],
    ['a payload shorter than the manifest says', (_m, files) => void files.pop(), 'UPDATE_BAD_BUNDLE'],
    [
      'a file whose bytes differ from its hash',
      (m, files) => {
        const i = m.files.findIndex((f) => f.path === 'lib/message.txt');
        files[i] = Buffer.from('release 9.9.9\n');
        fileNamed(m, 'lib/message.txt').size = (files[i] as Buffer).length;
      },
      'UPDATE_HASH_MISMATCH',
    ],
  ])('refuses %s', async (_name, change, code) => {
    const bytes = variant(change);
    expect(codeOf(bytes)).toBe(code);
    expect(await streamedCodeOf(bytes)).toBe(code);
  });

  it('refuses more entries, a bigger total or a bigger envelope than the limits allow', () => {
    const bundle = variant(() => undefined);
    expect(codeOf(bundle, { ...DEFAULT_LIMITS, maxEntries: 3 })).toBe('UPDATE_TOO_LARGE');
    expect(codeOf(bundle, { ...DEFAULT_LIMITS, maxTotalBytes: 100 })).toBe('UPDATE_TOO_LARGE');
    expect(codeOf(bundle, { ...DEFAULT_LIMITS, maxEnvelopeBytes: 100 })).toBe('UPDATE_TOO_LARGE');
  });

  it('refuses an unknown envelope field and a truncated bundle', () => {
    const good = tinyBundle('2.0.0', privateKey);
    const text = good.toString('latin1').replace('"alg":"ed25519"', '"alg":"ed25519","x":1');
    const longer = Buffer.from(text, 'latin1');
    longer.writeUInt32BE(good.readUInt32BE(8) + 6, 8);
    expect(codeOf(longer)).toBe('UPDATE_BAD_BUNDLE');
    expect(codeOf(good.subarray(0, 40))).toBe('UPDATE_BAD_BUNDLE');
  });

  it('says so with STORE_FAILED when the root cannot hold releases, and switches nothing', async () => {
    const root = join(dir, 'blocked-root');
    mkdirSync(root);
    writeFileSync(join(root, 'releases'), 'a file where the releases folder belongs\n');
    const file = join(dir, 'good.hpu');
    writeFileSync(file, tinyBundle('2.0.0', privateKey));
    const service: ServiceControl = {
      restart: () => Promise.reject(new Error('nothing was switched, so nothing may be restarted')),
      failure: () => null,
    };
    const before = snapshot(root);
    const error = await applyUpdate(file, {
      root,
      service,
      healthFile: join(dir, 'health.json'),
      deadlineMs: 1000,
      trustedKey: publicKey,
    }).catch((e: unknown) => e);
    expect(isAppError(error, 'STORE_FAILED'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/expected --root to be a writable folder/);
    expect(snapshot(root)).toEqual(before);
    rmSync(root, { recursive: true });
    rmSync(file);
  });

  it('refuses a root that holds a release from before the releases/ layout', async () => {
    const root = join(dir, 'flat-root');
    mkdirSync(join(root, 'cli'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{"name":"hushpoint","version":"0.1.0"}\n');
    const file = join(dir, 'good.hpu');
    writeFileSync(file, tinyBundle('2.0.0', privateKey));
    const before = snapshot(root);
    const error = await applyUpdate(file, {
      root,
      service: { restart: () => Promise.reject(new Error('must not restart')), failure: () => null },
      healthFile: join(dir, 'health.json'),
      deadlineMs: 1000,
      trustedKey: publicKey,
    }).catch((e: unknown) => e);
    expect(isAppError(error, 'UPDATE_INCOMPATIBLE'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/run install\.sh from a new gateway bundle once/);
    expect(snapshot(root)).toEqual(before);
    rmSync(root, { recursive: true });
    rmSync(file);
  });

  it('writes nothing under the root for a signed bundle with a traversal path', async () => {
    const root = join(dir, 'root');
    const evil = variant((m) => {
      fileNamed(m, 'lib/message.txt').path = '../outside.txt';
    });
    const file = join(dir, 'evil.hpu');
    writeFileSync(file, evil);
    const service: ServiceControl = {
      restart: () => Promise.reject(new Error('a refused bundle must never restart the service')),
      failure: () => null,
    };
    const before = existsSync(root) ? snapshot(root) : {};
    const error = await applyUpdate(file, {
      root,
      service,
      healthFile: join(dir, 'health.json'),
      deadlineMs: 1000,
      trustedKey: publicKey,
    }).catch((e: unknown) => e);
    expect(isAppError(error, 'UPDATE_UNSAFE_PATH')).toBe(true);
    expect(existsSync(root) ? snapshot(root) : {}).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(['evil.hpu']);
  });
});
